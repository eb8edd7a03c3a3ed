/** The hidden command a `triage batch --workers N` child runs (apps/batch-worker.ts); kept light for main.ts. */
export const WORKER_COMMAND = "batch-worker";
