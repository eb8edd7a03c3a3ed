/**
 * Sentinel incident entities (POST …/incidents/{id}/entities) as our observables, plus the facts the
 * playbooks read from `alert.raw`. Entity properties vary by kind and are only loosely documented, so each
 * kind is read leniently and an entity we cannot read adds nothing rather than failing the alert.
 */
import { z } from "zod";
import type { Observable } from "../../../core/domain.ts";

export const entitySchema = z.object({
  kind: z.string(),
  properties: z.record(z.string(), z.unknown()).nullish(),
});
export type Entity = z.infer<typeof entitySchema>;

const text = z.string().nullish().catch(null);
const account = z.object({
  accountName: text,
  upnSuffix: text,
  ntDomain: text,
  userPrincipalName: text,
  friendlyName: text,
});
const host = z.object({
  hostName: text,
  dnsDomain: text,
  netBiosName: text,
  additionalData: z.object({ MdatpDeviceId: text }).nullish().catch(null),
});
const mailMessage = z.object({ sender: text, p1Sender: text, recipient: text, internetMessageId: text });
const mailbox = z.object({ mailboxPrimaryAddress: text, upn: text });
const fileHash = z.object({ algorithm: text, hashValue: text });
const file = z.object({ fileName: text, directory: text });

/** The facts a playbook reads from `raw` (see classify.ts), gathered from every entity. */
export interface EntityFacts {
  users: string[];
  ips: string[];
  hosts: string[];
  hostIds: string[];
  mailboxes: string[];
  internetMessageIds: string[];
}

const MAX_VALUE = 2048;

/** The observables of a list of entities, without duplicates, and the facts behind them. */
export function readEntities(entities: readonly Entity[]): { observables: Observable[]; facts: EntityFacts } {
  const observables: Observable[] = [];
  const seen = new Set<string>();
  const facts: EntityFacts = {
    users: [],
    ips: [],
    hosts: [],
    hostIds: [],
    mailboxes: [],
    internetMessageIds: [],
  };
  const add = (type: Observable["type"], value: string | null | undefined, role?: string) => {
    const trimmed = value?.trim();
    if (!trimmed || trimmed.length > MAX_VALUE) return;
    const normalized =
      type === "ip" || type === "url" || type === "message_id" || type === "file_name"
        ? trimmed
        : trimmed.toLowerCase();
    const key = `${type}\u0000${normalized}\u0000${role ?? ""}`;
    if (seen.has(key)) return;
    seen.add(key);
    observables.push(role === undefined ? { type, value: normalized } : { type, value: normalized, role });
  };
  const remember = (list: string[], value: string | null | undefined) => {
    if (value && !list.includes(value)) list.push(value);
  };
  for (const entity of entities) {
    const p = entity.properties ?? {};
    switch (entity.kind) {
      case "Account": {
        const a = account.parse(p);
        const upn =
          a.userPrincipalName ??
          (a.accountName && a.upnSuffix
            ? `${a.accountName}@${a.upnSuffix}`
            : a.accountName && a.ntDomain
              ? `${a.ntDomain}\\${a.accountName}`
              : (a.accountName ?? a.friendlyName));
        add("user", upn, "actor");
        remember(facts.users, upn?.toLowerCase());
        break;
      }
      case "Ip":
        add("ip", z.object({ address: text }).parse(p).address, "source");
        remember(facts.ips, z.object({ address: text }).parse(p).address);
        break;
      case "Host": {
        const h = host.parse(p);
        const name = h.hostName ?? h.netBiosName;
        add("host", name, "target");
        remember(facts.hosts, name);
        remember(facts.hostIds, h.additionalData?.MdatpDeviceId);
        break;
      }
      case "Url":
        add("url", z.object({ url: text }).parse(p).url, "url");
        break;
      case "DnsResolution":
        add("domain", z.object({ domainName: text }).parse(p).domainName);
        break;
      case "FileHash":
        add("file_hash", fileHash.parse(p).hashValue);
        break;
      case "File":
        add("file_name", file.parse(p).fileName);
        break;
      case "MailMessage": {
        const m = mailMessage.parse(p);
        add("email", m.sender ?? m.p1Sender, "sender");
        add("email", m.recipient, "recipient");
        add("message_id", m.internetMessageId);
        remember(facts.mailboxes, m.recipient?.toLowerCase());
        remember(facts.internetMessageIds, m.internetMessageId);
        break;
      }
      case "Mailbox": {
        const m = mailbox.parse(p);
        add("email", m.mailboxPrimaryAddress ?? m.upn, "mailbox");
        remember(facts.mailboxes, (m.mailboxPrimaryAddress ?? m.upn)?.toLowerCase());
        break;
      }
      default:
        break;
    }
  }
  return { observables, facts };
}
