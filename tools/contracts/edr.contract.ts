import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { edrDetectionSchema, hostSchema, processTreeSchema } from "../../core/domain.ts";
import { type Edr } from "../../core/ports.ts";
import type { ContractSetup } from "./types.ts";

/** Every Edr: hosts by name, the whole tree around a process with its connections, detections by window. */
export function describeEdrContract(name: string, setup: () => Promise<ContractSetup<Edr>>): void {
  describe(`Edr contract: ${name}`, () => {
    let ctx: ContractSetup<Edr>;
    beforeAll(async () => {
      ctx = await setup();
    });
    afterAll(async () => ctx.teardown?.());

    it("finds a host by name, case-insensitively", async () => {
      const { host } = ctx.fixture;
      expect(hostSchema.parse(await ctx.port.getHost(host.hostname.toLowerCase()))).toMatchObject({
        id: host.id,
        hostname: host.hostname,
        tags: host.tags,
        isolated: false,
      });
    });

    it("answers null for an unknown host", async () => {
      expect(await ctx.port.getHost(ctx.fixture.unknown.hostname)).toBeNull();
    });

    it("returns a process with all its ancestors and descendants, and their connections only", async () => {
      const tree = processTreeSchema.parse(await ctx.port.getProcessTree(ctx.fixture.host.id, "p-ps"));
      expect(tree.hostId).toBe(ctx.fixture.host.id);
      expect(tree.rootId).toBe("p-root");
      expect(tree.processes.map((p) => p.id).sort()).toEqual(["p-child", "p-ps", "p-root", "p-word"]);
      expect(tree.processes.find((p) => p.id === "p-ps")).toMatchObject({ parentId: "p-word", pid: 300 });
      expect(tree.connections).toEqual([ctx.fixture.connection]);
    });

    it("returns the tree from a leaf and from the root", async () => {
      const fromLeaf = processTreeSchema.parse(await ctx.port.getProcessTree(ctx.fixture.host.id, "p-child"));
      expect(fromLeaf.processes.map((p) => p.id).sort()).toEqual(["p-child", "p-ps", "p-root", "p-word"]);
      const fromRoot = processTreeSchema.parse(await ctx.port.getProcessTree(ctx.fixture.host.id, "p-root"));
      expect(fromRoot.processes.map((p) => p.id).sort()).toEqual(
        ctx.fixture.processes.map((p) => p.id).sort(),
      );
      expect(fromRoot.connections).toHaveLength(2);
    });

    it("answers null for an unknown process or a process on another host", async () => {
      expect(await ctx.port.getProcessTree(ctx.fixture.host.id, ctx.fixture.unknown.processId)).toBeNull();
      expect(await ctx.port.getProcessTree("h-other", "p-ps")).toBeNull();
    });

    it("lists detections of the host within the window, oldest first", async () => {
      const { window, detection, oldDetection } = ctx.fixture;
      const inside = await ctx.port.listDetections({
        hostId: detection.hostId,
        since: window.from,
        until: window.to,
      });
      expect(inside.map((d) => edrDetectionSchema.parse(d))).toEqual([detection]);
      expect(await ctx.port.listDetections({ hostId: detection.hostId, until: window.from })).toEqual([
        oldDetection,
      ]);
      expect((await ctx.port.listDetections({ hostId: detection.hostId })).map((d) => d.id)).toEqual([
        oldDetection.id,
        detection.id,
      ]);
      expect(await ctx.port.listDetections({ hostId: "h-other" })).toEqual([]);
    });
  });
}
