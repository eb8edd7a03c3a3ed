/**
 * Entra ID response actions.
 *
 * revoke_sessions: POST /users/{upn}/revokeSignInSessions invalidates every refresh token and session
 * cookie issued so far (User.RevokeSessions.All). Access tokens already issued live until they expire (up
 * to about an hour) and apps notice within minutes. Nothing says whether a revocation is "already done" (a
 * new sign-in may have happened since), so a repeat under a new key revokes again: harmless.
 *
 * disable_user: the account is read first; a disabled one is already_done, otherwise PATCH
 * {accountEnabled:false} (User.ReadWrite.All or User.EnableDisableAccount.All). Accounts synchronised from
 * Active Directory refuse the change (400): disable them on-premises.
 *
 * reset_password is not supported, on purpose. Forcing a change at next sign-in lets whoever holds the
 * password (the attacker) choose the new one; setting a random one leaves the user without it and no
 * channel to deliver it; synchronised accounts need an on-premises reset. Disable the account and revoke
 * sessions, and let the helpdesk reset it with the user.
 */
import { z } from "zod";
import { ToolError } from "../../../core/errors.ts";
import { orNull, type HttpClient } from "../../http.ts";
import type { ActionType, ProposedAction, ResponseOutcome } from "../../../core/domain.ts";
import type { ResponseActions } from "../../../core/ports.ts";
import { userPath } from "../graph/client.ts";
import { oncePerKey } from "../once-per-key.ts";

const accountSchema = z.object({
  id: z.string(),
  userPrincipalName: z.string(),
  accountEnabled: z.boolean(),
});

export function createEntraActions(http: HttpClient): ResponseActions {
  const vendor = http.vendor;
  const once = oncePerKey();
  const fail = (code: ToolError["code"], message: string) =>
    new ToolError(code, `${vendor}: ${message}`, { vendor });
  const on = (signal?: AbortSignal) => (signal ? { signal } : {});

  async function revoke(upn: string, signal?: AbortSignal): Promise<ResponseOutcome> {
    // 404 (no such user) surfaces as NOT_FOUND from the client.
    const answer = await http.json({
      method: "POST",
      path: `${userPath(upn, vendor)}/revokeSignInSessions`,
      schema: z.object({ value: z.boolean().nullish() }),
      ...on(signal),
    });
    if (answer.value === false) throw fail("UPSTREAM_ERROR", `revoking the sessions of ${upn} was refused`);
    return {
      outcome: "executed",
      detail: `revoked every refresh token and session of ${upn}; apps notice within minutes, issued access tokens live until they expire`,
    };
  }

  async function disable(upn: string, signal?: AbortSignal): Promise<ResponseOutcome> {
    const path = userPath(upn, vendor);
    const account = await orNull(
      http.json({
        path,
        query: { $select: "id,userPrincipalName,accountEnabled" },
        schema: accountSchema,
        ...on(signal),
      }),
    );
    if (!account) throw fail("NOT_FOUND", `no user ${upn} in the directory`);
    if (!account.accountEnabled)
      return {
        outcome: "already_done",
        detail: `the account of ${account.userPrincipalName} is already disabled`,
      };
    await http.json({
      method: "PATCH",
      path,
      json: { accountEnabled: false },
      schema: z.unknown(),
      ...on(signal),
    });
    return {
      outcome: "executed",
      detail: `disabled the account of ${account.userPrincipalName}: no new sign-ins; revoke sessions to end current ones`,
    };
  }

  const handlers: Partial<
    Record<ActionType, (action: ProposedAction, signal?: AbortSignal) => Promise<ResponseOutcome>>
  > = {
    revoke_sessions: (action, signal) => revoke(action.target, signal),
    disable_user: (action, signal) => disable(action.target, signal),
  };

  return {
    vendor,
    supports: (type) => handlers[type] !== undefined,
    async execute(action, context) {
      const handler = handlers[action.type];
      if (!handler)
        throw fail(
          "UNSUPPORTED",
          action.type === "reset_password"
            ? "reset_password is not automated: a forced change lets the password's holder pick the next one; disable the account and revoke sessions instead"
            : `${action.type} is not something Entra ID can do`,
        );
      return once(context.idempotencyKey, () => handler(action, context.signal));
    },
  };
}
