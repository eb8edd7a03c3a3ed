import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE } from "../lab/testing/fixture.ts";
import { edrDetectionSchema, hostSchema, processTreeSchema, type Edr } from "../types.ts";
import type { ContractSetup } from "./types.ts";

/** Every Edr: hosts by name, the whole tree around a process with its connections, detections by window. */
export function describeEdrContract(name: string, setup: () => Promise<ContractSetup<Edr>>): void {
  describe(`Edr contract: ${name}`, () => {
    let ctx: ContractSetup<Edr>;
    beforeAll(async () => {
      ctx = await setup();
    });
    afterAll(async () => ctx.teardown?.());

    it("finds a host by name, case-insensitively, and null for an unknown one", async () => {
      expect(hostSchema.parse(await ctx.port.getHost("ws-01"))).toMatchObject({
        id: "h-1",
        tags: ["workstation"],
      });
      expect(await ctx.port.getHost("NO-SUCH-HOST")).toBeNull();
    });

    it("returns ancestors, descendants and their connections", async () => {
      const tree = processTreeSchema.parse(await ctx.port.getProcessTree("h-1", "p-ps"));
      expect(tree.processes.map((p) => p.id).sort()).toEqual(["p-child", "p-ps", "p-root", "p-word"]);
      expect(tree.connections).toEqual([FIXTURE.connection]);
      expect(await ctx.port.getProcessTree("h-1", "p-none")).toBeNull();
    });

    it("lists detections within the window only", async () => {
      const inside = await ctx.port.listDetections({
        hostId: "h-1",
        ...{ since: FIXTURE.window.from, until: FIXTURE.window.to },
      });
      expect(inside.map((d) => edrDetectionSchema.parse(d).id)).toEqual(["d-1"]);
      expect(await ctx.port.listDetections({ hostId: "h-1", until: FIXTURE.window.from })).toEqual([]);
    });
  });
}
