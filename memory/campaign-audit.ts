/**
 * A temporary CampaignAuditor over SQLite case memory's synchronous audit log (SqliteCaseMemory
 * .sqliteAudit()), until case memory runs on the async driver and offers its own auditor. The driver's
 * SQLite transaction is a transaction of the same better-sqlite3 connection, so each row is appended as a
 * savepoint of it and commits or rolls back with the campaign change.
 */
import type { AuditEntry } from "../core/domain.ts";
import type { CampaignAuditor } from "./campaigns.ts";
import type { SqliteSqlDriver } from "./sql/sqlite-driver.ts";

/** What SqliteCaseMemory.sqliteAudit() returns. */
export interface SqliteAudit {
  transaction<T>(work: () => T): T;
  audit(entry: AuditEntry): void;
}

/** An auditor appending through `audit`, inside transactions of `driver` (over the same connection). */
export function sqliteCampaignAuditor(audit: SqliteAudit, driver: SqliteSqlDriver): CampaignAuditor {
  return {
    async append(entries) {
      for (const entry of entries) audit.audit(entry);
      // The audit log moves its head file and stream on once no transaction is open, which it checks when
      // its own transactions end; the driver's commit it cannot see, so it is told after it, by an empty
      // transaction of its own. That must not throw: the rows have committed, and any later append
      // catches the head up.
      driver.afterCommit(() => {
        try {
          audit.transaction(() => undefined);
        } catch {
          // The write lock was busy past the timeout: the next append advances the head.
        }
      });
    },
  };
}
