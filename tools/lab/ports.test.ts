import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { describeAlertSourceContract } from "../contracts/alert-source.contract.ts";
import { describeEdrContract } from "../contracts/edr.contract.ts";
import { describeIdentityContract } from "../contracts/identity.contract.ts";
import { describeIntelContract } from "../contracts/intel.contract.ts";
import { describeMailContract } from "../contracts/mail.contract.ts";
import { describeResponseActionsContract } from "../contracts/response-actions.contract.ts";
import { describeSiemContract } from "../contracts/siem.contract.ts";
import type { ContractSetup } from "../contracts/types.ts";
import { isToolError, isTriageError } from "../../core/errors.ts";
import {
  directoryUserSchema,
  hostSchema,
  proposedActionSchema,
  responseOutcomeSchema,
  type ProposedActionInput,
} from "../../core/domain.ts";
import { type Toolset } from "../../core/ports.ts";
import { readGroundTruth } from "./ground-truth.ts";
import { createLabToolset, openLab } from "./index.ts";
import { matchesFilter } from "./ports.ts";
import { LAB_DDL, LAB_SCHEMA_VERSION } from "./schema.ts";
import { createFixtureLab, FIXTURE } from "./testing/fixture.ts";

const run = promisify(execFile);

type PortKey = "alerts" | "siem" | "edr" | "mail" | "identity" | "intel" | "actions";

/** A fresh fixture lab per suite, so one suite's actions cannot change what another reads. */
function labPort<K extends PortKey>(key: K): () => Promise<ContractSetup<Toolset[K]>> {
  return async () => {
    const db = createFixtureLab();
    return {
      port: createLabToolset(db)[key],
      fixture: FIXTURE,
      teardown: () => {
        db.close();
      },
    };
  };
}

describeAlertSourceContract("lab", labPort("alerts"));
describeSiemContract("lab", labPort("siem"));
describeEdrContract("lab", labPort("edr"));
describeMailContract("lab", labPort("mail"));
describeIdentityContract("lab", labPort("identity"));
describeIntelContract("lab", labPort("intel"));
describeResponseActionsContract("lab", labPort("actions"));

const action = (a: Omit<ProposedActionInput, "id" | "blastRadius" | "reason">) =>
  proposedActionSchema.parse({ id: "act-1", blastRadius: 1, reason: "lab test", ...a });

function withLab<T>(body: (tools: Toolset, db: Database.Database) => Promise<T>): Promise<T> {
  const db = createFixtureLab();
  return body(createLabToolset(db), db).finally(() => db.close());
}

describe("lab responder effects", () => {
  it("quarantine moves every copy of the message to Quarantine", () =>
    withLab(async (tools) => {
      const done = await tools.actions.execute(
        action({ type: "quarantine_message", target: FIXTURE.messageId, targetKind: "message" }),
        { idempotencyKey: "q" },
      );
      expect(done).toEqual({ outcome: "executed", detail: expect.stringContaining("2 copies") });
      const copies = await tools.mail.findMessages({ messageId: FIXTURE.messageId, limit: 10 });
      expect(copies.map((m) => m.folder)).toEqual(["Quarantine", "Quarantine"]);
      const others = await tools.mail.findMessages({ mailbox: "ann@corp.test", limit: 10 });
      expect(others.find((m) => m.id === "m-3")?.folder).toBe("Inbox");
    }));

  it("disables a user, isolates a host and removes a rule", () =>
    withLab(async (tools) => {
      await tools.actions.execute(
        action({ type: "disable_user", target: "BOB@corp.test", targetKind: "user" }),
        {
          idempotencyKey: "d",
        },
      );
      expect(directoryUserSchema.parse(await tools.identity.getUser("bob@corp.test")).accountEnabled).toBe(
        false,
      );
      await tools.actions.execute(action({ type: "isolate_host", target: "ws-01", targetKind: "host" }), {
        idempotencyKey: "i",
      });
      expect(hostSchema.parse(await tools.edr.getHost("WS-01")).isolated).toBe(true);
      await tools.actions.execute(
        action({ type: "remove_inbox_rule", target: "r-1", targetKind: "mailbox" }),
        {
          idempotencyKey: "r",
        },
      );
      expect(await tools.mail.listInboxRules("bob@corp.test")).toEqual([]);
    }));

  it("records record-only actions in action_log, with the detail returned", () =>
    withLab(async (tools, db) => {
      const done = await tools.actions.execute(
        action({ type: "block_domain", target: "evil.test", targetKind: "domain" }),
        { idempotencyKey: "b" },
      );
      expect(db.prepare("SELECT action_type, target, detail FROM action_log").all()).toEqual([
        { action_type: "block_domain", target: "evil.test", detail: done.detail },
      ]);
      expect(
        await tools.actions.execute(
          action({ type: "block_domain", target: "evil.test", targetKind: "domain" }),
          {
            idempotencyKey: "b",
          },
        ),
      ).toEqual({ outcome: "already_done", detail: done.detail });
    }));

  it("records a record-only action again under a new key, and supports every action but delete_mailbox", () =>
    withLab(async (tools) => {
      const block = action({ type: "block_ip", target: "45.1.2.3", targetKind: "ip" });
      expect((await tools.actions.execute(block, { idempotencyKey: "k-block-1" })).outcome).toBe("executed");
      expect((await tools.actions.execute(block, { idempotencyKey: "k-block-2" })).outcome).toBe("executed");
      expect(tools.actions.supports("isolate_host")).toBe(true);
    }));

  it("never automates delete_mailbox", () =>
    withLab(async (tools) => {
      expect(tools.actions.supports("delete_mailbox")).toBe(false);
      const error = await tools.actions
        .execute(action({ type: "delete_mailbox", target: "bob@corp.test", targetKind: "mailbox" }), {
          idempotencyKey: "x",
        })
        .catch((e: unknown) => e);
      expect(isToolError(error) && error.code).toBe("UNSUPPORTED");
    }));

  it("refuses a key reused for a different action instead of reporting it done", () =>
    withLab(async (tools) => {
      await tools.actions.execute(action({ type: "block_ip", target: "45.1.2.3", targetKind: "ip" }), {
        idempotencyKey: "same",
      });
      const error = await tools.actions
        .execute(action({ type: "block_ip", target: "45.9.9.9", targetKind: "ip" }), {
          idempotencyKey: "same",
        })
        .catch((e: unknown) => e);
      expect(isToolError(error) && error.code).toBe("BAD_INPUT");
    }));

  it("acts once when separate processes race on one key", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lab-race-"));
    try {
      const path = join(dir, "lab.db");
      createFixtureLab(path).close();
      const worker = fileURLToPath(new URL("./testing/race-worker.ts", import.meta.url));
      // Every process starts the action at the same instant, once all have booted and opened the lab.
      const startAt = String(Date.now() + 2_500);
      const outputs = await Promise.all(
        [1, 2, 3, 4].map(() =>
          run(process.execPath, ["--import", "tsx", worker, path, "race", startAt], { timeout: 20_000 }),
        ),
      );
      const outcomes = outputs.map(({ stdout }) => responseOutcomeSchema.parse(JSON.parse(stdout)).outcome);
      expect(outcomes.sort()).toEqual(["already_done", "already_done", "already_done", "executed"]);
      const db = openLab(path, { seed: 1 });
      expect(hostSchema.parse(await createLabToolset(db).edr.getHost(FIXTURE.host.hostname)).isolated).toBe(
        true,
      );
      expect(db.prepare("SELECT count(*) AS n FROM action_log").get()).toEqual({ n: 1 });
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe("lab ports on damaged data", () => {
  it("fails a malformed document with BAD_RESPONSE rather than returning it", () =>
    withLab(async (tools, db) => {
      db.prepare("UPDATE hosts SET doc = ? WHERE id = ?").run(JSON.stringify({ id: "h-1" }), "h-1");
      const error = await tools.edr.getHost("ws-01").catch((e: unknown) => e);
      expect(isToolError(error) && error.code).toBe("BAD_RESPONSE");
      db.prepare("UPDATE users SET doc = 'not json'").run();
      const broken = await tools.identity.getUser("bob@corp.test").catch((e: unknown) => e);
      expect(isToolError(broken) && broken.code).toBe("BAD_RESPONSE");
    }));

  it("refuses an unparseable time bound with BAD_INPUT", () =>
    withLab(async (tools) => {
      const error = await tools.identity
        .listSignIns({ user: "bob@corp.test", since: "yesterday", until: FIXTURE.window.to })
        .catch((e: unknown) => e);
      expect(isToolError(error) && error.code).toBe("BAD_INPUT");
    }));

  it("refuses to start an aborted call", () =>
    withLab(async (tools) => {
      const error = await tools.edr
        .getHost("ws-01", { signal: AbortSignal.abort() })
        .catch((e: unknown) => e);
      expect(isToolError(error) && error.code).toBe("TIMEOUT");
    }));

  it("stops a process tree at a parent cycle", () =>
    withLab(async (tools, db) => {
      // p-root's parent becomes p-child: a loop the depth bound and de-duplication must survive.
      db.prepare("UPDATE processes SET parent_id = 'p-child' WHERE id = 'p-root'").run();
      const tree = await tools.edr.getProcessTree("h-1", "p-ps");
      expect(new Set(tree?.processes.map((p) => p.id))).toEqual(new Set(FIXTURE.processes.map((p) => p.id)));
      expect(tree?.processes).toHaveLength(FIXTURE.processes.length);
    }));
});

describe("SIEM filter semantics of the lab", () => {
  const fields = {
    "user.name": "Bob@corp.test",
    "http.status": 404,
    "event.created": "2026-11-03T10:00:00.000Z",
  };
  it("compares keywords type-blind and case-insensitively", () => {
    expect(matchesFilter(fields, { field: "http.status", op: "eq", value: "404" })).toBe(true);
    expect(matchesFilter(fields, { field: "user.name", op: "in", value: ["bob@CORP.test"] })).toBe(true);
    expect(matchesFilter(fields, { field: "user.name", op: "contains", value: "BOB@" })).toBe(true);
  });
  it("orders numbers numerically and timestamps as instants", () => {
    expect(matchesFilter(fields, { field: "http.status", op: "gte", value: "1000" })).toBe(false);
    expect(matchesFilter(fields, { field: "http.status", op: "lte", value: 1000 })).toBe(true);
    expect(
      matchesFilter(fields, { field: "event.created", op: "gte", value: "2026-11-03T11:30:00+02:00" }),
    ).toBe(true);
    expect(matchesFilter(fields, { field: "event.created", op: "lte", value: "2026-11-03T09:59:59Z" })).toBe(
      false,
    );
  });
  it("lets a missing field match neq only", () => {
    expect(matchesFilter(fields, { field: "source.ip", op: "neq", value: "1.2.3.4" })).toBe(true);
    for (const op of ["eq", "contains", "gte", "lte"] as const)
      expect(matchesFilter(fields, { field: "source.ip", op, value: "1.2.3.4" })).toBe(false);
  });
});

describe("openLab", () => {
  const dir = mkdtempSync(join(tmpdir(), "lab-open-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const refusal = (path: string) => {
    try {
      openLab(path, { seed: 1 }).close();
    } catch (error) {
      return error;
    }
    return null;
  };

  function expectBadDatabase(error: unknown, path: string, reason: RegExp): void {
    expect(isTriageError(error) && error.code).toBe("BAD_DATABASE");
    const message = error instanceof Error ? error.message : "";
    expect(message).not.toContain("\n");
    expect(message).toContain(`${path} is not a soc-triage lab database: `);
    expect(message).toMatch(reason);
    expect(message).toMatch(/; delete it or run `triage lab reset`$/);
  }

  it("refuses a file that is not SQLite, in one line", () => {
    const path = join(dir, "garbage.db");
    writeFileSync(path, "this is not\na database\n".repeat(200));
    expectBadDatabase(refusal(path), path, /: it is not a SQLite file;/);
  });

  it("does not advise deleting a file SQLite cannot open: a directory in its place", () => {
    const path = join(dir, "a-directory.db");
    mkdirSync(path);
    const error = refusal(path);
    expect(isTriageError(error) && error.code).toBe("BAD_DATABASE");
    expect(error instanceof Error && error.message).toBe(
      `cannot open the lab database ${path}: unable to open database file (SQLITE_CANTOPEN)`,
    );
  });

  it("says when the lab's directory cannot be made", () => {
    const file = join(dir, "plain-file");
    writeFileSync(file, "");
    const path = join(file, "lab.db");
    const error = refusal(path);
    expect(isTriageError(error) && error.code).toBe("BAD_DATABASE");
    const message = error instanceof Error ? error.message : "";
    expect(message.startsWith(`cannot create the lab database ${path}: its directory cannot be made (`)).toBe(
      true,
    );
    expect(message).toContain("file already exists");
  });

  it("refuses a SQLite file without lab metadata", () => {
    const path = join(dir, "foreign.db");
    const db = new Database(path);
    db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)");
    db.close();
    expectBadDatabase(refusal(path), path, /no lab metadata/);
  });

  it("refuses a lab of another schema version", () => {
    const path = join(dir, "old.db");
    const db = new Database(path);
    db.exec(LAB_DDL);
    db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(
      String(LAB_SCHEMA_VERSION + 1),
    );
    db.close();
    expectBadDatabase(refusal(path), path, new RegExp(`schema version ${LAB_SCHEMA_VERSION + 1}`));
  });

  it("refuses a lab with a table missing", () => {
    const path = join(dir, "partial.db");
    createFixtureLab(path).exec("DROP TABLE intel");
    expectBadDatabase(refusal(path), path, /missing table intel/);
  });

  it("opens an existing lab in WAL mode without regenerating it", () => {
    const path = join(dir, "fixture.db");
    createFixtureLab(path).close();
    const db = openLab(path, { seed: 1 });
    try {
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(db.prepare("SELECT count(*) AS n FROM alerts").get()).toEqual({ n: FIXTURE.alerts.length });
    } finally {
      db.close();
    }
  });

  it("generates a lab, with ground truth, on a new path in a new directory", async () => {
    const path = join(dir, "nested", "lab.db");
    const db = openLab(path, { seed: 1337 });
    try {
      const alerts = await createLabToolset(db).alerts.listAlerts({ limit: 10_000 });
      expect(alerts.length).toBeGreaterThan(0);
      expect(
        readGroundTruth(db)
          .map((t) => t.alertId)
          .sort(),
      ).toEqual(alerts.map((a) => a.id).sort());
    } finally {
      db.close();
    }
    // Reopening finds the lab and keeps it.
    const again = openLab(path, { seed: 1337 });
    expect(again.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get()).toEqual({
      value: String(LAB_SCHEMA_VERSION),
    });
    again.close();
  });

  it("generates into an empty file", () => {
    const path = join(dir, "empty.db");
    writeFileSync(path, "");
    const db = openLab(path, { seed: 7 });
    expect(db.prepare("SELECT count(*) AS n FROM alerts").get()).not.toEqual({ n: 0 });
    db.close();
  });
});
