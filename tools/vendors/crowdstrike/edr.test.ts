import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { isToolError } from "../../../core/errors.ts";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import { hostSchema, processTreeSchema } from "../../../core/domain.ts";
import type { FalconFake } from "./testing/fake.ts";
import { falconUnderTest } from "./testing/harness.ts";
import { fixtureWorld } from "./testing/seed.ts";

let fake: FalconFake | undefined;
afterEach(async () => fake?.close());

async function setup(...args: Parameters<typeof falconUnderTest>) {
  const t = await falconUnderTest(...args);
  fake = t.fake;
  return { ...t, edr: t.instance.edr! };
}

describe("Falcon hosts", () => {
  it("asks for the name as given, upper- and lower-cased, then reads the record by agent id", async () => {
    const { edr, fake } = await setup();
    expect(hostSchema.parse(await edr.getHost("ws-01"))).toEqual({ ...FIXTURE.host, owner: "ann@corp.test" });
    const [query, details] = fake.requests.filter((r) => r.path.startsWith("/devices"));
    expect(query?.query.get("filter")).toBe("hostname:['ws-01','WS-01']");
    expect(details?.query.getAll("ids")).toEqual(["h-1"]);
  });

  it("answers null without a query for names no host can have", async () => {
    const { edr, fake } = await setup();
    for (const hostile of ["*", "WS-*", "x' , hostname:'WS-01", "WS-01\nx", "a|b", "a\\b", ""])
      expect(await edr.getHost(hostile), hostile).toBeNull();
    expect(fake.requests).toHaveLength(0);
  });

  it("keeps only an exact (case-insensitive) name match, and the agent seen last", async () => {
    const world = fixtureWorld();
    const device = (id: string, hostname: string, lastSeen: string) => ({
      ...world.devices[0],
      device_id: id,
      hostname,
      last_seen: lastSeen,
    });
    const { edr } = await setup({
      world: {
        ...world,
        devices: [
          device("old", "WS-09", "2026-01-01T00:00:00Z"),
          device("new", "WS-09", "2026-06-01T00:00:00Z"),
          device("x", "WS-090", "2026-06-01T00:00:00Z"),
        ],
      },
    });
    expect((await edr.getHost("ws-09"))?.id).toBe("new");
  });

  it("reads containment from the status and group names as tags when asked", async () => {
    const world = fixtureWorld();
    const pending = {
      ...world.devices[0],
      status: "containment_pending",
      groups: ["g1"],
      tags: ["SensorGroupingTags/VIP", "FalconGroupingTags/workstation"],
    };
    const { edr, fake } = await setup(
      { world: { ...world, devices: [pending] }, groups: [{ id: "g1", name: "Critical Servers" }] },
      { hostGroupTags: true },
    );
    expect(await edr.getHost("WS-01")).toMatchObject({
      isolated: true,
      tags: ["vip", "workstation", "critical_servers"],
    });
    expect(
      fake.requests.find((r) => r.path === "/devices/entities/host-groups/v1")?.query.getAll("ids"),
    ).toEqual(["g1"]);
  });

  it("names the missing scope when the API client cannot read hosts", async () => {
    const { edr } = await setup({ forbid: ["hosts"] });
    const error = await edr.getHost("WS-01").catch((e: unknown) => e);
    expect(isToolError(error) && error.code).toBe("FORBIDDEN");
    expect(isToolError(error) && error.message).toMatch(/^crowdstrike: API client lacks Hosts:read \(/);
  });
});

describe("Falcon detections", () => {
  it("filters the host's alerts by agent id and event time, oldest first", async () => {
    const { edr, fake } = await setup();
    const found = await edr.listDetections({
      hostId: "h-1",
      since: FIXTURE.window.from,
      until: FIXTURE.window.to,
    });
    expect(found).toEqual([FIXTURE.detection]);
    const query = fake.requests.find((r) => r.path === "/alerts/queries/alerts/v2");
    expect(query?.query.get("filter")).toBe(
      `device.device_id:'h-1'+timestamp:>='${FIXTURE.window.from}'+timestamp:<='${FIXTURE.window.to}'`,
    );
    expect(query?.query.get("sort")).toBe("timestamp|asc");
  });

  it("answers [] without a query for an agent id that cannot exist", async () => {
    const { edr, fake } = await setup();
    expect(await edr.listDetections({ hostId: "h-1'+device.device_id:*" })).toEqual([]);
    expect(fake.requests).toHaveLength(0);
  });
});

describe("Falcon process trees (ThreatGraph)", () => {
  it("walks one vertex per request, up the parents then down the children, reading connections", async () => {
    const { edr, fake } = await setup();
    const tree = processTreeSchema.parse(await edr.getProcessTree("h-1", "p-ps"));
    expect(tree.processes).toEqual(
      ["p-root", "p-word", "p-ps", "p-child"].map((id) => ({
        ...FIXTURE.processes.find((p) => p.id === id),
        signer: null,
      })),
    );
    const asked = fake.requests.filter((r) => r.path === "/threatgraph/combined/processes/summary/v1");
    expect(asked.map((r) => r.query.get("ids"))).toEqual([
      "pid:h-1:p-ps",
      "pid:h-1:p-word",
      "pid:h-1:p-root",
      "pid:h-1:p-child",
    ]);
    expect(asked.every((r) => r.query.get("scope") === "device")).toBe(true);
  });

  it("stops at a parent cycle instead of looping", async () => {
    const world = fixtureWorld();
    const root = world.vertices.get("pid:h-1:p-root")!;
    const child = world.vertices.get("pid:h-1:p-child")!;
    const edges = (vertex: unknown) =>
      z.object({ edges: z.record(z.string(), z.unknown()) }).parse(vertex).edges;
    const ref = { object_id: "p-child", device_id: "h-1", timestamp: FIXTURE.window.from };
    world.vertices.set("pid:h-1:p-root", { ...root, edges: { ...edges(root), parent_process: [ref] } });
    world.vertices.set("pid:h-1:p-child", {
      ...child,
      edges: { ...edges(child), child_process: [{ ...ref, object_id: "p-root" }] },
    });
    const { edr } = await setup({ world });
    const tree = await edr.getProcessTree("h-1", "p-ps");
    expect(tree?.processes.map((p) => p.id).sort()).toEqual(["p-child", "p-ps", "p-root", "p-word"]);
  });

  it("answers null for hostile ids without a request, and names the scope ThreatGraph needs", async () => {
    const { edr, fake } = await setup({ forbid: ["threatgraph"] });
    expect(await edr.getProcessTree("h-1", "p:ps")).toBeNull();
    expect(await edr.getProcessTree("h-1\n", "p-ps")).toBeNull();
    expect(fake.requests).toHaveLength(0);
    const error = await edr.getProcessTree("h-1", "p-ps").catch((e: unknown) => e);
    expect(isToolError(error) && error.code).toBe("FORBIDDEN");
    expect(isToolError(error) && error.message).toMatch(
      /^crowdstrike: API client lacks Threatgraph:read \(GET \/threatgraph/,
    );
  });
});
