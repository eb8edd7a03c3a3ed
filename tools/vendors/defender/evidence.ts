/**
 * Defender alert evidence (`$expand=evidence`) as observables. The entity types and fields follow the MDE
 * alert and Microsoft 365 Defender incident samples (Process, File, User, Ip, Url, MailMessage, MailBox);
 * every field is optional and a field of the wrong type is ignored rather than failing the alert.
 */
import { z } from "zod";
import type { Observable } from "../../../core/domain.ts";
import { pidKey } from "./hunting.ts";

const text = z.string().nullish().catch(null);
const number = z.number().nullish().catch(null);

export const evidenceSchema = z.object({
  entityType: z.string().catch(""),
  sha1: text,
  sha256: text,
  fileName: text,
  filePath: text,
  processId: number,
  processCommandLine: text,
  processCreationTime: text,
  parentProcessId: number,
  parentProcessCreationTime: text,
  ipAddress: text,
  url: text,
  accountName: text,
  domainName: text,
  userPrincipalName: text,
  mailboxAddress: text,
  sender: text,
  recipient: text,
});
export type Evidence = z.infer<typeof evidenceSchema>;

const MAX_VALUE = 2048;

/** Observables of the evidence, then of the alert's own machine and user, without duplicates. */
export function observablesOf(
  evidence: readonly Evidence[],
  alert: {
    computerDnsName?: string | null | undefined;
    relatedUser?:
      { userName?: string | null | undefined; domainName?: string | null | undefined } | null | undefined;
  },
): Observable[] {
  const out: Observable[] = [];
  const seen = new Set<string>();
  const add = (type: Observable["type"], value: string | null | undefined, role?: string) => {
    const trimmed = value?.trim();
    if (!trimmed || trimmed.length > MAX_VALUE) return;
    const normalized =
      type === "ip" || type === "url" || type === "file_name" ? trimmed : trimmed.toLowerCase();
    const key = `${type}\u0000${normalized}\u0000${role ?? ""}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(role === undefined ? { type, value: normalized } : { type, value: normalized, role });
  };
  const path = (e: Evidence) =>
    e.filePath && e.fileName ? `${e.filePath.replace(/[\\/]+$/, "")}\\${e.fileName}` : e.fileName;
  const account = (e: Evidence) =>
    e.userPrincipalName ??
    (e.accountName && e.domainName ? `${e.domainName}\\${e.accountName}` : e.accountName);
  for (const e of evidence) {
    switch (e.entityType) {
      case "Process":
        add("process", path(e), "actor");
        add("file_hash", e.sha256 ?? e.sha1);
        add("user", account(e), "actor");
        break;
      case "File":
        add("file_hash", e.sha256 ?? e.sha1);
        add("file_name", e.fileName);
        break;
      case "User":
        add("user", account(e), "actor");
        break;
      case "Ip":
        add("ip", e.ipAddress);
        break;
      case "Url":
        add("url", e.url, "url");
        break;
      case "MailMessage":
        add("email", e.sender, "sender");
        add("email", e.recipient, "recipient");
        break;
      case "MailBox":
      case "Mailbox":
        add("email", e.mailboxAddress ?? e.userPrincipalName, "mailbox");
        break;
      default:
        break;
    }
  }
  add("host", alert.computerDnsName, "target");
  const related = alert.relatedUser;
  if (related?.userName)
    add(
      "user",
      related.domainName ? `${related.domainName}\\${related.userName}` : related.userName,
      "actor",
    );
  return out;
}

/**
 * The process an alert is about: among its Process evidence, the one no other is the parent of (the end
 * of the chain, usually the process that did the detected thing), as `<pid>@<creation time>`.
 */
export function flaggedProcess(
  evidence: readonly Evidence[],
): { pid: number; createdAt: string; key: string } | null {
  const processes = evidence.filter((e) => e.entityType === "Process" && typeof e.processId === "number");
  const parents = new Set(processes.map((e) => pidKey(e.parentProcessId, e.parentProcessCreationTime)));
  const keyed = processes
    .map((e) => ({ e, key: pidKey(e.processId, e.processCreationTime) }))
    .filter((p): p is { e: Evidence; key: string } => p.key !== null);
  const leaf = [...keyed].reverse().find((p) => !parents.has(p.key)) ?? keyed[keyed.length - 1];
  if (!leaf || typeof leaf.e.processId !== "number" || !leaf.e.processCreationTime) return null;
  return { pid: leaf.e.processId, createdAt: leaf.e.processCreationTime, key: leaf.key };
}
