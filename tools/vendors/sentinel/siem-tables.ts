/**
 * Where each SIEM dataset lives in a Log Analytics workspace, and how its columns read as flat ECS fields.
 * Every mapping is a KQL expression over the table's columns (a column, or a small computation such as
 * event.outcome from SigninLogs' ResultType); the configuration can pick another table per dataset and
 * add or replace field mappings.
 */
import { z } from "zod";
import type { SiemDataset } from "../../../core/domain.ts";

type FieldMap = Readonly<Record<string, string>>;

/** Field mappings of the tables we know; a configured table of this name starts from its mapping. */
export const KNOWN_TABLES: Readonly<Record<string, FieldMap>> = {
  SigninLogs: {
    "user.name": "UserPrincipalName",
    "user.id": "UserId",
    "source.ip": "IPAddress",
    "source.geo.country_iso_code": "Location",
    "source.geo.city_name": "tostring(LocationDetails.city)",
    // ResultType "0" is a successful sign-in; any other code is a failure or an interruption.
    "event.outcome": 'iff(tostring(ResultType) == "0", "success", "failure")',
    "event.reason": "ResultDescription",
    "app.name": "AppDisplayName",
    "user_agent.original": "UserAgent",
  },
  CommonSecurityLog: {
    "user.name": "SourceUserName",
    "source.ip": "SourceIP",
    "destination.ip": "DestinationIP",
    "destination.port": "DestinationPort",
    "url.domain": "DestinationHostName",
    "url.full": "RequestURL",
    "http.request.method": "RequestMethod",
    // CEF has no HTTP status field; web proxies (Zscaler's Sentinel feed among them) send it as `outcome`.
    "http.response.status_code": "toint(EventOutcome)",
    "event.action": "tolower(DeviceAction)",
    "user_agent.original": "RequestClientApplication",
    "observer.vendor": "DeviceVendor",
  },
  DnsEvents: {
    "host.name": "Computer",
    "source.ip": "ClientIP",
    "dns.question.name": "Name",
    "dns.question.type": "QueryType",
    "dns.resolved_ip": "IPAddresses",
    "dns.response_code": "ResultCode",
  },
  EmailEvents: {
    "email.from.address": "SenderFromAddress",
    "email.sender.address": "SenderMailFromAddress",
    "email.to.address": "RecipientEmailAddress",
    "email.subject": "Subject",
    "email.message_id": "InternetMessageId",
    "email.direction": "EmailDirection",
    "source.ip": "SenderIPv4",
    "event.action": "tolower(DeliveryAction)",
  },
  DeviceProcessEvents: {
    "host.name": "DeviceName",
    "host.id": "DeviceId",
    "user.name": "iff(isnotempty(AccountUpn), AccountUpn, AccountName)",
    "process.name": "FileName",
    "process.executable": "FolderPath",
    "process.command_line": "ProcessCommandLine",
    "process.pid": "ProcessId",
    "process.hash.sha256": "SHA256",
    "process.hash.sha1": "SHA1",
    "process.parent.name": "InitiatingProcessFileName",
    "process.parent.command_line": "InitiatingProcessCommandLine",
    "process.parent.pid": "InitiatingProcessId",
    "event.action": "ActionType",
  },
  DeviceNetworkEvents: {
    "host.name": "DeviceName",
    "host.id": "DeviceId",
    "user.name":
      "iff(isnotempty(InitiatingProcessAccountUpn), InitiatingProcessAccountUpn, InitiatingProcessAccountName)",
    "source.ip": "LocalIP",
    "source.port": "LocalPort",
    "destination.ip": "RemoteIP",
    "destination.port": "RemotePort",
    "url.original": "RemoteUrl",
    "network.protocol": "Protocol",
    "process.name": "InitiatingProcessFileName",
    "process.command_line": "InitiatingProcessCommandLine",
    "event.action": "ActionType",
  },
  OfficeActivity: {
    "user.name": "UserId",
    "event.action": "Operation",
    "event.category": "OfficeWorkload",
    "source.ip": "ClientIP",
    "event.outcome":
      'iff(isempty(ResultStatus), "", iff(ResultStatus in~ ("Succeeded", "PartiallySucceeded", "True"), "success", "failure"))',
  },
  AuditLogs: {
    "user.name": "tostring(InitiatedBy.user.userPrincipalName)",
    "source.ip": "tostring(InitiatedBy.user.ipAddress)",
    "event.action": "OperationName",
    "event.category": "Category",
    "event.outcome": "tolower(Result)",
  },
};

/**
 * The table of each dataset by default. Audit reads OfficeActivity (Exchange and SharePoint admin and
 * mailbox operations such as New-InboxRule); AuditLogs (Entra directory changes) is one setting away.
 */
export const DEFAULT_TABLES: Readonly<Record<SiemDataset, string>> = {
  signin: "SigninLogs",
  proxy: "CommonSecurityLog",
  dns: "DnsEvents",
  mail: "EmailEvents",
  process: "DeviceProcessEvents",
  network: "DeviceNetworkEvents",
  audit: "OfficeActivity",
};

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a table or column name");
// Mappings come from the operator's configuration, not from alerts, but one must stay one expression:
// a pipe, semicolon or line break would start another statement.
const kqlExpression = z
  .string()
  .min(1)
  .max(500)
  .refine((text) => !/[|;\r\n]/.test(text), "one KQL expression, without | ; or line breaks");

export const datasetConfigSchema = z.strictObject({
  table: identifier.optional().describe("Log Analytics table, e.g. ZScalerLogs_CL"),
  timeColumn: identifier.default("TimeGenerated"),
  idColumn: identifier.default("_ItemId").describe("A column unique per row, used as the event id"),
  fields: z
    .record(z.string().regex(/^[a-z_][a-z0-9_.]*$/), kqlExpression)
    .default({})
    .describe("ECS field → KQL expression, over the known mapping of the table"),
});
export type DatasetConfig = z.infer<typeof datasetConfigSchema>;

export const datasetsConfigSchema = z
  .strictObject({
    signin: datasetConfigSchema.optional(),
    proxy: datasetConfigSchema.optional(),
    dns: datasetConfigSchema.optional(),
    mail: datasetConfigSchema.optional(),
    process: datasetConfigSchema.optional(),
    network: datasetConfigSchema.optional(),
    audit: datasetConfigSchema.optional(),
  })
  .default({});
export type DatasetsConfig = z.infer<typeof datasetsConfigSchema>;

export interface ResolvedTable {
  table: string;
  timeColumn: string;
  idColumn: string;
  /** ECS field → KQL expression. */
  fields: FieldMap;
}

/** The table and field mapping of a dataset: the configured table (or the default) and its mapping. */
export function resolveTable(dataset: SiemDataset, datasets: DatasetsConfig): ResolvedTable {
  const configured = datasets[dataset];
  const table = configured?.table ?? DEFAULT_TABLES[dataset];
  return {
    table,
    timeColumn: configured?.timeColumn ?? "TimeGenerated",
    idColumn: configured?.idColumn ?? "_ItemId",
    fields: { ...(KNOWN_TABLES[table] ?? {}), ...configured?.fields },
  };
}
