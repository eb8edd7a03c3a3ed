import { afterEach, describe, expect, it } from "vitest";
import { isToolError } from "../../../core/errors.ts";
import { jsonOf } from "../../testing/fake-http.ts";
import { proposedActionSchema, type ProposedActionInput } from "../../../core/domain.ts";
import type { FalconFake } from "./testing/fake.ts";
import { falconUnderTest } from "./testing/harness.ts";
import { fixtureWorld } from "./testing/seed.ts";

let fake: FalconFake | undefined;
afterEach(async () => fake?.close());

const isolate = (extra: Partial<ProposedActionInput> = {}) =>
  proposedActionSchema.parse({
    id: "act-1",
    type: "isolate_host",
    target: "ws-01",
    targetKind: "host",
    blastRadius: 1,
    reason: "test",
    ...extra,
  });

async function setup(...args: Parameters<typeof falconUnderTest>) {
  const t = await falconUnderTest(...args);
  fake = t.fake;
  return { ...t, actions: t.instance.actions! };
}

const contains = (f: FalconFake) =>
  f.requests.filter((r) => r.path === "/devices/entities/devices-actions/v2");

describe("Falcon containment", () => {
  it("contains by agent id, then polls the host record until it reads contained", async () => {
    const { actions, fake, waits } = await setup({ containAfterPolls: 2 });
    expect(await actions.execute(isolate(), { idempotencyKey: "k1" })).toEqual({
      outcome: "executed",
      detail: "contained WS-01 (agent h-1)",
    });
    const [post] = contains(fake);
    expect(post?.method).toBe("POST");
    expect(post?.query.get("action_name")).toBe("contain");
    expect(jsonOf(post!)).toEqual({ ids: ["h-1"] });
    expect(fake.device("h-1")?.status).toBe("contained");
    // Two reads still pending, the third contained: two waits, growing.
    expect(waits).toEqual([1000, 1500]);
  });

  it("uses the agent id from the action's parameters without a name lookup", async () => {
    const { actions, fake } = await setup();
    await actions.execute(isolate({ target: "whatever", params: { hostId: "h-1" } }), {
      idempotencyKey: "k1",
    });
    expect(fake.requests.some((r) => r.path === "/devices/queries/devices/v1")).toBe(false);
    expect(jsonOf(contains(fake)[0]!)).toEqual({ ids: ["h-1"] });
  });

  it("reports a contained or pending host as already done without asking again", async () => {
    const world = fixtureWorld();
    for (const status of ["contained", "containment_pending"]) {
      const { actions, fake } = await setup({
        world: { ...world, devices: [{ ...world.devices[0], status }] },
      });
      const outcome = await actions.execute(isolate(), { idempotencyKey: "k1" });
      expect(outcome.outcome).toBe("already_done");
      expect(outcome.detail).toMatch(/^WS-01 is already contain/);
      expect(contains(fake)).toEqual([]);
      await fake.close();
    }
  });

  it("times out when containment never settles, and a later try sees it pending", async () => {
    const { actions, fake } = await setup({ containAfterPolls: Infinity }, { containTimeoutMs: 5_000 });
    const error = await actions.execute(isolate(), { idempotencyKey: "k1" }).catch((e: unknown) => e);
    expect(isToolError(error) && [error.code, error.message]).toEqual([
      "TIMEOUT",
      "crowdstrike: containment of WS-01 did not finish within 5 s",
    ]);
    expect((await actions.execute(isolate(), { idempotencyKey: "k1" })).outcome).toBe("already_done");
    expect(contains(fake)).toHaveLength(1);
  });

  it("answers NOT_FOUND for an unknown host, and names Hosts:write when containment is not allowed", async () => {
    const { actions } = await setup({ forbid: ["contain"] });
    const ghost = await actions
      .execute(isolate({ target: "NO-SUCH-HOST" }), { idempotencyKey: "g" })
      .catch((e: unknown) => e);
    expect(isToolError(ghost) && [ghost.code, ghost.message]).toEqual([
      "NOT_FOUND",
      "crowdstrike: no host named NO-SUCH-HOST",
    ]);
    const denied = await actions.execute(isolate(), { idempotencyKey: "d" }).catch((e: unknown) => e);
    expect(isToolError(denied) && denied.code).toBe("FORBIDDEN");
    expect(isToolError(denied) && denied.message).toMatch(/^crowdstrike: API client lacks Hosts:write \(/);
  });

  it("supports containment only, and refuses anything else with UNSUPPORTED", async () => {
    const { actions, fake } = await setup();
    expect(actions.supports("isolate_host")).toBe(true);
    for (const type of ["kill_process", "block_ip", "disable_user", "quarantine_message"] as const)
      expect(actions.supports(type)).toBe(false);
    const error = await actions
      .execute(isolate({ type: "kill_process", target: "p-ps", targetKind: "process" }), {
        idempotencyKey: "x",
      })
      .catch((e: unknown) => e);
    expect(isToolError(error) && error.code).toBe("UNSUPPORTED");
    expect(fake.requests).toHaveLength(0);
  });
});
