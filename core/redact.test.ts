import { describe, expect, it } from "vitest";
import { ToolError, TriageError, describeError } from "./errors.ts";
import { REDACTED, SecretRegistry, redact, redactValue, registerRequestSecrets } from "./redact.ts";

const fresh = () => new SecretRegistry();

describe("redact", () => {
  it("removes every registered value, also URL- and JSON-encoded, longest first", () => {
    const registry = fresh();
    registry.add("s3cr3t+/value=", "s3cr3t+/value=-and-more", "short");
    const text = `a s3cr3t+/value=-and-more b s3cr3t%2B%2Fvalue%3D c s3cr3t+/value= d short`;
    expect(redact(text, { registry })).toBe(`a ${REDACTED} b ${REDACTED} c ${REDACTED} d short`);
  });

  it("collects secrets from the environment by variable name and by the names a config points at", () => {
    const registry = fresh();
    registry.addFromEnv(
      { SPLUNK_TOKEN: "tok-123456", VT_API_KEY: "vtkey-98765", HOME: "/root/home", MY_CRED: "named-only-1" },
      ["MY_CRED"],
    );
    expect(redact("tok-123456 vtkey-98765 /root/home named-only-1", { registry })).toBe(
      `${REDACTED} ${REDACTED} /root/home ${REDACTED}`,
    );
  });

  it("removes credential header echoes in the shapes proxies print them", () => {
    const registry = fresh();
    const echoes = [
      "authorization: Bearer abc.def-unregistered",
      '{"Authorization":"Splunk 0123456789abcdef"}',
      "x-apikey: unregistered-vt-key",
      "'X-Api-Key': 'zzz-unregistered'",
      "cookie: session=abcdef123; other=1",
      "Set-Cookie: sid=xyz987654",
      "client_secret=unregistered-secret&scope=x",
      "apikey=qqqqqqqqqq",
    ];
    for (const echo of echoes) {
      const out = redact(echo, { registry });
      expect(out, echo).toContain(REDACTED);
      expect(out, echo).not.toMatch(/unregistered|0123456789abcdef|zzz-|abcdef123|xyz987654|qqqqqqqqqq/);
    }
    // `key` and `token` alone are credentials only in error bodies (strict), not in evidence fields.
    expect(redact('{"key":"HKLM\\\\Software\\\\Run"}', { registry })).toContain("HKLM");
    expect(redact("key: abuse-key-123456", { registry, strict: true })).toBe(`key: ${REDACTED}`);
  });

  it("removes bearer-, JWT- and vendor-token-shaped strings and URL passwords", () => {
    const registry = fresh();
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbm4ifQ.c2lnbmF0dXJlLXBhcnQ";
    expect(redact(`curl -H "Bearer abcdefghijklmnop" ${jwt}`, { registry })).toBe(
      `curl -H "Bearer ${REDACTED}" ${REDACTED}`,
    );
    expect(redact("xoxb-1234567890-abcdefghij sk-abcdefghijklmnopqrstuvwx", { registry })).toBe(
      `${REDACTED} ${REDACTED}`,
    );
    expect(redact("https://admin:hunter2pass@es.corp:9200/_search", { registry })).toBe(
      `https://${REDACTED}@es.corp:9200/_search`,
    );
  });

  it("leaves ordinary evidence alone: IPs, hashes, emails, URLs, dates", () => {
    const text =
      "203.0.113.9 44d88612fea8a8f36de82e1278abb02f ann@corp.test https://login.example/a?b=c 2026-11-03T12:00:00Z";
    expect(redact(text, { registry: fresh() })).toBe(text);
  });

  it("redacts every string of a value, keeping its shape", () => {
    const registry = fresh();
    registry.add("canary-value-1");
    expect(
      redactValue({ a: ["x canary-value-1", 3, null], b: { c: "canary-value-1" }, d: true }, { registry }),
    ).toEqual({ a: [`x ${REDACTED}`, 3, null], b: { c: REDACTED }, d: true });
  });

  it("redacts a string under a credential's name, whatever its shape, and keeps ordinary key fields", () => {
    const data = {
      password: "hunter2hunter2",
      Authorization: "Token abcdefghijkl",
      key: "HKLM\\Run",
      token: "t-1",
    };
    expect(redactValue(data, { registry: fresh() })).toEqual({
      password: REDACTED,
      Authorization: REDACTED,
      key: "HKLM\\Run",
      token: "t-1",
    });
  });

  it("registers what a request sends to authenticate, and the token after its scheme", () => {
    const registry = fresh();
    registerRequestSecrets(
      { authorization: "Bearer fetched-access-token-1", accept: "application/json", key: "abuse-key-777" },
      [
        ["client_secret", "form-secret-42"],
        ["scope", "https://graph.microsoft.com/.default"],
      ],
      registry,
    );
    expect(redact("fetched-access-token-1 abuse-key-777 form-secret-42 application/json", { registry })).toBe(
      `${REDACTED} ${REDACTED} ${REDACTED} application/json`,
    );
  });

  it("keeps configured secrets for good and drops the oldest fetched tokens past 5,000", () => {
    const registry = fresh();
    registry.add("configured-secret-1");
    for (let i = 0; i < 5_001; i++) registry.addFetched(`fetched-token-${String(i).padStart(5, "0")}`);
    expect(redact("configured-secret-1 fetched-token-00000 fetched-token-05000", { registry })).toBe(
      `${REDACTED} fetched-token-00000 ${REDACTED}`,
    );
  });

  it("applies to ToolError and TriageError messages and describeError", () => {
    const header = "authorization: Bearer zz-unregistered-token-1";
    expect(new ToolError("UPSTREAM_ERROR", `x: ${header}`).message).not.toContain("zz-unregistered");
    expect(new TriageError("BAD_INPUT", header).message).not.toContain("zz-unregistered");
    expect(describeError(new Error(`\n${header}\nmore`))).toBe(`authorization: Bearer ${REDACTED}`);
  });
});
