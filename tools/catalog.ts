/**
 * The read-only tools a reasoner may call, each a zod input schema (described for models) and a runner over
 * the ports. Both reasoners plan in terms of these names; run-tools executes them.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { ToolError } from "../core/errors.ts";
import { mailSearchQuerySchema, observableTypeSchema, siemQuerySchema } from "../core/domain.ts";
import { type ReadOnlyToolset } from "../core/ports.ts";
import { canonicalJson } from "../core/ids.ts";

const isoTimestamp = z.iso.datetime({ offset: true });

export const toolInputSchemas = {
  siem_search: siemQuerySchema.describe(
    "Search SIEM events (sign-ins, proxy, DNS, mail gateway, process, audit)",
  ),
  edr_get_host: z
    .object({ hostname: z.string().min(1).describe("Host name as the EDR knows it") })
    .describe("Look up a host in the EDR: OS, owner, tags such as critical_server, isolation state"),
  edr_process_tree: z
    .object({
      hostId: z.string().min(1).describe("EDR host id"),
      processId: z.string().min(1).describe("Process guid"),
    })
    .describe("The process tree around a process: ancestors, descendants and their network connections"),
  edr_list_detections: z
    .object({
      hostId: z.string().min(1).describe("EDR host id"),
      since: isoTimestamp.optional().describe("Start of the time range"),
      until: isoTimestamp.optional().describe("End of the time range"),
    })
    .describe("EDR detections on a host in a time range"),
  mail_find_messages: mailSearchQuerySchema,
  mail_get_message: z
    .object({
      mailbox: z.string().min(1).describe("Mailbox holding the message"),
      id: z.string().min(1).describe("Mail-system message id from mail_find_messages"),
    })
    .describe("The full RFC 5322 source of one message"),
  mail_list_inbox_rules: z
    .object({ mailbox: z.string().min(1).describe("Mailbox address") })
    .describe("Inbox rules of a mailbox, including forwarding rules"),
  identity_get_user: z
    .object({ user: z.string().min(1).describe("User principal name, e.g. alice@example.com") })
    .describe("Directory record of a user: department, title, tags such as vip, usual countries"),
  identity_sign_ins: z
    .object({
      user: z.string().min(1).describe("User principal name"),
      since: isoTimestamp.describe("Start of the time range"),
      until: isoTimestamp.describe("End of the time range"),
      limit: z.number().int().min(1).max(500).default(100).describe("Most sign-ins to return"),
    })
    .describe("Sign-in log of a user: time, IP, country, app, result, MFA outcome"),
  intel_lookup: z
    .object({
      type: observableTypeSchema.describe("Observable type"),
      value: z.string().min(1).describe("Observable value"),
    })
    .describe("Threat-intel reputation of an IP, domain, URL, file hash or email address"),
} as const;

export type ToolName = keyof typeof toolInputSchemas;
export const toolNames = Object.keys(toolInputSchemas) as ToolName[];

export const toolCallSchema = z.object({
  tool: z.enum(toolNames as [ToolName, ...ToolName[]]),
  args: z.record(z.string(), z.unknown()),
});
export type ToolCall = z.infer<typeof toolCallSchema>;

export interface ToolOutput {
  data: unknown;
  summary: string;
}

function plural(count: number, noun: string): string {
  if (count === 1) return `${count} ${noun}`;
  return `${count} ${/(s|x|ch|sh)$/.test(noun) ? `${noun}es` : `${noun}s`}`;
}

/** Parses the arguments of a call; bad arguments are a BAD_INPUT ToolError, returned to a model as data. */
export function parseToolArgs<T extends ToolName>(
  tool: T,
  args: unknown,
): z.infer<(typeof toolInputSchemas)[T]> {
  const parsed = toolInputSchemas[tool].safeParse(args);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join(".") || "arguments";
    throw new ToolError("BAD_INPUT", `${tool}: ${where}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data as z.infer<(typeof toolInputSchemas)[T]>;
}

/** Runs one read-only tool call against the ports. */
export async function runToolCall(
  tools: ReadOnlyToolset,
  call: ToolCall,
  options: { signal?: AbortSignal } = {},
): Promise<ToolOutput> {
  const o = options.signal ? { signal: options.signal } : {};
  switch (call.tool) {
    case "siem_search": {
      const query = parseToolArgs("siem_search", call.args);
      const events = await tools.siem.searchEvents(query, o);
      return { data: events, summary: `${plural(events.length, "event")} in ${query.dataset}` };
    }
    case "edr_get_host": {
      const { hostname } = parseToolArgs("edr_get_host", call.args);
      const host = await tools.edr.getHost(hostname, o);
      return {
        data: host,
        summary: host
          ? `${host.hostname} (${host.os})${host.tags.length ? ` tags: ${host.tags.join(", ")}` : ""}`
          : `host ${hostname} unknown to the EDR`,
      };
    }
    case "edr_process_tree": {
      const { hostId, processId } = parseToolArgs("edr_process_tree", call.args);
      const tree = await tools.edr.getProcessTree(hostId, processId, o);
      return {
        data: tree,
        summary: tree
          ? `${plural(tree.processes.length, "process")}, ${plural(tree.connections.length, "connection")}`
          : `process ${processId} not found`,
      };
    }
    case "edr_list_detections": {
      const args = parseToolArgs("edr_list_detections", call.args);
      const detections = await tools.edr.listDetections(
        {
          hostId: args.hostId,
          ...(args.since ? { since: args.since } : {}),
          ...(args.until ? { until: args.until } : {}),
        },
        o,
      );
      return { data: detections, summary: plural(detections.length, "detection") };
    }
    case "mail_find_messages": {
      const query = parseToolArgs("mail_find_messages", call.args);
      const messages = await tools.mail.findMessages(query, o);
      const mailboxes = new Set(messages.map((m) => m.mailbox)).size;
      return {
        data: messages,
        summary: `${plural(messages.length, "message")} in ${plural(mailboxes, "mailbox")}`,
      };
    }
    case "mail_get_message": {
      const { mailbox, id } = parseToolArgs("mail_get_message", call.args);
      const raw = await tools.mail.getRawMessage(mailbox, id, o);
      return {
        data: raw === null ? null : { mailbox, id, raw },
        summary: raw === null ? `message ${id} not found` : `message source, ${raw.length} bytes`,
      };
    }
    case "mail_list_inbox_rules": {
      const { mailbox } = parseToolArgs("mail_list_inbox_rules", call.args);
      const rules = await tools.mail.listInboxRules(mailbox, o);
      const forwarding = rules.filter((r) => r.forwardTo.length > 0).length;
      return { data: rules, summary: `${plural(rules.length, "inbox rule")}, ${forwarding} forwarding` };
    }
    case "identity_get_user": {
      const { user } = parseToolArgs("identity_get_user", call.args);
      const record = await tools.identity.getUser(user, o);
      return {
        data: record,
        summary: record
          ? `${record.displayName}${record.jobTitle ? `, ${record.jobTitle}` : ""}${record.tags.length ? ` tags: ${record.tags.join(", ")}` : ""}`
          : `user ${user} not in the directory`,
      };
    }
    case "identity_sign_ins": {
      const args = parseToolArgs("identity_sign_ins", call.args);
      const signIns = await tools.identity.listSignIns(args, o);
      const countries = [...new Set(signIns.map((s) => s.country).filter(Boolean))];
      return {
        data: signIns,
        summary: `${plural(signIns.length, "sign-in")}${countries.length ? ` from ${countries.join(", ")}` : ""}`,
      };
    }
    case "intel_lookup": {
      const observable = parseToolArgs("intel_lookup", call.args);
      const verdict = await tools.intel.lookup(observable, o);
      return {
        data: verdict,
        summary: `${observable.value}: ${verdict.verdict}${verdict.tags.length ? ` (${verdict.tags.join(", ")})` : ""}`,
      };
    }
  }
}

/** A stable evidence id: the same tool and arguments always get the same id. */
export function evidenceIdFor(call: ToolCall): string {
  const digest = createHash("sha256")
    .update(`${call.tool}\n${canonicalJson(call.args)}`)
    .digest("hex");
  return `ev-${digest.slice(0, 10)}`;
}
