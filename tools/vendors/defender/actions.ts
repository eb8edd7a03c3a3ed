/**
 * Response actions Defender for Endpoint really performs for us: isolate_host only. Isolation is an
 * asynchronous machine action (201, then Pending → InProgress → Succeeded/Failed/TimeOut/Cancelled),
 * polled to its end. The machine's action history is read first, so an isolated machine, or one whose
 * isolation is already under way, is not asked again. kill_process is not offered: MDE's nearest action,
 * StopAndQuarantineFile, stops every process of a file (by SHA-1) and quarantines the file device-wide,
 * which is not what "kill this process" promises.
 */
import { ToolError } from "../../../core/errors.ts";
import type { HttpClient } from "../../http.ts";
import type { ProposedAction, ResponseOutcome } from "../../../core/domain.ts";
import type { ResponseActions } from "../../../core/ports.ts";
import { oncePerKey } from "../once-per-key.ts";
import { pollUntil } from "../poll.ts";
import {
  FINAL_STATUSES,
  findMachine,
  getMachine,
  isolationState,
  machineActionSchema,
  type MachineAction,
} from "./machines.ts";

export function createDefenderActions(options: {
  vendor: string;
  http: () => HttpClient;
  isolationType: "Full" | "Selective";
  timeoutMs: number;
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
}): ResponseActions {
  const { vendor } = options;
  const once = oncePerKey();

  async function finished(
    http: HttpClient,
    action: MachineAction,
    signal?: AbortSignal,
  ): Promise<MachineAction> {
    if (FINAL_STATUSES.has(action.status)) return action;
    return pollUntil(
      async () => {
        const current = await http.json({
          path: `/api/machineactions/${encodeURIComponent(action.id)}`,
          schema: machineActionSchema,
          ...(signal ? { signal } : {}),
        });
        return FINAL_STATUSES.has(current.status) ? current : undefined;
      },
      {
        vendor,
        what: `machine action ${action.id}`,
        timeoutMs: options.timeoutMs,
        firstDelayMs: 2_000,
        maxDelayMs: 15_000,
        ...(options.sleep ? { sleep: options.sleep } : {}),
        ...(signal ? { signal } : {}),
      },
    );
  }

  async function isolate(
    action: ProposedAction,
    key: string,
    signal?: AbortSignal,
  ): Promise<ResponseOutcome> {
    const http = options.http();
    const hostId = action.params["hostId"];
    const machine =
      (typeof hostId === "string" && hostId ? await getMachine(http, hostId, signal) : null) ??
      (await findMachine(http, action.target, signal));
    if (!machine)
      throw new ToolError(
        "NOT_FOUND",
        `${vendor}: no machine named ${JSON.stringify(action.target.slice(0, 200))}`,
        {
          vendor,
        },
      );
    const name = machine.computerDnsName ?? machine.id;
    // Our own request carries the idempotency key in its comment, so after a lost answer it is recognized.
    const tag = `soc-triage ${key}:`;
    const outcome = async (request: MachineAction): Promise<ResponseOutcome> => {
      const done = await finished(http, request, signal);
      if (done.status !== "Succeeded")
        throw new ToolError(
          "UPSTREAM_ERROR",
          `${vendor}: isolating ${name} ended ${done.status} (machine action ${done.id})`,
          {
            vendor,
          },
        );
      const ours = request.requestorComment?.startsWith(tag) ?? false;
      return {
        outcome: ours ? "executed" : "already_done",
        detail: ours
          ? `isolated ${name} (machine action ${done.id})`
          : `${name} was isolated by an earlier request (machine action ${done.id})`,
      };
    };

    const before = await isolationState(http, machine.id, signal);
    if (before.isolated) return { outcome: "already_done", detail: `${name} is already isolated` };
    if (before.pending) return outcome(before.pending);
    let request: MachineAction;
    try {
      request = await http.json({
        method: "POST",
        path: `/api/machines/${encodeURIComponent(machine.id)}/isolate`,
        // Body keys are case-sensitive: `Comment` (required) and `IsolationType`.
        json: { Comment: `${tag} ${action.reason}`.slice(0, 1000), IsolationType: options.isolationType },
        schema: machineActionSchema,
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      // A 400 is how MDE refuses a second isolation while one is active (ActiveRequestAlreadyExists); the
      // history, not the message text, says whether that is what happened.
      if (!(error instanceof ToolError) || error.code !== "BAD_INPUT") throw error;
      const after = await isolationState(http, machine.id, signal);
      if (after.isolated) return { outcome: "already_done", detail: `${name} is already isolated` };
      if (!after.pending) throw error;
      return outcome(after.pending);
    }
    return outcome(request);
  }

  return {
    vendor,
    supports: (type) => type === "isolate_host",
    async execute(action, context) {
      if (action.type !== "isolate_host")
        throw new ToolError(
          "UNSUPPORTED",
          `${vendor}: ${action.type} is not an action this adapter performs`,
          { vendor },
        );
      return once(context.idempotencyKey, () => isolate(action, context.idempotencyKey, context.signal));
    },
  };
}
