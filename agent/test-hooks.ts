/**
 * Fault injection for the reliability suite (bench/kill-trials.ts, apps/recovery.test.ts), honoured only
 * when the lab serves the actions, so no real deployment can be slowed or killed by a stray variable:
 * - TRIAGE_TEST_ACTION_DELAY_MS: the lab responder waits this long before and after acting.
 * - TRIAGE_TEST_KILL_AFTER_CHECKPOINTS: the process kills itself (SIGKILL, no clean-up) right after its
 *   Nth checkpoint is written, i.e. at a node boundary.
 */
export interface TestHooks {
  actionDelayMs?: number;
  killAfterCheckpoints?: number;
}

function whole(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,7}$/.test(text) ? Number(text) : undefined;
}

export function testHooksFrom(env: Readonly<Record<string, string | undefined>>): TestHooks {
  const actionDelayMs = whole(env.TRIAGE_TEST_ACTION_DELAY_MS);
  const killAfterCheckpoints = whole(env.TRIAGE_TEST_KILL_AFTER_CHECKPOINTS);
  return {
    ...(actionDelayMs === undefined ? {} : { actionDelayMs }),
    ...(killAfterCheckpoints === undefined ? {} : { killAfterCheckpoints }),
  };
}

/** After the Nth checkpoint is written, the process dies like kill -9 (no clean-up). */
export function killAfterCheckpoints(hooks: TestHooks): { afterPut?: () => void } {
  const limit = hooks.killAfterCheckpoints;
  if (limit === undefined) return {};
  let written = 0;
  return {
    afterPut: () => {
      if (++written >= limit) process.kill(process.pid, "SIGKILL");
    },
  };
}
