import { afterEach, describe, expect, it } from "vitest";
import { crowdstrikeConfigSchema, crowdstrikeVendor } from "./index.ts";
import type { FalconFake } from "./testing/fake.ts";
import { FAKE_ENV, falconUnderTest } from "./testing/harness.ts";

let fake: FalconFake | undefined;
afterEach(async () => fake?.close());

async function probe(...args: Parameters<typeof falconUnderTest>) {
  const t = await falconUnderTest(...args);
  fake = t.fake;
  return t.instance.probe();
}

describe("Falcon probes", () => {
  it("checks the token, then one cheap read per API, changing nothing", async () => {
    expect(await probe()).toEqual([
      { check: "crowdstrike: API token", ok: true, detail: "client credentials accepted" },
      { check: "edr: query hosts", ok: true, detail: "1 hosts visible" },
      { check: "alerts: query alerts", ok: true, detail: "4 alerts visible" },
      { check: "edr: process trees (ThreatGraph)", ok: true, detail: "ThreatGraph readable" },
    ]);
    expect(fake?.requests.every((r) => r.method === "GET" || r.path === "/oauth2/token")).toBe(true);
  });

  it("says authentication was refused, in one line", async () => {
    expect(await probe({ refuseAuth: true })).toEqual([
      {
        check: "crowdstrike: API token",
        ok: false,
        detail: "crowdstrike: POST /oauth2/token: token refused: access denied, authorization failed",
      },
    ]);
  });

  it("says which scope the API client lacks", async () => {
    const lines = await probe({ forbid: ["hosts", "threatgraph"] });
    expect(lines.map((l) => [l.check, l.ok])).toEqual([
      ["crowdstrike: API token", true],
      ["edr: query hosts", false],
      ["alerts: query alerts", true],
      ["edr: process trees (ThreatGraph)", false],
    ]);
    expect(lines[1]?.detail).toBe(
      "crowdstrike: API client lacks Hosts:read (GET /devices/queries/devices/v1: HTTP 403 access denied, authorization failed)",
    );
    expect(lines[3]?.detail).toMatch(/^crowdstrike: API client lacks Threatgraph:read/);
  });

  it("says the API is unreachable when it is down", async () => {
    const instance = crowdstrikeVendor.create(
      crowdstrikeConfigSchema.parse({ baseUrl: "http://127.0.0.1:1" }),
      {
        env: FAKE_ENV,
        http: { sleep: async () => undefined },
        now: () => new Date(),
      },
    );
    const [line, ...rest] = await instance.probe();
    expect(rest).toEqual([]);
    expect(line?.ok).toBe(false);
    expect(line?.detail).toMatch(/^crowdstrike: POST \/oauth2\/token: cannot reach http:\/\/127\.0\.0\.1:1/);
  });
});
