/**
 * The audit key and the signed head, both kept OUTSIDE the case database: whoever can rewrite the database
 * must not also be able to recompute the chain (the key) or hide the removal of its last rows (the head).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { canonicalJson } from "../core/ids.ts";
import { TriageError, describeError } from "../core/errors.ts";

/** Where the key comes from: the environment (TRIAGE_AUDIT_KEY), a key file, or (`:memory:`) this process. */
export type AuditKeySource =
  { kind: "env"; text: string } | { kind: "file"; path: string } | { kind: "ephemeral" };

/** Sub-keys derived once from the secret, so a row MAC can never be replayed as a head signature. */
export interface AuditKey {
  /** Short public fingerprint: says which key made a head or anchor without revealing it. */
  readonly id: string;
  readonly rowKey: Buffer;
  readonly headKey: Buffer;
}

const MIN_KEY_BYTES = 16;

function derive(secret: Buffer): AuditKey {
  const sub = (label: string) => createHmac("sha256", secret).update(label).digest();
  return {
    id: sub("soc-triage audit key id v1").toString("hex").slice(0, 16),
    rowKey: sub("soc-triage audit row v1"),
    headKey: sub("soc-triage audit head v1"),
  };
}

/** Hex (64 characters for 32 bytes) or base64; at least 16 bytes, else it is a mistake, not a key. */
export function parseAuditKey(text: string, where: string): AuditKey {
  const trimmed = text.trim();
  const bytes =
    /^[0-9a-fA-F]+$/.test(trimmed) && trimmed.length % 2 === 0
      ? Buffer.from(trimmed, "hex")
      : /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)
        ? Buffer.from(trimmed, "base64")
        : Buffer.alloc(0);
  if (bytes.length < MIN_KEY_BYTES)
    throw new TriageError(
      "BAD_INPUT",
      `${where} is not an audit key: expected at least ${MIN_KEY_BYTES} bytes as hex or base64`,
    );
  return derive(bytes);
}

/**
 * The key, or null when there is none yet (a file not created). `create` makes the key file with mode
 * 0600 on first use; with O_EXCL so two processes starting together cannot each write their own key.
 */
export function loadAuditKey(source: AuditKeySource, options: { create: boolean }): AuditKey | null {
  switch (source.kind) {
    case "env":
      return parseAuditKey(source.text, "TRIAGE_AUDIT_KEY");
    case "ephemeral":
      return derive(randomBytes(32));
    case "file": {
      if (!existsSync(source.path)) {
        if (!options.create) return null;
        try {
          // A PostgreSQL deployment's key lives in the data directory, which may not exist yet.
          mkdirSync(dirname(source.path), { recursive: true });
          const fd = openSync(source.path, "wx", 0o600);
          try {
            writeSync(fd, `${randomBytes(32).toString("hex")}\n`);
          } finally {
            closeSync(fd);
          }
        } catch (error) {
          // Lost the race to another process: its key is the key.
          if (!existsSync(source.path))
            throw new TriageError(
              "BAD_INPUT",
              `cannot create audit key file ${source.path}: ${describeError(error)}`,
            );
        }
      }
      let text: string;
      try {
        text = readFileSync(source.path, "utf8");
      } catch (error) {
        throw new TriageError(
          "BAD_INPUT",
          `cannot read audit key file ${source.path}: ${describeError(error)}`,
        );
      }
      return parseAuditKey(text, `audit key file ${source.path}`);
    }
  }
}

/** The chain's end at one moment, signed: the head file beside the key, and exported anchors. */
export const signedHeadSchema = z
  .object({
    version: z.literal(1),
    kind: z.enum(["head", "anchor"]),
    keyId: z.string(),
    seq: z.number().int().min(0),
    mac: z.string(),
    count: z.number().int().min(0),
    at: z.string(),
    signature: z.string(),
  })
  .strict();
export type SignedHead = z.infer<typeof signedHeadSchema>;
export type HeadFields = Omit<SignedHead, "version" | "keyId" | "signature">;

function headSignature(key: AuditKey, head: Omit<SignedHead, "signature">): string {
  return createHmac("sha256", key.headKey).update(canonicalJson(head)).digest("hex");
}

export function signHead(key: AuditKey, fields: HeadFields): SignedHead {
  const unsigned = { version: 1 as const, keyId: key.id, ...fields };
  return { ...unsigned, signature: headSignature(key, unsigned) };
}

/** True when this key signed the head; compared in constant time. */
export function headSignedBy(key: AuditKey, head: SignedHead): boolean {
  const { signature, ...unsigned } = head;
  const expected = Buffer.from(headSignature(key, unsigned), "hex");
  const given = Buffer.from(signature, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A head or anchor file; null when absent. A file that exists but does not parse is an error. */
export function readSignedHead(path: string, what: string): SignedHead | null {
  if (!existsSync(path)) return null;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new TriageError("BAD_INPUT", `${what} ${path} is not readable JSON: ${describeError(error)}`);
  }
  const parsed = signedHeadSchema.safeParse(data);
  if (!parsed.success)
    throw new TriageError(
      "BAD_INPUT",
      `${what} ${path} is not a signed audit head: ${parsed.error.issues[0]?.message ?? "invalid"}`,
    );
  return parsed.data;
}

/** Writes through a temporary file and a rename, so a reader never sees half a head. */
export function writeSignedHead(path: string, head: SignedHead): void {
  const temporary = `${path}.${process.pid}.tmp`;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(temporary, `${JSON.stringify(head, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}
