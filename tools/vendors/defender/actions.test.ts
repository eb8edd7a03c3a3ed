import { afterEach, describe, expect, it } from "vitest";
import { proposedActionSchema, type ProposedActionInput } from "../../../core/domain.ts";
import { connectDefender } from "./testing/connect.ts";
import { startDefenderFake, type DefenderFake } from "./testing/fake.ts";
import { toolErrorOf as failure } from "../../testing/fake-http.ts";

let fake: DefenderFake;
afterEach(async () => fake?.close());

const isolate = (a: Partial<ProposedActionInput> = {}) =>
  proposedActionSchema.parse({
    id: "act-1",
    type: "isolate_host",
    target: "WS-01",
    targetKind: "host",
    reason: "contain the macro dropper",
    blastRadius: 1,
    ...a,
  });
/** An isolation requested by someone else, in the given state. */
const foreignAction = (status: string) => ({
  id: "ma-other",
  type: "Isolate",
  scope: "Full",
  requestor: "analyst@corp.test",
  requestorComment: "manual",
  status,
  machineId: "h-1",
  computerDnsName: "ws-01.corp.test",
  creationDateTimeUtc: "2026-11-03T11:00:00.0000000Z",
});

describe("defender isolation", () => {
  it("posts Comment and IsolationType (case-sensitive) and polls the machine action to Succeeded", async () => {
    fake = await startDefenderFake();
    const { instance, waits } = connectDefender(fake);
    const outcome = await instance.actions!.execute(isolate(), { idempotencyKey: "key-1" });
    expect(outcome).toEqual({
      outcome: "executed",
      detail: "isolated ws-01.corp.test (machine action ma-1)",
    });
    const post = fake.requests.find((r) => r.method === "POST" && r.path.endsWith("/isolate"));
    expect(post?.path).toBe("/api/machines/h-1/isolate");
    expect(JSON.parse(post?.body ?? "{}")).toEqual({
      Comment: "soc-triage key-1: contain the macro dropper",
      IsolationType: "Full",
    });
    expect(fake.requests.filter((r) => r.path === "/api/machineactions/ma-1")).toHaveLength(2);
    expect(waits).toEqual([2000]);
  });

  it("uses the configured isolation type and a machine id given in params", async () => {
    fake = await startDefenderFake();
    const { instance } = connectDefender(fake, { isolationType: "Selective" });
    await instance.actions!.execute(isolate({ target: "whatever", params: { hostId: "h-1" } }), {
      idempotencyKey: "k",
    });
    const post = fake.requests.find((r) => r.path.endsWith("/isolate"));
    expect(JSON.parse(post?.body ?? "{}")).toMatchObject({ IsolationType: "Selective" });
  });

  it("does not ask again when the machine is already isolated", async () => {
    fake = await startDefenderFake();
    fake.machineActions.push(foreignAction("Succeeded"));
    const outcome = await connectDefender(fake).instance.actions!.execute(isolate(), { idempotencyKey: "k" });
    expect(outcome).toEqual({ outcome: "already_done", detail: "ws-01.corp.test is already isolated" });
    expect(fake.requests.some((r) => r.path.endsWith("/isolate"))).toBe(false);
  });

  it("waits for someone else's isolation under way and reports it as already done", async () => {
    fake = await startDefenderFake();
    fake.machineActions.push(foreignAction("InProgress"));
    const outcome = await connectDefender(fake).instance.actions!.execute(isolate(), { idempotencyKey: "k" });
    expect(outcome.outcome).toBe("already_done");
    expect(outcome.detail).toMatch(/earlier request \(machine action ma-other\)/);
    expect(fake.requests.some((r) => r.path.endsWith("/isolate"))).toBe(false);
  });

  it("treats a 400 ActiveRequestAlreadyExists by the history: a request under way is awaited", async () => {
    fake = await startDefenderFake();
    const { instance } = connectDefender(fake);
    // The history read before the request shows nothing; another isolation lands just before ours.
    fake.inject(
      {
        status: 400,
        body: { error: { code: "ActiveRequestAlreadyExists", message: "Action is already in progress" } },
      },
      {
        when: (r) => {
          if (!r.path.endsWith("/isolate")) return false;
          fake.machineActions.push(foreignAction("Pending"));
          return true;
        },
      },
    );
    expect((await instance.actions!.execute(isolate(), { idempotencyKey: "k" })).outcome).toBe(
      "already_done",
    );
  });

  it("recognizes its own request after a lost answer, by the key in the comment", async () => {
    fake = await startDefenderFake();
    fake.actionProgress = ["Pending"];
    const { instance } = connectDefender(fake, { actionTimeoutSeconds: 10 });
    const timeout = await failure(instance.actions!.execute(isolate(), { idempotencyKey: "key-7" }));
    expect(timeout.code).toBe("TIMEOUT");
    expect(timeout.message).toMatch(/machine action ma-1 did not finish within 10 s/);
    fake.actionProgress = ["Pending", "Succeeded"];
    const retried = await instance.actions!.execute(isolate(), { idempotencyKey: "key-7" });
    expect(retried).toEqual({
      outcome: "executed",
      detail: "isolated ws-01.corp.test (machine action ma-1)",
    });
    expect(fake.requests.filter((r) => r.path.endsWith("/isolate"))).toHaveLength(1);
  });

  it("fails with the action's final status when MDE could not isolate", async () => {
    fake = await startDefenderFake();
    fake.actionProgress = ["Pending", "Failed"];
    const error = await failure(
      connectDefender(fake).instance.actions!.execute(isolate(), { idempotencyKey: "k" }),
    );
    expect(error.code).toBe("UPSTREAM_ERROR");
    expect(error.message).toBe("defender: isolating ws-01.corp.test ended Failed (machine action ma-1)");
  });

  it("answers FORBIDDEN without Machine.Isolate, and NOT_FOUND for an unknown machine", async () => {
    fake = await startDefenderFake();
    fake.forbid.add("Machine.Isolate");
    const { actions } = connectDefender(fake).instance;
    expect((await failure(actions!.execute(isolate(), { idempotencyKey: "k" }))).code).toBe("FORBIDDEN");
    expect(
      (await failure(actions!.execute(isolate({ target: "ghost" }), { idempotencyKey: "g" }))).code,
    ).toBe("NOT_FOUND");
  });

  it("supports isolation only; kill_process is refused as UNSUPPORTED", async () => {
    fake = await startDefenderFake();
    const { actions } = connectDefender(fake).instance;
    expect(actions!.supports("isolate_host")).toBe(true);
    for (const type of ["kill_process", "block_ip", "disable_user", "quarantine_message"] as const)
      expect(actions!.supports(type)).toBe(false);
    const error = await failure(
      actions!.execute(isolate({ type: "kill_process", target: "p-ps", targetKind: "process" }), {
        idempotencyKey: "k",
      }),
    );
    expect(error.code).toBe("UNSUPPORTED");
    expect(fake.requests.filter((r) => !r.path.endsWith("/token"))).toHaveLength(0);
  });
});
