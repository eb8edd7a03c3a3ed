import { afterEach, describe, expect, it } from "vitest";
import { isToolError } from "../../../core/errors.ts";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import { hostSchema, processTreeSchema } from "../../../core/domain.ts";
import { parseKql } from "../microsoft/testing/kql-parser.ts";
import { connectDefender } from "./testing/connect.ts";
import { startDefenderFake, type DefenderFake } from "./testing/fake.ts";
import { huntingTables } from "./testing/seed.ts";

let fake: DefenderFake;
afterEach(async () => fake?.close());

/** The fixture's hunting rows without unique ids, as an older sensor reports them. */
function withoutUniqueIds() {
  const tables = huntingTables();
  for (const table of Object.values(tables))
    table.rows = table.rows.map((row) => ({ ...row, ProcessUniqueId: "", InitiatingProcessUniqueId: "" }));
  return tables;
}

describe("defender EDR: hosts", () => {
  it("finds a short name as the first label of the FQDN, never as a prefix", async () => {
    fake = await startDefenderFake();
    const { edr } = connectDefender(fake).instance;
    const host = hostSchema.parse(await edr!.getHost("Ws-01"));
    expect(host).toMatchObject({
      id: "h-1",
      hostname: "WS-01",
      os: "Windows 11",
      ip: "10.0.0.5",
      tags: ["workstation"],
    });
    const lookup = fake.requests.find((r) => r.path === "/api/machines");
    expect(lookup?.query.get("$filter")).toBe("startswith(computerDnsName,'ws-01')");
    expect(await edr!.getHost("WS-0")).toBeNull();
    expect((await edr!.getHost("ws-010"))?.id).toBe("h-010");
  });

  it("matches an FQDN exactly, and not on another domain", async () => {
    fake = await startDefenderFake();
    const { edr } = connectDefender(fake).instance;
    expect((await edr!.getHost("WS-01.Corp.Test"))?.id).toBe("h-1");
    expect(fake.requests.find((r) => r.path === "/api/machines")?.query.get("$filter")).toBe(
      "computerDnsName eq 'ws-01.corp.test'",
    );
    expect(await edr!.getHost("ws-01.other.test")).toBeNull();
  });

  it("answers null on the 404 an empty machine list is, and quotes hostile names", async () => {
    fake = await startDefenderFake();
    const { edr } = connectDefender(fake).instance;
    expect(await edr!.getHost("o'brien' or true")).toBeNull();
    expect(fake.requests.find((r) => r.path === "/api/machines")?.query.get("$filter")).toBe(
      "startswith(computerDnsName,'o''brien'' or true')",
    );
  });

  it("reads isolation from the machine's action history", async () => {
    fake = await startDefenderFake();
    const { edr, actions } = connectDefender(fake).instance;
    expect((await edr!.getHost("ws-01"))?.isolated).toBe(false);
    await actions!.execute(
      {
        id: "a",
        type: "isolate_host",
        target: "WS-01",
        targetKind: "host",
        reason: "r",
        blastRadius: 1,
        targetTags: [],
        params: {},
        evidenceIds: [],
      },
      { idempotencyKey: "k" },
    );
    expect((await edr!.getHost("ws-01"))?.isolated).toBe(true);
    const history = fake.requests.filter((r) => r.path === "/api/machineactions").at(-1);
    expect(history?.query.get("$filter")).toBe("machineId eq 'h-1'");
  });
});

describe("defender EDR: process trees", () => {
  it("asks advanced hunting with a case-sensitive Query key and reads Graph's lower-case answer too", async () => {
    fake = await startDefenderFake();
    fake.lowercaseHunting = true;
    const tree = processTreeSchema.parse(
      await connectDefender(fake).instance.edr!.getProcessTree("h-1", "p-ps"),
    );
    expect(tree.processes.map((p) => p.id)).toEqual(["p-root", "p-word", "p-ps", "p-child"]);
    const sent = fake.requests.filter((r) => r.path === "/api/advancedqueries/run");
    expect(sent).toHaveLength(3);
    expect(Object.keys(JSON.parse(sent[0]?.body ?? "{}"))).toEqual(["Query"]);
  });

  it("adds an ancestor created before the rows read from its child's initiating-process columns", async () => {
    const processes = FIXTURE.processes.filter((p) => p.id !== "p-word" && p.id !== "p-root");
    fake = await startDefenderFake({ tables: huntingTables(processes) });
    const tree = processTreeSchema.parse(
      await connectDefender(fake).instance.edr!.getProcessTree("h-1", "p-ps"),
    );
    expect(tree.rootId).toBe("p-word");
    expect(tree.processes[0]).toMatchObject({
      id: "p-word",
      parentId: null,
      pid: 200,
      image: "C:\\Office\\WINWORD.EXE",
      commandLine: "winword.exe invoice.docm",
    });
  });

  it("names processes <pid>@<creation time> when the sensor reports no unique ids", async () => {
    fake = await startDefenderFake({ tables: withoutUniqueIds() });
    const { edr } = connectDefender(fake).instance;
    const tree = processTreeSchema.parse(await edr!.getProcessTree("h-1", "300@2026-11-03T09:59:00.000Z"));
    expect(tree.processes.map((p) => p.id)).toEqual([
      "100@2026-11-03T09:00:00.000Z",
      "200@2026-11-03T09:58:00.000Z",
      "300@2026-11-03T09:59:00.000Z",
      "400@2026-11-03T10:00:00.000Z",
    ]);
    expect(tree.processes[2]?.parentId).toBe("200@2026-11-03T09:58:00.000Z");
    expect(tree.connections).toEqual([{ ...FIXTURE.connection, processId: "300@2026-11-03T09:59:00.000Z" }]);
    expect(await edr!.getProcessTree("h-1", "300@2026-11-03T09:59:00.001Z")).toBeNull();
  });

  it("keeps hostile ids inside literals", async () => {
    fake = await startDefenderFake();
    const { edr } = connectDefender(fake).instance;
    const host = 'h-1" or DeviceId != "';
    const process = 'p-ps"\n| take 1000 //';
    expect(await edr!.getProcessTree(host, process)).toBeNull();
    const parsed = parseKql(fake.queries[0] ?? "");
    expect(parsed.stages.map((s) => s.kind)).toEqual(["where", "extend", "where", "project", "take"]);
    const [first, , third] = parsed.stages;
    expect(JSON.stringify(first)).toContain(JSON.stringify(host));
    expect(third?.kind === "where" && third.expr.kind === "binary" && third.expr.right).toEqual({
      kind: "literal",
      value: process,
    });
  });

  it("reads the configured window either side of the process", async () => {
    fake = await startDefenderFake();
    await connectDefender(fake, { processTreeWindowHours: 2 }).instance.edr!.getProcessTree("h-1", "p-ps");
    expect(fake.queries[1]).toContain(
      "| where Timestamp >= datetime(2026-11-03T07:59:00.000Z) and Timestamp < datetime(2026-11-03T11:59:00.000Z)",
    );
  });

  it("retries a throttled hunting query and reports a refused one", async () => {
    fake = await startDefenderFake();
    const { instance, waits } = connectDefender(fake);
    fake.inject(
      {
        status: 429,
        headers: { "retry-after": "5" },
        body: { error: { code: "TooManyRequests", message: "CPU quota" } },
      },
      { when: (r) => r.path === "/api/advancedqueries/run" },
    );
    expect(await instance.edr!.getProcessTree("h-1", "p-child")).not.toBeNull();
    expect(waits[0]).toBeGreaterThanOrEqual(5000);
    fake.forbid.add("AdvancedQuery.Read.All");
    const error = await instance.edr!.getProcessTree("h-1", "p-child").catch((e: unknown) => e);
    expect(isToolError(error) && error.code).toBe("FORBIDDEN");
  });
});

describe("defender EDR: detections", () => {
  it("lists the machine's alerts in the window, naming processes by hunting", async () => {
    fake = await startDefenderFake();
    const detections = await connectDefender(fake).instance.edr!.listDetections({
      hostId: "h-1",
      since: FIXTURE.window.from,
      until: FIXTURE.window.to,
    });
    expect(detections).toEqual([FIXTURE.detection]);
    const sent = fake.requests.find((r) => r.path === "/api/alerts");
    expect(sent?.query.get("$filter")).toBe(
      "machineId eq 'h-1' and alertCreationTime ge 2026-11-03T08:00:00.000Z and alertCreationTime lt 2026-11-03T12:00:00.001Z",
    );
    expect(sent?.query.get("$expand")).toBe("evidence");
    expect(fake.queries).toHaveLength(1);
  });

  it("asks hunting nothing when no detection has a process", async () => {
    fake = await startDefenderFake();
    await connectDefender(fake).instance.edr!.listDetections({ hostId: "h-1", until: FIXTURE.window.from });
    expect(fake.queries).toHaveLength(0);
  });
});
