import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { redact } from "../core/redact.ts";
import { loadConfig } from "./config.ts";

describe("model configuration", () => {
  const base = { TRIAGE_DB: "/tmp/x/cases.db" };
  it("stays offline unless asked, and needs a key for OpenAI", () => {
    expect(loadConfig({}, base).llm.provider).toBe("offline");
    expect(() => loadConfig({}, { ...base, TRIAGE_LLM: "openai" })).toThrow(/OPENAI_API_KEY/);
    expect(() => loadConfig({}, { ...base, TRIAGE_LLM: "gpt" })).toThrow(/offline, openai or ollama/);
  });

  it("redacts for remote endpoints by default, not for local ones, and obeys TRIAGE_REDACT", () => {
    const openai = { ...base, TRIAGE_LLM: "openai", OPENAI_API_KEY: "sk-x" };
    expect(loadConfig({}, openai).llm.redact).toBe(true);
    expect(loadConfig({}, { ...openai, OPENAI_BASE_URL: "http://127.0.0.1:8000/v1" }).llm.redact).toBe(false);
    expect(loadConfig({}, { ...base, TRIAGE_LLM: "ollama" }).llm).toMatchObject({
      redact: false,
      baseURL: "http://127.0.0.1:11434",
    });
    expect(
      loadConfig({}, { ...base, TRIAGE_LLM: "ollama", OLLAMA_HOST: "https://gpu.example.org/" }).llm.redact,
    ).toBe(true);
    expect(loadConfig({}, { ...openai, TRIAGE_REDACT: "0" }).llm.redact).toBe(false);
    expect(loadConfig({}, { ...openai, TRIAGE_ASSESS_MODEL: "big" }).llm.assessModel).toBe("big");
  });
});

describe("audit configuration", () => {
  const base = { TRIAGE_DB: "/tmp/x/cases.db" };
  const configFile = (text: string) => {
    const dir = mkdtempSync(join(tmpdir(), "soc-triage-config-"));
    const path = join(dir, "triage.yaml");
    writeFileSync(path, text);
    return { dir, path };
  };

  it("keeps key and head beside the database unless told, and the key from the environment first", () => {
    expect(loadConfig({}, base).audit).toEqual({
      key: { kind: "file", path: "/tmp/x/cases.db.audit-key" },
      headFile: "/tmp/x/cases.db.audit-head",
    });
    const key = "ab".repeat(32);
    expect(loadConfig({}, { ...base, TRIAGE_AUDIT_KEY: key }).audit.key).toEqual({ kind: "env", text: key });
    expect(() => loadConfig({}, { ...base, TRIAGE_AUDIT_KEY: "short" })).toThrow(
      /TRIAGE_AUDIT_KEY is not an audit key/,
    );
  });

  it("resolves keyFile, head and stream paths against the config file; the head goes beside the key", () => {
    const { dir, path } = configFile(
      "audit:\n  keyFile: keys/audit.key\n  stream:\n    jsonl: audit.jsonl\n    syslog: { host: 127.0.0.1, port: 5514 }\n",
    );
    try {
      expect(loadConfig({ config: path }, base).audit).toEqual({
        key: { kind: "file", path: join(dir, "keys", "audit.key") },
        headFile: join(dir, "keys", "cases.db.audit-head"),
        stream: {
          jsonl: join(dir, "audit.jsonl"),
          syslog: { host: "127.0.0.1", port: 5514, protocol: "udp" },
        },
      });
      writeFileSync(path, "audit:\n  stream:\n    syslog: { host: h, port: 514, protocol: sctp }\n");
      expect(() => loadConfig({ config: path }, base)).toThrow(/audit\.stream\.syslog\.protocol/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("queue configuration", () => {
  const base = { TRIAGE_DB: "/tmp/x/cases.db" };
  it("has no queue unless one is named, and --queue outranks TRIAGE_QUEUE", () => {
    expect(loadConfig({}, base).queueUrl).toBeNull();
    expect(loadConfig({}, { ...base, TRIAGE_QUEUE: "postgres://soc@db/triage" }).queueUrl).toBe(
      "postgres://soc@db/triage",
    );
    expect(
      loadConfig({ queue: "postgresql://soc@other/q" }, { ...base, TRIAGE_QUEUE: "postgres://soc@db/triage" })
        .queueUrl,
    ).toBe("postgresql://soc@other/q");
  });

  it("turns a Redis queue away with one line naming where it came from", () => {
    expect(() => loadConfig({}, { ...base, TRIAGE_QUEUE: "redis://127.0.0.1:6379" })).toThrow(
      "TRIAGE_QUEUE: a Redis queue is not supported; use postgres://user@host:5432/db (pg-boss on PostgreSQL)",
    );
    expect(() => loadConfig({ queue: "redis://cache:6379" }, base)).toThrow(/^--queue: a Redis queue/);
  });
});

describe("case memory location", () => {
  const env = { XDG_DATA_HOME: "/tmp/xdg" };

  it("keeps a PostgreSQL URL as it is, with key, head and lab in the data directory", () => {
    const url = "postgres://triage:correct-horse-battery@db.internal:6543/cases";
    const config = loadConfig({}, { ...env, TRIAGE_DB: url });
    expect(config.databasePath).toBe(url);
    expect(config.labDatabasePath).toBe("/tmp/xdg/soc-triage/lab.db");
    expect(config.audit).toEqual({
      key: { kind: "file", path: "/tmp/xdg/soc-triage/postgres-db.internal-6543-cases.audit-key" },
      headFile: "/tmp/xdg/soc-triage/postgres-db.internal-6543-cases.audit-head",
    });
    // The password is a secret from now on: no output shows it.
    expect(redact(`cannot reach ${url}`)).not.toContain("correct-horse-battery");
    expect(loadConfig({ db: "postgresql://127.0.0.1/other" }, { ...env, TRIAGE_DB: url }).databasePath).toBe(
      "postgresql://127.0.0.1/other",
    );
  });

  it("takes a URL from the config file without resolving it as a path; a file path still resolves", () => {
    const dir = mkdtempSync(join(tmpdir(), "soc-triage-config-"));
    const path = join(dir, "triage.yaml");
    try {
      writeFileSync(path, "database: postgres://127.0.0.1:5432/cases\n");
      expect(loadConfig({ config: path }, env).databasePath).toBe("postgres://127.0.0.1:5432/cases");
      writeFileSync(path, "database: data/cases.db\n");
      expect(loadConfig({ config: path }, env).databasePath).toBe(join(dir, "data", "cases.db"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("turns away a PostgreSQL URL without a database with one line", () => {
    expect(() => loadConfig({}, { ...env, TRIAGE_DB: "postgres://127.0.0.1:5432" })).toThrow(
      "postgres://127.0.0.1:5432 names no database (postgres://host/NAME)",
    );
  });
});
