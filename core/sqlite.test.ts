import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { isTriageError } from "./errors.ts";
import { requireSqliteModule, sqliteFailureOf } from "./sqlite.ts";

const dir = mkdtempSync(join(tmpdir(), "sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const thrown = (run: () => unknown): unknown => {
  try {
    run();
  } catch (error) {
    return error;
  }
  return null;
};

describe("requireSqliteModule", () => {
  it("passes when better-sqlite3 loads", () => {
    expect(thrown(() => requireSqliteModule("x.db"))).toBeNull();
  });

  it("blames the installation, in one line, when the compiled module cannot load", () => {
    const error = thrown(() => requireSqliteModule("the lab database x.db", join(dir, "missing.node")));
    expect(isTriageError(error) && error.code).toBe("INTERNAL");
    const message = error instanceof Error ? error.message : "";
    expect(message).not.toContain("\n");
    expect(message).toMatch(
      /^cannot open the lab database x\.db: the SQLite module \(better-sqlite3\) did not load: /,
    );
    expect(message).toMatch(/npm rebuild better-sqlite3`$/);
  });
});

describe("sqliteFailureOf", () => {
  const firstRead = (path: string) =>
    thrown(() => {
      const db = new Database(path);
      try {
        db.prepare("SELECT name FROM sqlite_master").all();
      } finally {
        db.close();
      }
    });

  it("tells a file that is not SQLite from a damaged one and from one SQLite cannot open", () => {
    const text = join(dir, "text.db");
    writeFileSync(text, "not a database\n".repeat(200));
    expect(sqliteFailureOf(firstRead(text))?.kind).toBe("not_sqlite");

    const damaged = join(dir, "damaged.db");
    const db = new Database(damaged);
    db.exec("CREATE TABLE t (x TEXT)");
    db.close();
    // A valid header, then garbage where the schema's b-tree page begins.
    const bytes = readFileSync(damaged);
    bytes.fill(0xff, 100, 200);
    writeFileSync(damaged, bytes);
    expect(sqliteFailureOf(firstRead(damaged))?.kind).toBe("corrupt");

    // A directory where the file should be.
    expect(sqliteFailureOf(firstRead(dir))).toEqual({
      kind: "unreadable",
      detail: expect.stringMatching(/SQLITE_CANTOPEN\)$/),
    });
    expect(sqliteFailureOf(new Error("other"))).toBeNull();
  });
});
