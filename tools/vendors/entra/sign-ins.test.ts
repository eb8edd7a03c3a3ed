import { afterEach, describe, expect, it } from "vitest";
import { isToolError } from "../../../core/errors.ts";
import type { SignIn } from "../../../core/domain.ts";
import { fixtureState, signInDoc, type GraphSignInDoc } from "../graph/testing/fake-state.ts";
import { parseFilter } from "../graph/testing/odata.ts";
import { signInResult, toSignIn } from "./sign-ins.ts";
import { entraHarness, type EntraHarness } from "./testing/harness.ts";

let h: EntraHarness;
afterEach(async () => h?.close());

const T = (minutes: number) =>
  new Date(Date.parse("2026-11-03T10:00:00.000Z") + minutes * 60_000).toISOString();
const base: SignIn = {
  id: "x",
  user: "bob@corp.test",
  timestamp: T(0),
  ip: "45.1.2.3",
  country: "RO",
  city: "Bucharest",
  app: "Office 365",
  result: "success",
  userAgent: null,
  deviceCompliant: false,
  riskLevel: "high",
};
const doc = (s: Partial<SignIn>, extra: Partial<GraphSignInDoc> = {}): GraphSignInDoc => ({
  ...signInDoc({ ...base, ...s }),
  ...extra,
});
const window = { user: "bob@corp.test", since: T(-120), until: T(120) };
const filters = () =>
  h.server.requests.filter((r) => r.query.has("$filter")).map((r) => r.query.get("$filter"));

describe("entra sign-ins: results", () => {
  it("maps error codes and MFA steps to our results, honestly", () => {
    const record = (s: Partial<SignIn>, extra: Partial<GraphSignInDoc> = {}) => signInResult(doc(s, extra));
    expect(record({ result: "success" })).toBe("success");
    expect(record({ result: "failure" })).toBe("failure");
    expect(record({ result: "mfa_denied" })).toBe("mfa_denied");
    expect(record({ result: "mfa_timeout" })).toBe("mfa_timeout");
    expect(record({ result: "mfa_approved" })).toBe("mfa_approved");
    // MFA required (an interruption before the prompt) is not a denial.
    const required = {
      errorCode: 50074,
      failureReason: "Strong Authentication is required.",
      additionalDetails: null,
    };
    expect(record({ result: "failure" }, { status: required })).toBe("failure");
    // A second factor carried in the token is no prompt approved now.
    const claim = [
      {
        authenticationMethod: "Previously satisfied",
        succeeded: true,
        authenticationStepResultDetail: "MFA requirement satisfied by claim in the token",
      },
    ];
    expect(record({ result: "success" }, { authenticationDetails: claim })).toBe("success");
    // 500121 without details is a failed second factor; without authenticationDetails (v1.0), still that.
    const bare = {
      errorCode: 500121,
      failureReason: "Authentication failed during strong authentication request.",
      additionalDetails: null,
    };
    expect(record({ result: "failure" }, { status: bare })).toBe("mfa_denied");
  });

  it("normalizes the record: time to ms, unknown risk to null, empty places to null, app fallbacks", () => {
    const mapped = toSignIn(
      doc(
        { riskLevel: null, country: null, deviceCompliant: null },
        { appDisplayName: "", createdDateTime: "2026-11-03T10:00:00.1234567Z" },
      ),
      "bob@corp.test",
    );
    expect(mapped).toMatchObject({
      timestamp: "2026-11-03T10:00:00.123Z",
      riskLevel: null,
      country: null,
      city: "Bucharest",
      deviceCompliant: null,
      app: "unknown",
      userAgent: null,
    });
    expect(toSignIn(doc({ riskLevel: "medium" }), "bob@corp.test").riskLevel).toBe("medium");
  });
});

describe("entra sign-ins: reads", () => {
  it("filters by user and window with hostile values kept inside their literals", async () => {
    const upn = "o'brien|x\\y\n@corp.test";
    h = await entraHarness();
    expect(await h.identity.listSignIns({ ...window, user: upn })).toEqual([]);
    const [filter] = filters();
    expect(filter).toBe(
      `userPrincipalName eq 'o''brien|x\\y\n@corp.test' and createdDateTime ge ${T(-120)} and createdDateTime le ${T(120)}`,
    );
    const clauses = parseFilter(filter ?? "");
    expect(clauses[0]?.value).toEqual({ kind: "string", text: upn });
    const request = h.server.requests.find((r) => r.path === "/v1.0/auditLogs/signIns");
    expect(request?.query.get("$top")).toBe("1000");
  });

  it("refuses timestamps that are not timestamps, and answers [] for an empty window without asking", async () => {
    h = await entraHarness();
    for (const since of ["2026-11-03 or 1 eq 1", "now"]) {
      const error = await h.identity.listSignIns({ ...window, since }).catch((e: unknown) => e);
      expect(isToolError(error) && error.code).toBe("BAD_INPUT");
    }
    expect(await h.identity.listSignIns({ ...window, since: T(10), until: T(0) })).toEqual([]);
    expect(h.server.requests.filter((r) => r.path === "/v1.0/auditLogs/signIns")).toEqual([]);
  });

  it("returns the oldest first across newest-first pages, the limit keeping the oldest", async () => {
    const state = fixtureState();
    state.signIns = Array.from({ length: 7 }, (_, i) =>
      doc({ id: `s${i}`, user: "bob@corp.test", timestamp: T(-70 + i * 10) }),
    );
    h = await entraHarness({ state, pageSize: 2 });
    const found = await h.identity.listSignIns({ ...window, limit: 3 });
    expect(found.map((s) => s.id)).toEqual(["s0", "s1", "s2"]);
    expect(h.server.requests.filter((r) => r.path === "/v1.0/auditLogs/signIns")).toHaveLength(4);
  });

  it("halves a window holding more than the scan bound, reading the older half first", async () => {
    const state = fixtureState();
    state.signIns = Array.from({ length: 40 }, (_, i) =>
      doc({ id: `s${String(i).padStart(2, "0")}`, user: "bob@corp.test", timestamp: T(-100 + i) }),
    );
    h = await entraHarness({ state, pageSize: 5, config: { signInScanLimit: 10 } });
    const oldest = await h.identity.listSignIns({ ...window, limit: 3 });
    expect(oldest.map((s) => s.id)).toEqual(["s00", "s01", "s02"]);
    const user = "userPrincipalName eq 'bob@corp.test' and createdDateTime ge " + T(-120);
    expect(filters()).toEqual([
      `${user} and createdDateTime le ${T(120)}`,
      `${user} and createdDateTime lt ${T(0)}`,
      `${user} and createdDateTime lt ${T(-60)}`,
      `${user} and createdDateTime lt ${T(-90)}`,
    ]);
    // Each window stops reading at the bound plus one record.
    expect(h.server.requests.filter((r) => r.path === "/v1.0/auditLogs/signIns")).toHaveLength(3 + 3 + 3 + 2);
    const fifteen = await h.identity.listSignIns({ ...window, limit: 15 });
    expect(fifteen.map((s) => s.id)).toEqual(state.signIns.slice(0, 15).map((s) => s.id));
  });

  it("retries a throttled read and reports a tenant without P1/P2 as FORBIDDEN", async () => {
    h = await entraHarness();
    h.server.inject({
      status: 429,
      headers: { "retry-after": "1" },
      body: { error: { code: "TooManyRequests", message: "slow down" } },
    });
    expect(await h.identity.listSignIns(window)).toHaveLength(2);
    expect(h.waits[0]).toBeGreaterThanOrEqual(1000);
    await h.close();
    h = await entraHarness({ premium: false });
    const error = await h.identity.listSignIns(window).catch((e: unknown) => e);
    expect(isToolError(error) && error.code).toBe("FORBIDDEN");
  });
});
