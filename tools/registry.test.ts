import { describe, expect, it } from "vitest";
import { z } from "zod";
import { isToolError, isTriageError, ToolError } from "../core/errors.ts";
import { combineIntel, withIntelCache } from "./intel.ts";
import { createLabToolset } from "./lab/index.ts";
import { createFixtureLab } from "./lab/testing/fixture.ts";
import { createToolset, integrationsSchema, type IntegrationsInput } from "./registry.ts";
import { routeActions } from "./route-actions.ts";
import type { IntelVerdict, ProposedAction } from "../core/domain.ts";
import type { IntelCacheStore, ResponseActions, ThreatIntel } from "../core/ports.ts";
import type { VendorModule } from "./vendors/types.ts";

const verdict = (v: IntelVerdict["verdict"], extra: Partial<IntelVerdict> = {}): IntelVerdict => ({
  observable: { type: "ip", value: "45.1.2.3" },
  verdict: v,
  score: null,
  sources: [],
  tags: [],
  ...extra,
});

function intelOf(vendor: string, answer: () => Promise<IntelVerdict>): ThreatIntel & { calls: number } {
  const port = {
    vendor,
    calls: 0,
    lookup: async () => {
      port.calls++;
      return answer();
    },
  };
  return port;
}

function responder(vendor: string, types: string[]): ResponseActions & { ran: string[] } {
  const ran: string[] = [];
  return {
    vendor,
    ran,
    supports: (type) => types.includes(type),
    execute: async (action) => {
      ran.push(action.type);
      return { outcome: "executed", detail: `${vendor} ran ${action.type}` };
    },
  };
}

/** Two made-up vendors: "acme" serves alerts, intel and actions; "zed" serves intel only. */
function modules(built: string[]): VendorModule[] {
  const acme: VendorModule<{ url: string }> = {
    name: "acme",
    provides: ["alerts", "intel", "actions"],
    configSchema: z.object({ url: z.url() }).strict(),
    create(config) {
      built.push(`acme ${config.url}`);
      const lab = createLabToolset(createFixtureLab());
      return {
        alerts: { ...lab.alerts, name: "acme" },
        intel: intelOf("acme", async () => verdict("harmless", { sources: ["acme"] })),
        actions: responder("acme", ["isolate_host"]),
        probe: async () => [{ check: "alerts", ok: true, detail: "fine" }],
      };
    },
  };
  const zed: VendorModule<Record<string, never>> = {
    name: "zed",
    provides: ["intel"],
    configSchema: z.object({}).strict(),
    create() {
      built.push("zed");
      return {
        intel: intelOf("zed", async () =>
          verdict("malicious", { score: 90, sources: ["zed"], tags: ["c2"] }),
        ),
        probe: async () => [],
      };
    },
  };
  return [acme, zed];
}

function compose(input: IntegrationsInput, built: string[] = []) {
  let labOpened = 0;
  const composed = createToolset(integrationsSchema.parse(input), {
    lab: () => {
      labOpened++;
      return createLabToolset(createFixtureLab());
    },
    modules: modules(built),
    context: { env: {}, now: () => new Date("2026-11-03T10:00:00Z") },
  });
  return { ...composed, labOpened: () => labOpened };
}

const badInput = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (isTriageError(error)) return `${error.code} ${error.message}`;
    throw error;
  }
  throw new Error("expected a TriageError");
};

describe("createToolset", () => {
  it("uses the lab for every port by default", () => {
    const composed = compose({});
    expect(composed.tools.alerts.name).toBe("lab");
    expect(composed.tools.actions.vendor).toBe("lab");
    expect(composed.vendors).toEqual([]);
    expect(composed.labOpened()).toBe(1);
  });

  it("builds each chosen vendor once, from its own block, and does not open the lab when unused", () => {
    const built: string[] = [];
    const composed = compose(
      {
        alerts: "acme",
        siem: "lab",
        intel: "acme",
        actions: ["acme"],
        vendors: { acme: { url: "https://acme.example" } },
      },
      built,
    );
    expect(built).toEqual(["acme https://acme.example"]);
    expect(composed.tools.alerts.name).toBe("acme");
    expect(composed.vendors.map((v) => [v.name, v.ports])).toEqual([
      ["acme", ["alerts", "intel", "actions"]],
    ]);
    expect(composed.labOpened()).toBe(1);
  });

  it("refuses configuration mistakes with one line naming them", () => {
    expect(badInput(() => compose({ alerts: "nosuch" }))).toBe(
      "BAD_INPUT integrations: unknown vendor nosuch; known: lab, acme, zed",
    );
    expect(badInput(() => compose({ alerts: "acme" }))).toBe(
      "BAD_INPUT integrations: acme is chosen but not configured: add integrations.vendors.acme",
    );
    expect(badInput(() => compose({ alerts: "acme", vendors: { acme: { url: "nope" } } }))).toMatch(
      /^BAD_INPUT integrations: vendors\.acme\.url: /,
    );
    expect(badInput(() => compose({ edr: "zed", vendors: { zed: {} } }))).toBe(
      "BAD_INPUT integrations: zed cannot serve edr",
    );
    expect(badInput(() => compose({ actions: ["zed"], vendors: { zed: {} } }))).toBe(
      "BAD_INPUT integrations: zed cannot serve actions",
    );
    expect(() => integrationsSchema.parse({ siem: "Splunk!" })).toThrow();
    expect(() => integrationsSchema.parse({ sime: "lab" })).toThrow();
  });

  it("combines several intel vendors: the most severe verdict wins and sources and tags merge", async () => {
    const { tools } = compose({
      intel: ["acme", "zed"],
      vendors: { acme: { url: "https://a.example" }, zed: {} },
    });
    expect(tools.intel.vendor).toBe("acme+zed");
    expect(await tools.intel.lookup({ type: "ip", value: "45.1.2.3" })).toMatchObject({
      verdict: "malicious",
      score: 90,
      sources: ["acme", "zed"],
      tags: ["c2"],
    });
  });

  it("sends actions to the acting ports' vendors by default, lab included, each to one that supports it", async () => {
    const { tools } = compose({
      edr: "lab",
      alerts: "acme",
      vendors: { acme: { url: "https://a.example" } },
    });
    expect(tools.actions.vendor).toBe("lab");
    const both = compose({ actions: ["acme", "lab"], vendors: { acme: { url: "https://a.example" } } }).tools
      .actions;
    expect(both.vendor).toBe("acme+lab");
    expect(both.supports("quarantine_message")).toBe(true);
  });
});

describe("combineIntel", () => {
  it("names a failing source in the detail and fails only when every source fails", async () => {
    const down = intelOf("down", async () => {
      throw new ToolError("RATE_LIMITED", "down: quota");
    });
    const up = intelOf("up", async () => verdict("suspicious", { detail: "seen twice" }));
    const merged = await combineIntel([down, up]).lookup({ type: "ip", value: "45.1.2.3" });
    expect(merged).toMatchObject({ verdict: "suspicious", detail: "seen twice; down failed (down: quota)" });
    const error = await combineIntel([down])
      .lookup({ type: "ip", value: "x" })
      .catch((e: unknown) => e);
    expect(isToolError(error) && error.code).toBe("RATE_LIMITED");
  });
});

describe("withIntelCache", () => {
  it("reuses a verdict within the TTL, refetches after it, and never caches a failure", async () => {
    const rows = new Map<string, { verdict: unknown; fetchedAt: string }>();
    const store: IntelCacheStore = {
      get: async (vendor, type, key) => rows.get(`${vendor}|${type}|${key}`) ?? null,
      put: async (vendor, type, key, verdict, fetchedAt) =>
        void rows.set(`${vendor}|${type}|${key}`, { verdict, fetchedAt }),
    };
    let clock = Date.parse("2026-11-03T10:00:00Z");
    let fail = false;
    const source = intelOf("acme", async () => {
      if (fail) throw new ToolError("RATE_LIMITED", "quota");
      return verdict("malicious", { score: 70 });
    });
    const cached = withIntelCache(source, store, {
      ttlMs: 3_600_000,
      now: () => new Date(clock),
    });
    await cached.lookup({ type: "domain", value: "Evil.TEST" });
    const again = await cached.lookup({ type: "domain", value: "evil.test" });
    expect(source.calls).toBe(1);
    expect(again).toMatchObject({ verdict: "malicious", observable: { type: "domain", value: "evil.test" } });
    clock += 3_600_001;
    fail = true;
    await expect(cached.lookup({ type: "domain", value: "evil.test" })).rejects.toThrow("quota");
    fail = false;
    await cached.lookup({ type: "domain", value: "evil.test" });
    expect(source.calls).toBe(3);
    await cached.lookup({ type: "domain", value: "evil.test" });
    expect(source.calls).toBe(3);
  });
});

describe("routeActions", () => {
  it("runs each action on the first responder that supports it and refuses what none supports", async () => {
    const edr = responder("edr", ["isolate_host"]);
    const mail = responder("mail", ["quarantine_message", "isolate_host"]);
    const routed = routeActions([edr, mail]);
    const act = (type: ProposedAction["type"]): ProposedAction => ({
      id: "act-1",
      type,
      target: "x",
      targetKind: "host",
      reason: "",
      blastRadius: 1,
      targetTags: [],
      params: {},
      evidenceIds: [],
    });
    await routed.execute(act("isolate_host"), { idempotencyKey: "k1" });
    await routed.execute(act("quarantine_message"), { idempotencyKey: "k2" });
    expect([edr.ran, mail.ran]).toEqual([["isolate_host"], ["quarantine_message"]]);
    expect(routed.supports("disable_user")).toBe(false);
    const error = await routed
      .execute(act("disable_user"), { idempotencyKey: "k3" })
      .catch((e: unknown) => e);
    expect(isToolError(error) && error.code).toBe("UNSUPPORTED");
  });
});
