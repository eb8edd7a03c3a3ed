/**
 * Where each case's verdict card was posted (the `slack_cards` table, migration 4), so the card can be
 * updated when the case is decided, whichever process or button decided it.
 */
import { z } from "zod";
import type { CaseDatabase } from "../../memory/db.ts";

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
  private readonly db: CaseDatabase;
  private readonly now: () => Date;

  constructor(db: CaseDatabase, options: { now: () => Date }) {
    this.db = db;
    this.now = options.now;
  }

  /** Records (or moves) the card of a case. */
  save(caseId: string, location: { channel: string; ts: string }): void {
    this.db
      .prepare(
        `INSERT INTO slack_cards (case_id, channel, ts, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (case_id) DO UPDATE SET channel = excluded.channel, ts = excluded.ts, created_at = excluded.created_at`,
      )
      .run(caseId, location.channel, location.ts, this.now().toISOString());
  }

  find(caseId: string): CardLocation | null {
    const row = this.db.prepare("SELECT * FROM slack_cards WHERE case_id = ?").get(caseId);
    if (row === undefined) return null;
    const card = cardRowSchema.parse(row);
    return { caseId: card.case_id, channel: card.channel, ts: card.ts, createdAt: card.created_at };
  }
}
