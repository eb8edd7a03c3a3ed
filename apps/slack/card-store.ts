/**
 * Where each case's verdict card was posted (the `slack_cards` table, migration 4), so the card can be
 * updated when the case is decided, whichever process or button decided it.
 */
import { z } from "zod";
import type { SqlExecutor } from "../../memory/sql/driver.ts";

const cardRowSchema = z.object({
  case_id: z.string(),
  channel: z.string(),
  ts: z.string(),
  created_at: z.string(),
});

export interface CardLocation {
  caseId: string;
  channel: string;
  ts: string;
  createdAt: string;
}

export class SlackCardStore {
  private readonly sql: SqlExecutor;
  private readonly now: () => Date;

  /** `sql` is the case database's driver (SQLite or PostgreSQL). */
  constructor(sql: SqlExecutor, options: { now: () => Date }) {
    this.sql = sql;
    this.now = options.now;
  }

  /** Records (or moves) the card of a case. */
  async save(caseId: string, location: { channel: string; ts: string }): Promise<void> {
    await this.sql.run(
      `INSERT INTO slack_cards (case_id, channel, ts, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (case_id) DO UPDATE SET channel = excluded.channel, ts = excluded.ts, created_at = excluded.created_at`,
      [caseId, location.channel, location.ts, this.now().toISOString()],
    );
  }

  async find(caseId: string): Promise<CardLocation | null> {
    const row = await this.sql.get(
      "SELECT case_id, channel, ts, created_at FROM slack_cards WHERE case_id = ?",
      [caseId],
    );
    if (row === undefined) return null;
    const card = cardRowSchema.parse(row);
    return { caseId: card.case_id, channel: card.channel, ts: card.ts, createdAt: card.created_at };
  }
}
