import { describe, expect, it } from "vitest";
import type { ObservableHistory } from "../../../core/domain.ts";
import { defaultOrganization } from "../../../core/organization.ts";
import { CONFIRMED_WEIGHTS, indicatorKind, MEMORY_WEIGHTS, memorySignals } from "./memory-signals.ts";

function seen(type: string, value: string, counts: Partial<ObservableHistory> = {}): ObservableHistory {
  return {
    type,
    value,
    seenInCases: 1,
    confirmedMalicious: 0,
    confirmedBenign: 0,
    confirmedBy: [],
    unconfirmedMalicious: 0,
    listed: null,
    ...counts,
  };
}
const signalsOf = (history: ObservableHistory[]) =>
  memorySignals({ history, organization: defaultOrganization });
const total = (history: ObservableHistory[]) => signalsOf(history).reduce((s, x) => s + x.weight, 0);

describe("indicatorKind", () => {
  it("tells specific indicators from broad and background ones", () => {
    const kind = (type: string, value: string) => indicatorKind({ type, value }, defaultOrganization);
    expect(kind("url", "https://evil.test/login")).toBe("payload");
    expect(kind("file_hash", "ab".repeat(32))).toBe("payload");
    expect(kind("message_id", "<1@evil.test>")).toBe("payload");
    expect(kind("email", "someone@gmail.com")).toBe("address");
    expect(kind("domain", "enron.com")).toBe("broad");
    expect(kind("ip", "40.107.1.1")).toBe("broad");
    expect(kind("domain", "gmail.com")).toBe("background");
    expect(kind("domain", "northwindtraders.com")).toBe("background");
    expect(kind("email", "billing@fabrikam.com")).toBe("background");
    expect(kind("url", "https://mail.northwindtraders.com/x")).toBe("background");
    expect(kind("url", "not a url")).toBe("background");
  });
});

describe("memorySignals", () => {
  it("gives the engine's own verdicts on a broad indicator no weight, however many", () => {
    expect(signalsOf([seen("domain", "enron.com", { seenInCases: 80, unconfirmedMalicious: 80 })])).toEqual(
      [],
    );
  });

  it("bounds a payload indicator of unconfirmed cases, whatever the number of cases", () => {
    const one = total([seen("url", "https://a.test/x", { unconfirmedMalicious: 1 })]);
    const many = total([seen("url", "https://a.test/x", { seenInCases: 90, unconfirmedMalicious: 90 })]);
    expect(one).toBe(many);
    const all = signalsOf([
      seen("url", "https://a.test/x", { unconfirmedMalicious: 3 }),
      seen("message_id", "<1@a.test>", { unconfirmedMalicious: 3 }),
      seen("file_hash", "cd".repeat(32), { unconfirmedMalicious: 3 }),
    ]);
    expect(all).toHaveLength(1);
    expect(all[0]?.weight).toBe(MEMORY_WEIGHTS.unconfirmedCap);
    expect(all[0]?.title).toContain("engine verdict, unconfirmed");
  });

  it("gives the engine's own verdicts on a sender's address no weight; a person's word on it weighs", () => {
    expect(signalsOf([seen("email", "kay@enron.test", { seenInCases: 9, unconfirmedMalicious: 9 })])).toEqual(
      [],
    );
    expect(total([seen("email", "kay@enron.test", { confirmedMalicious: 1, confirmedBy: ["alice"] })])).toBe(
      CONFIRMED_WEIGHTS.malicious.specific,
    );
  });

  it("lets a person's word weigh, both ways, and names them", () => {
    const bad = signalsOf([
      seen("url", "https://a.test/x", {
        confirmedMalicious: 1,
        confirmedBy: ["alice"],
        unconfirmedMalicious: 4,
      }),
    ]);
    expect(bad).toEqual([
      expect.objectContaining({
        id: "memory.confirmed_malicious",
        weight: CONFIRMED_WEIGHTS.malicious.specific,
        title: expect.stringContaining("confirmed malicious by alice"),
      }),
    ]);
    const good = signalsOf([seen("domain", "enron.com", { confirmedBenign: 2, confirmedBy: ["bob"] })]);
    expect(good).toEqual([
      expect.objectContaining({ id: "memory.confirmed_benign", weight: CONFIRMED_WEIGHTS.benign.broad }),
    ]);
  });

  it("never weighs our own, our partners' or free-mail domains, even confirmed", () => {
    expect(
      signalsOf([
        seen("domain", "gmail.com", { confirmedMalicious: 3, confirmedBy: ["alice"] }),
        seen("domain", "northwindtraders.com", { confirmedMalicious: 3, confirmedBy: ["alice"] }),
      ]),
    ).toEqual([]);
  });

  it("keeps the analysts' lists", () => {
    expect(signalsOf([seen("domain", "evil.test", { listed: "deny" })])).toEqual([
      expect.objectContaining({ id: "memory.deny_listed", weight: 2.5 }),
    ]);
  });
});
