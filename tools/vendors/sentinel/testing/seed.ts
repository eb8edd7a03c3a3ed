/**
 * The contract fixture in Sentinel's and Log Analytics' shapes: each fixture alert becomes an incident
 * with one SecurityAlert and the entities its observables come from; each fixture event a row of the
 * dataset's default table. Titles, times and severities are kept; what Sentinel would say about the kind
 * of alert (product, alert name, tactics) is filled in per fixture type.
 */
import { FIXTURE } from "../../../lab/testing/fixture.ts";
import type { Alert, Observable, SiemEvent } from "../../../../core/domain.ts";
import type { KqlTable } from "../../microsoft/testing/kql-engine.ts";

export interface SeedIncident {
  name: string;
  properties: Record<string, unknown>;
  alerts: Array<{ kind: string; properties: Record<string, unknown> }>;
  entities: Array<{ kind: string; properties: Record<string, unknown> }>;
}

/** .NET-style UTC text with 7 fractional digits, as ARM and Log Analytics write it. */
export function ticks(iso: string): string {
  return new Date(Date.parse(iso)).toISOString().replace(/Z$/, "0000Z");
}

const KINDS: Record<string, { product: string; alert: string; tactics: string[] }> = {
  user_reported_phish: {
    product: "Microsoft Defender for Office 365",
    alert: "Email reported by user as malware or phish",
    tactics: ["InitialAccess"],
  },
  impossible_travel: {
    product: "Azure Active Directory Identity Protection",
    alert: "Atypical travel",
    tactics: ["InitialAccess"],
  },
  suspicious_sign_in: {
    product: "Azure Active Directory Identity Protection",
    alert: "Anonymous IP address",
    tactics: ["InitialAccess"],
  },
  suspicious_process: {
    product: "Microsoft Defender Advanced Threat Protection",
    alert: "Suspicious PowerShell command line",
    tactics: ["Execution"],
  },
};

function entityOf(o: Observable): { kind: string; properties: Record<string, unknown> } {
  switch (o.type) {
    case "email":
      if (o.role === "sender") return { kind: "MailMessage", properties: { sender: o.value } };
      if (o.role === "recipient") return { kind: "MailMessage", properties: { recipient: o.value } };
      return { kind: "Mailbox", properties: { mailboxPrimaryAddress: o.value } };
    case "user": {
      const [accountName, upnSuffix] = o.value.split("@");
      return { kind: "Account", properties: { accountName, upnSuffix, friendlyName: o.value } };
    }
    case "ip":
      return { kind: "Ip", properties: { address: o.value } };
    case "host":
      return { kind: "Host", properties: { hostName: o.value } };
    case "url":
      return { kind: "Url", properties: { url: o.value } };
    case "domain":
      return { kind: "DnsResolution", properties: { domainName: o.value } };
    case "file_hash":
      return { kind: "FileHash", properties: { algorithm: "SHA256", hashValue: o.value } };
    case "message_id":
      return { kind: "MailMessage", properties: { internetMessageId: o.value } };
    case "file_name":
      return { kind: "File", properties: { fileName: o.value } };
    case "process":
      throw new Error(`the Sentinel fake has no entity for a ${o.type} observable`);
  }
}

const SEVERITIES: Record<string, string> = {
  informational: "Informational",
  low: "Low",
  medium: "Medium",
  high: "High",
  critical: "High",
};

export function incidentOf(alert: Alert, number: number): SeedIncident {
  const kind = KINDS[alert.type] ?? KINDS["suspicious_process"];
  const created = ticks(alert.createdAt);
  return {
    name: alert.id,
    properties: {
      title: alert.title,
      description: alert.description,
      severity: SEVERITIES[alert.severity] ?? "Medium",
      status: "New",
      owner: { objectId: null, email: null, assignedTo: null, userPrincipalName: null, ownerType: null },
      labels: [],
      firstActivityTimeUtc: created,
      lastActivityTimeUtc: created,
      lastModifiedTimeUtc: created,
      createdTimeUtc: created,
      incidentNumber: number,
      additionalData: {
        alertsCount: 1,
        bookmarksCount: 0,
        commentsCount: 0,
        alertProductNames: [kind?.product],
        tactics: kind?.tactics,
      },
      relatedAnalyticRuleIds: [],
      incidentUrl: `https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident/${alert.id}`,
    },
    alerts: [
      {
        kind: "SecurityAlert",
        properties: {
          systemAlertId: `${alert.id}-alert`,
          alertDisplayName: kind?.alert,
          description: "",
          confidenceLevel: "Unknown",
          severity: SEVERITIES[alert.severity] ?? "Medium",
          vendorName: "Microsoft",
          productName: kind?.product,
          productComponentName: null,
          alertType: kind?.alert,
          status: "New",
          tactics: kind?.tactics,
          endTimeUtc: created,
          processingEndTime: created,
          additionalData: {},
        },
      },
    ],
    entities: alert.observables.map(entityOf),
  };
}

const TEXT = "string";
/** Columns of the tables the default mappings read (a realistic subset of each). */
export const TABLE_COLUMNS: Record<string, Record<string, string>> = {
  SigninLogs: {
    UserPrincipalName: TEXT,
    UserId: TEXT,
    IPAddress: TEXT,
    Location: TEXT,
    LocationDetails: "dynamic",
    ResultType: TEXT,
    ResultDescription: TEXT,
    AppDisplayName: TEXT,
    UserAgent: TEXT,
  },
  CommonSecurityLog: {
    SourceUserName: TEXT,
    SourceIP: TEXT,
    DestinationIP: TEXT,
    DestinationPort: "int",
    DestinationHostName: TEXT,
    RequestURL: TEXT,
    RequestMethod: TEXT,
    EventOutcome: TEXT,
    DeviceAction: TEXT,
    RequestClientApplication: TEXT,
    DeviceVendor: TEXT,
  },
  DnsEvents: {
    Computer: TEXT,
    ClientIP: TEXT,
    Name: TEXT,
    QueryType: TEXT,
    IPAddresses: TEXT,
    ResultCode: "int",
  },
  EmailEvents: {
    SenderFromAddress: TEXT,
    SenderMailFromAddress: TEXT,
    RecipientEmailAddress: TEXT,
    Subject: TEXT,
    InternetMessageId: TEXT,
    EmailDirection: TEXT,
    SenderIPv4: TEXT,
    DeliveryAction: TEXT,
  },
  OfficeActivity: { UserId: TEXT, Operation: TEXT, OfficeWorkload: TEXT, ClientIP: TEXT, ResultStatus: TEXT },
  AuditLogs: { InitiatedBy: "dynamic", OperationName: TEXT, Category: TEXT, Result: TEXT },
  DeviceProcessEvents: {
    Timestamp: "datetime",
    DeviceId: TEXT,
    DeviceName: TEXT,
    ActionType: TEXT,
    FileName: TEXT,
    FolderPath: TEXT,
    SHA1: TEXT,
    SHA256: TEXT,
    ProcessId: "long",
    ProcessCommandLine: TEXT,
    ProcessCreationTime: "datetime",
    ProcessUniqueId: TEXT,
    AccountName: TEXT,
    AccountDomain: TEXT,
    AccountUpn: TEXT,
    InitiatingProcessId: "long",
    InitiatingProcessCreationTime: "datetime",
    InitiatingProcessFileName: TEXT,
    InitiatingProcessFolderPath: TEXT,
    InitiatingProcessCommandLine: TEXT,
    InitiatingProcessAccountUpn: TEXT,
    InitiatingProcessSHA256: TEXT,
    InitiatingProcessUniqueId: TEXT,
  },
  DeviceNetworkEvents: {
    Timestamp: "datetime",
    DeviceId: TEXT,
    DeviceName: TEXT,
    ActionType: TEXT,
    LocalIP: TEXT,
    LocalPort: "int",
    RemoteIP: TEXT,
    RemotePort: "int",
    RemoteUrl: TEXT,
    Protocol: TEXT,
    InitiatingProcessId: "long",
    InitiatingProcessCreationTime: "datetime",
    InitiatingProcessFileName: TEXT,
    InitiatingProcessCommandLine: TEXT,
    InitiatingProcessAccountName: TEXT,
    InitiatingProcessAccountUpn: TEXT,
    InitiatingProcessUniqueId: TEXT,
  },
};

function rowOf(event: SiemEvent): { table: string; row: Record<string, unknown> } {
  const f = event.fields;
  const base = { TimeGenerated: ticks(event.timestamp), _ItemId: event.id };
  if (event.dataset === "signin")
    return {
      table: "SigninLogs",
      row: {
        ...base,
        UserPrincipalName: f["user.name"],
        IPAddress: f["source.ip"],
        Location: f["source.geo.country_iso_code"],
        LocationDetails: { countryOrRegion: f["source.geo.country_iso_code"], city: null },
        ResultType: f["event.outcome"] === "success" ? "0" : "50126",
        ResultDescription: f["event.outcome"] === "success" ? "" : "Invalid username or password.",
      },
    };
  if (event.dataset === "proxy")
    return {
      table: "CommonSecurityLog",
      row: {
        ...base,
        SourceUserName: f["user.name"],
        DestinationHostName: f["url.domain"],
        EventOutcome:
          f["http.response.status_code"] === undefined ? "" : String(f["http.response.status_code"]),
        DeviceVendor: "Zscaler",
      },
    };
  throw new Error(`the Sentinel fake has no table for ${event.dataset} events`);
}

/** Log Analytics tables holding `events` (the fixture's by default), every default table present. */
export function tablesOf(events: readonly SiemEvent[] = FIXTURE.events): Record<string, KqlTable> {
  const tables: Record<string, KqlTable> = {};
  for (const [name, columns] of Object.entries(TABLE_COLUMNS))
    tables[name] = { columns: { TimeGenerated: "datetime", _ItemId: TEXT, ...columns }, rows: [] };
  for (const event of events) {
    const { table, row } = rowOf(event);
    tables[table]?.rows.push(row);
  }
  return tables;
}

/** The fixture alerts as incidents. */
export function fixtureIncidents(): SeedIncident[] {
  return FIXTURE.alerts.map((alert, i) => incidentOf(alert, 100 + i));
}

/**
 * The fixture's incidents, the reported email's with the MailMessage entity a real Defender for Office
 * incident carries (the contract fixture has none): recipient and Internet Message-ID, so the email
 * playbook can find the message. For end-to-end tests and benchmarks.
 */
export function incidentsWithMailEntities(): SeedIncident[] {
  return fixtureIncidents().map((incident) =>
    incident.name === "FX-1"
      ? {
          ...incident,
          entities: [
            ...incident.entities,
            {
              kind: "MailMessage",
              properties: {
                sender: "ap@evil.test",
                recipient: "ann@corp.test",
                internetMessageId: FIXTURE.messageId,
              },
            },
          ],
        }
      : incident,
  );
}
