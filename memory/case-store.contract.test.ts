import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { SqliteCaseMemory } from "./case-store.ts";
import { describeCaseMemoryContract } from "./contract.ts";
import { openCaseDatabase } from "./db.ts";

const auditRowSchema = z.object({ event: z.string(), case_id: z.string().nullable() });

describeCaseMemoryContract("SqliteCaseMemory", async (now) => {
  // A file, not :memory:, so a second connection can race the first as another process would.
  const dir = mkdtempSync(join(tmpdir(), "soc-triage-contract-"));
  const path = join(dir, "cases.db");
  const db = openCaseDatabase(path);
  const others = [db];
  return {
    memory: new SqliteCaseMemory(db, { now }),
    another: async () => {
      const other = openCaseDatabase(path);
      others.push(other);
      return new SqliteCaseMemory(other, { now });
    },
    auditRows: async () =>
      db
        .prepare("SELECT event, case_id FROM audit_log ORDER BY seq")
        .all()
        .map((r) => auditRowSchema.parse(r))
        .map((r) => ({ event: r.event, caseId: r.case_id })),
    close: async () => {
      for (const other of others) other.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
