/**
 * Falcon response actions: network containment only (POST /devices/entities/devices-actions/v2
 * ?action_name=contain, API scope Hosts:write). Falcon accepts the request with 202 and contains the host
 * asynchronously, so the host record is polled until its status reads `contained`. Killing a process needs
 * a Real Time Response session and is not offered.
 */
import { z } from "zod";
import { ToolError } from "../../../core/errors.ts";
import type { HttpClient } from "../../http.ts";
import type { ActionType } from "../../../core/domain.ts";
import type { ResponseActions } from "../../../core/ports.ts";
import { oncePerKey } from "../once-per-key.ts";
import { pollUntil } from "../poll.ts";
import { envelope, needing, VENDOR } from "./client.ts";
import { devicesByIds, findDevice, isContained, type FalconDevice } from "./edr.ts";
import { plausibleName } from "./fql.ts";

export interface FalconActionsOptions {
  /** Longest wait for a host to report `contained`. */
  containTimeoutMs: number;
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
}

const SUPPORTED: ReadonlySet<ActionType> = new Set(["isolate_host"]);

export function createFalconActions(http: HttpClient, options: FalconActionsOptions): ResponseActions {
  const once = oncePerKey();

  async function target(hostname: string, hostId: unknown, signal?: AbortSignal): Promise<FalconDevice> {
    const call = signal ? { signal } : {};
    // An agent id from the playbook's parameters is exact; a hostname is looked up.
    const device =
      typeof hostId === "string" && plausibleName(hostId)
        ? ((await devicesByIds(http, [hostId], call))[0] ?? null)
        : await findDevice(http, hostname, call);
    if (!device) throw new ToolError("NOT_FOUND", `${VENDOR}: no host named ${hostname}`, { vendor: VENDOR });
    return device;
  }

  return {
    vendor: VENDOR,
    supports: (type) => SUPPORTED.has(type),
    async execute(action, context) {
      if (!SUPPORTED.has(action.type))
        throw new ToolError("UNSUPPORTED", `${VENDOR}: ${action.type} is not a Falcon response action here`, {
          vendor: VENDOR,
        });
      const { signal } = context;
      return once(context.idempotencyKey, async () => {
        const device = await target(action.target, action.params["hostId"], signal);
        const name = device.hostname ?? device.device_id;
        if (isContained(device))
          return {
            outcome: "already_done",
            detail: `${name} is already ${device.status?.replace("_", " ")}`,
          };
        await needing(
          "Hosts:write",
          http.request({
            method: "POST",
            path: "/devices/entities/devices-actions/v2",
            query: { action_name: "contain" },
            json: { ids: [device.device_id] },
            schema: envelope(z.object({ id: z.string().nullish() })),
            ...(signal ? { signal } : {}),
          }),
        );
        await pollUntil(
          async () => {
            const [now] = await devicesByIds(http, [device.device_id], signal ? { signal } : {});
            return now?.status === "contained" ? now : undefined;
          },
          {
            vendor: VENDOR,
            what: `containment of ${name}`,
            timeoutMs: options.containTimeoutMs,
            firstDelayMs: 1_000,
            ...(options.sleep ? { sleep: options.sleep } : {}),
            ...(signal ? { signal } : {}),
          },
        );
        return { outcome: "executed", detail: `contained ${name} (agent ${device.device_id})` };
      });
    },
  };
}
