/**
 * The audit log's rows and their two chain schemes: `sha256` (legacy rows written before migration 6, an
 * unkeyed hash anyone can recompute) and `hmac-sha256` (every row since: a MAC under a key kept outside the
 * database, over the previous MAC and the row including its seq, so edits, removals and reordering show).
 */
import { createHash, createHmac } from "node:crypto";
import { z } from "zod";
import { canonicalJson } from "../core/ids.ts";
import type { AuditKey } from "./audit-key.ts";

export const GENESIS_HASH = "0".repeat(64);

export const auditSchemeSchema = z.enum(["sha256", "hmac-sha256"]);

export const auditRowSchema = z.object({
  seq: z.number().int(),
  at: z.string(),
  actor: z.string(),
  event: z.string(),
  case_id: z.string().nullable(),
  payload: z.string(),
  prev_hash: z.string(),
  hash: z.string(),
  scheme: auditSchemeSchema,
});
export type AuditRow = z.infer<typeof auditRowSchema>;

type Content = Pick<AuditRow, "at" | "actor" | "event" | "case_id" | "payload">;

/** The fields a hash or MAC covers, in one canonical form; keyed rows add their seq. */
function canonicalRow(row: Content, seq?: number): string {
  const { at, actor, event, case_id: caseId, payload } = row;
  return canonicalJson({ seq, at, actor, event, caseId, payload });
}

/** The pre-migration hash, kept so legacy rows still verify. */
export function legacyHash(prevHash: string, row: Content): string {
  return createHash("sha256").update(prevHash).update(canonicalRow(row)).digest("hex");
}

/** Seq is covered too, so renumbering or reordering rows breaks the MAC as well as the links. */
export function rowMac(key: AuditKey, prevMac: string, row: Content & { seq: number }): string {
  return createHmac("sha256", key.rowKey).update(prevMac).update(canonicalRow(row, row.seq)).digest("hex");
}
