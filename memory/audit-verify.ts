/**
 * Verifies the audit log: the legacy segment by its unkeyed hashes, every later row by its MAC and seq,
 * then the end of the chain against the signed head file and, when given, an exported anchor. The first
 * problem wins and names the first bad seq.
 */
import type { SqlExecutor } from "./sql/driver.ts";
import { GENESIS_HASH, auditRowSchema, legacyHash, rowMac, type AuditRow } from "./audit-chain.ts";
import { headSignedBy, type AuditKey, type SignedHead } from "./audit-key.ts";

/** Closed set of what can be wrong, for callers and tests to branch on. */
export type AuditProblem =
  | "ALTERED"
  | "UNLINKED"
  | "MISSING_SEQ"
  | "UNKEYED_AFTER_KEYED"
  | "TRUNCATED"
  | "HEAD_MISMATCH"
  | "HEAD_MISSING"
  | "WRONG_KEY";

export interface AuditVerification {
  ok: boolean;
  entries: number;
  /** Rows from before the keyed chain: checked, but anyone could have recomputed them. */
  legacy: number;
  keyed: number;
  head: { seq: number; mac: string } | null;
  /** Which signed heads were checked: the head file, an anchor. */
  checked: Array<"head file" | "anchor">;
  problem?: AuditProblem;
  firstBadSeq?: number;
  reason?: string;
}

export interface VerifyInputs {
  /** Null only when the log has no keyed row to check (a legacy-only database without a key yet). */
  key: AuditKey | null;
  headFile: SignedHead | null;
  /** The head file must exist: keyed rows exist, or the key file does (both are made on first append). */
  headRequired: boolean;
  anchor: SignedHead | null;
}

function fail(
  base: Omit<AuditVerification, "ok">,
  problem: AuditProblem,
  firstBadSeq: number | undefined,
  reason: string,
): AuditVerification {
  return { ...base, ok: false, problem, ...(firstBadSeq === undefined ? {} : { firstBadSeq }), reason };
}

/** A signed head (head file or anchor) against the rows as they are now. */
function checkHead(
  key: AuditKey | null,
  head: SignedHead,
  what: "head file" | "anchor",
  bySeq: ReadonlyMap<number, string>,
  last: number,
): { problem: AuditProblem; seq?: number; reason: string } | null {
  if (!key || head.keyId !== key.id || !headSignedBy(key, head))
    return {
      problem: "WRONG_KEY",
      reason: `the ${what} was not signed by this audit key (key ${head.keyId}, now ${key?.id ?? "none"}): the key was swapped or the ${what} forged`,
    };
  const mac = bySeq.get(head.seq);
  if (head.seq > last)
    return {
      problem: "TRUNCATED",
      seq: last + 1,
      reason: `entries ${last + 1}..${head.seq} named by the ${what} are gone (deleted)`,
    };
  if (head.seq > 0 && mac !== head.mac)
    return {
      problem: "HEAD_MISMATCH",
      seq: head.seq,
      reason: `entry ${head.seq} is not the one the ${what} recorded (chain recomputed)`,
    };
  return null;
}

/** Rows read per query: memory stays flat however long the log, in few round trips. */
const PAGE = 1000;

/** Every row in seq order, a page at a time. */
async function* rowsInOrder(sql: SqlExecutor): AsyncGenerator<AuditRow> {
  let after = -1;
  for (;;) {
    const page = await sql.all("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?", [after, PAGE]);
    for (const raw of page) {
      const row = auditRowSchema.parse(raw);
      after = row.seq;
      yield row;
    }
    if (page.length < PAGE) return;
  }
}

export async function verifyAuditChain(sql: SqlExecutor, inputs: VerifyInputs): Promise<AuditVerification> {
  const { key } = inputs;
  let prev = GENESIS_HASH;
  let prevSeq: number | null = null;
  const counts = { entries: 0, legacy: 0, keyed: 0 };
  // Only the MACs the heads name are kept, so memory stays flat however long the log.
  const wanted = new Set([inputs.headFile?.seq, inputs.anchor?.seq]);
  const bySeq = new Map<number, string>();
  const base = (): Omit<AuditVerification, "ok"> => ({
    ...counts,
    head: prevSeq === null ? null : { seq: prevSeq, mac: prev },
    checked: [],
  });
  for await (const row of rowsInOrder(sql)) {
    counts.entries++;
    if (row.scheme === "sha256" && counts.keyed > 0)
      return fail(
        base(),
        "UNKEYED_AFTER_KEYED",
        row.seq,
        "unkeyed entry after keyed ones (recomputed without the key)",
      );
    if (row.scheme === "hmac-sha256") {
      if (!key) return fail(base(), "WRONG_KEY", row.seq, "keyed entries but no audit key to check them");
      if (prevSeq !== null && row.seq !== prevSeq + 1)
        return fail(
          base(),
          "MISSING_SEQ",
          prevSeq + 1,
          `entries ${prevSeq + 1}..${row.seq - 1} are missing (deleted or reordered)`,
        );
    }
    if (row.prev_hash !== prev)
      return fail(
        base(),
        "UNLINKED",
        row.seq,
        "entry does not link to the one before it (removed or reordered)",
      );
    // A keyed row without a key returned above; the empty string never matches.
    const expected = row.scheme === "sha256" ? legacyHash(prev, row) : key ? rowMac(key, prev, row) : "";
    if (expected !== row.hash)
      return fail(
        base(),
        "ALTERED",
        row.seq,
        row.scheme === "sha256"
          ? "legacy entry does not match its hash (altered)"
          : "entry does not match its MAC (altered, or written without the audit key)",
      );
    if (row.scheme === "sha256") counts.legacy++;
    else counts.keyed++;
    if (wanted.has(row.seq)) bySeq.set(row.seq, row.hash);
    prev = row.hash;
    prevSeq = row.seq;
  }
  const result: Omit<AuditVerification, "ok"> = base();
  const last = prevSeq ?? 0;
  if (inputs.headFile) {
    const bad = checkHead(key, inputs.headFile, "head file", bySeq, last);
    if (bad) return fail(result, bad.problem, bad.seq, bad.reason);
    result.checked.push("head file");
  } else if (inputs.headRequired) {
    return fail(
      result,
      "HEAD_MISSING",
      undefined,
      "the head file is missing (deleted?): cannot tell whether the last entries were removed",
    );
  }
  if (inputs.anchor) {
    const bad = checkHead(key, inputs.anchor, "anchor", bySeq, last);
    if (bad) return fail(result, bad.problem, bad.seq, bad.reason);
    result.checked.push("anchor");
  }
  return { ...result, ok: true };
}
