import { describe, expect, it } from "vitest";
import type { Alert } from "../core/domain.ts";
import { extractObservables, normalizeAlert } from "./normalize.ts";

const base: Alert = {
  id: "A-1",
  source: "test",
  family: "email",
  type: "user_reported_phish",
  title: "Reported",
  description: "",
  severity: "medium",
  createdAt: "2026-11-02T08:00:00Z",
  observables: [
    { type: "email", value: "Bob@Example.COM", role: "sender" },
    { type: "email", value: "bob@example.com" },
  ],
  raw: {
    body: "see http://evil.test/login?u=1 from 203.0.113.9 or ask bob@example.com",
    nested: [{ ip: "10.0.0.1" }],
  },
};

describe("normalizeAlert", () => {
  it("lower-cases case-insensitive values and removes duplicates", () => {
    const emails = normalizeAlert(base).observables.filter((o) => o.type === "email");
    expect(emails).toEqual([{ type: "email", value: "bob@example.com", role: "sender" }]);
  });

  it("adds observables mentioned in raw fields, nested too", () => {
    const values = normalizeAlert(base).observables.map((o) => `${o.type}:${o.value}`);
    expect(values).toContain("url:http://evil.test/login?u=1");
    expect(values).toContain("ip:203.0.113.9");
    expect(values).toContain("ip:10.0.0.1");
  });

  it("bounds extraction", () => {
    const raw = {
      text: Array.from({ length: 1000 }, (_, i) => `10.0.${Math.floor(i / 250)}.${i % 250}`).join(" "),
    };
    expect(extractObservables(raw, 50)).toHaveLength(50);
  });
});
