/**
 * Response actions across vendors: each action goes to the first responder, in the configured order, that
 * supports its type (isolate to the EDR, quarantine to the mail system, revoke to the identity provider).
 */
import { ToolError } from "../core/errors.ts";
import type { ResponseActions } from "../core/ports.ts";

export function routeActions(responders: readonly ResponseActions[]): ResponseActions {
  if (responders.length === 1 && responders[0]) return responders[0];
  return {
    vendor: responders.map((r) => r.vendor).join("+") || "none",
    supports: (type) => responders.some((r) => r.supports(type)),
    async execute(action, context) {
      const responder = responders.find((r) => r.supports(action.type));
      if (!responder) {
        throw new ToolError("UNSUPPORTED", `no configured responder runs ${action.type}`);
      }
      return responder.execute(action, context);
    },
  };
}
