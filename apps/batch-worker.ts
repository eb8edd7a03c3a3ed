/**
 * The worker side of `triage batch --workers N` (the hidden `batch-worker` command): opens its own
 * runtime on the batch's configuration, then claims and triages each alert the batch hands it, several
 * at once, and sends back each result. `close` lets it finish what it holds and exit; if the batch dies
 * (the IPC channel closes), so does the worker at once, leaving its claims to pass like a killed batch's.
 */
import { loadConfig } from "../agent/config.ts";
import { openRuntime, type OpenedRuntime } from "../agent/setup.ts";
import { describeError } from "../core/errors.ts";
import { newWorkerId, triageOne } from "./batch.ts";
import { toWorkerSchema, type FromWorker, type ToWorker } from "./batch-workers.ts";
import { EXIT, fail } from "./output.ts";

function send(message: FromWorker): void {
  process.send?.(message);
}

/** Resolves with the init message, the first the batch sends. */
function initMessage(): Promise<ToWorker & { type: "init" }> {
  return new Promise((resolve, reject) => {
    process.once("message", (raw: unknown) => {
      const message = toWorkerSchema.safeParse(raw);
      if (message.success && message.data.type === "init") resolve(message.data);
      else reject(new Error("the first message was not init"));
    });
  });
}

export async function runBatchWorker(): Promise<number> {
  if (!process.send) return fail(EXIT.badInput, "batch-worker is started by `triage batch --workers N`");
  // Not a second thought: a dead batch must not leave workers triaging behind it.
  const orphaned = () => process.exit(EXIT.internal);
  process.once("disconnect", orphaned);
  const init = await initMessage();
  let opened: OpenedRuntime;
  try {
    opened = await openRuntime(loadConfig(init.overrides));
  } catch (error) {
    send({ type: "fatal", error: describeError(error) });
    return EXIT.internal;
  }
  const worker = newWorkerId();
  const inFlight = new Set<Promise<void>>();
  try {
    await new Promise<void>((resolve) => {
      process.on("message", (raw: unknown) => {
        const message = toWorkerSchema.safeParse(raw);
        if (!message.success) return;
        if (message.data.type === "close") return resolve();
        if (message.data.type !== "triage") return;
        const { job, alert } = message.data;
        const work = triageOne(opened, alert, { worker, dryRun: init.dryRun }).then(
          (result) => send({ type: "result", job, result }),
          // triageOne records failures as results; this is case memory itself failing under it.
          (error: unknown) =>
            send({
              type: "result",
              job,
              result: { status: "failed", claim: "claimed", error: describeError(error), lostLease: false },
            }),
        );
        inFlight.add(work);
        void work.finally(() => inFlight.delete(work));
      });
      send({ type: "ready", worker });
    });
    await Promise.all(inFlight);
    return EXIT.ok;
  } finally {
    await opened.close();
    process.off("disconnect", orphaned);
    process.disconnect();
  }
}
