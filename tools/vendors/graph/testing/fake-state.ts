/**
 * What the fake Graph holds, in Graph's own shapes, and its seed: the contract FIXTURE translated (two
 * copies of one phish in two mailboxes and another message, the forwarding rule, the user, the sign-ins).
 */
import { FIXTURE, rawSource } from "../../../lab/testing/fixture.ts";
import type { MailboxMessage, SignIn } from "../../../../core/domain.ts";

export interface FakeFolder {
  id: string;
  wellKnown: string;
  displayName: string;
}

export interface GraphMessageDoc {
  id: string;
  internetMessageId: string;
  subject: string;
  from: { emailAddress: { name: string; address: string } };
  sender: { emailAddress: { name: string; address: string } };
  receivedDateTime: string;
  sentDateTime: string;
  parentFolderId: string;
  isRead: boolean;
  hasAttachments: boolean;
  bodyPreview: string;
}

export interface GraphRuleDoc {
  id: string;
  displayName: string;
  sequence: number;
  isEnabled: boolean;
  hasError: boolean;
  isReadOnly: boolean;
  conditions: Record<string, unknown>;
  actions: Record<string, unknown>;
  exceptions?: Record<string, unknown>;
}

export interface FakeMailbox {
  address: string;
  folders: FakeFolder[];
  messages: Array<{ doc: GraphMessageDoc; raw: string }>;
  rules: GraphRuleDoc[];
}

export interface GraphUserDoc {
  id: string;
  userPrincipalName: string;
  displayName: string;
  mail: string | null;
  department: string | null;
  jobTitle: string | null;
  accountEnabled: boolean;
  usageLocation: string | null;
  onPremisesExtensionAttributes: Record<string, string | null>;
  signInSessionsValidFromDateTime: string;
}

export interface FakeUser {
  doc: GraphUserDoc;
  groups: string[];
  directoryRoles: Array<{ id: string; displayName: string }>;
  methods: Array<{ "@odata.type": string; id: string }>;
}

export interface GraphSignInDoc {
  id: string;
  createdDateTime: string;
  userPrincipalName: string;
  userId: string;
  appDisplayName: string;
  ipAddress: string;
  clientAppUsed: string;
  conditionalAccessStatus: string;
  authenticationRequirement: string;
  riskLevelDuringSignIn: string;
  status: { errorCode: number; failureReason: string | null; additionalDetails: string | null };
  location: { city: string | null; state: string | null; countryOrRegion: string | null };
  deviceDetail: { operatingSystem: string; browser: string; isCompliant: boolean | null };
  authenticationDetails?: Array<{
    authenticationMethod: string;
    succeeded: boolean;
    authenticationStepResultDetail: string;
  }>;
}

export interface FakeGraphState {
  mailboxes: FakeMailbox[];
  users: FakeUser[];
  signIns: GraphSignInDoc[];
}

const WELL_KNOWN: Array<[string, string]> = [
  ["inbox", "Inbox"],
  ["junkemail", "Junk Email"],
  ["deleteditems", "Deleted Items"],
  ["sentitems", "Sent Items"],
  ["archive", "Archive"],
  ["recoverableitemsdeletions", "Deletions"],
];

/** Graph's second-precision timestamp, as Outlook writes it. */
const outlookTime = (iso: string) => iso.replace(/\.\d{3}Z$/, "Z");
/** The sign-in log's 100-ns precision. */
const logTime = (iso: string) => iso.replace(/\.(\d{3})Z$/, ".$10000Z");

export function emptyMailbox(address: string): FakeMailbox {
  const local = address.split("@")[0] ?? address;
  return {
    address: address.toLowerCase(),
    folders: WELL_KNOWN.map(([wellKnown, displayName]) => ({
      id: `AQMk${local}${wellKnown}AAA=`,
      wellKnown,
      displayName,
    })),
    messages: [],
    rules: [],
  };
}

export function messageDoc(m: MailboxMessage, folderId: string): GraphMessageDoc {
  const who = { emailAddress: { name: m.from.split("@")[0] ?? m.from, address: m.from } };
  return {
    id: m.id,
    internetMessageId: m.messageId,
    subject: m.subject,
    from: who,
    sender: who,
    receivedDateTime: outlookTime(m.receivedAt),
    sentDateTime: outlookTime(m.receivedAt),
    parentFolderId: folderId,
    isRead: m.isRead,
    hasAttachments: false,
    bodyPreview: "",
  };
}

export function userDoc(upn: string, extra: Partial<GraphUserDoc> = {}): FakeUser {
  return {
    doc: {
      id: `u-${upn.split("@")[0] ?? upn}`,
      userPrincipalName: upn,
      displayName: upn.split("@")[0] ?? upn,
      mail: upn,
      department: null,
      jobTitle: null,
      accountEnabled: true,
      usageLocation: null,
      onPremisesExtensionAttributes: {},
      signInSessionsValidFromDateTime: "2026-01-01T00:00:00Z",
      ...extra,
    },
    groups: [],
    directoryRoles: [],
    methods: [{ "@odata.type": "#microsoft.graph.passwordAuthenticationMethod", id: "pw-1" }],
  };
}

/** A sign-in record as the log writes it for each of our results. */
export function signInDoc(s: SignIn, userId = "u-1"): GraphSignInDoc {
  const mfa = s.result.startsWith("mfa_");
  const detail =
    s.result === "mfa_denied"
      ? "MFA denied; user declined the authentication"
      : s.result === "mfa_timeout"
        ? "MFA denied; user did not respond to mobile app notification"
        : "MFA successfully completed";
  return {
    id: s.id,
    createdDateTime: logTime(s.timestamp),
    userPrincipalName: s.user,
    userId,
    appDisplayName: s.app,
    ipAddress: s.ip,
    clientAppUsed: "Browser",
    conditionalAccessStatus: "notApplied",
    authenticationRequirement: mfa ? "multiFactorAuthentication" : "singleFactorAuthentication",
    riskLevelDuringSignIn: s.riskLevel ?? "hidden",
    status: {
      errorCode: s.result === "success" || s.result === "mfa_approved" ? 0 : mfa ? 500121 : 50126,
      failureReason:
        s.result === "failure" ? "Error validating credentials due to invalid username or password." : null,
      additionalDetails: mfa && s.result !== "mfa_approved" ? detail : null,
    },
    location: { city: s.city ?? null, state: null, countryOrRegion: s.country ?? null },
    deviceDetail: {
      operatingSystem: "Windows 10",
      browser: "Edge 120",
      isCompliant: s.deviceCompliant ?? null,
    },
    ...(mfa
      ? {
          authenticationDetails: [
            {
              authenticationMethod: "Password",
              succeeded: true,
              authenticationStepResultDetail: "Correct password",
            },
            {
              authenticationMethod: "Mobile app notification",
              succeeded: s.result === "mfa_approved",
              authenticationStepResultDetail: detail,
            },
          ],
        }
      : {}),
  };
}

/** The contract fixture in Graph's shapes; a fresh copy every time. */
export function fixtureState(): FakeGraphState {
  const mailboxes = new Map<string, FakeMailbox>();
  const mailbox = (address: string) => {
    const key = address.toLowerCase();
    const found = mailboxes.get(key) ?? emptyMailbox(key);
    mailboxes.set(key, found);
    return found;
  };
  for (const m of FIXTURE.messages) {
    const box = mailbox(m.mailbox);
    const folder = box.folders.find((f) => f.displayName === m.folder) ?? box.folders[0];
    box.messages.push({ doc: messageDoc(m, folder?.id ?? ""), raw: rawSource(m) });
  }
  const { rule, user } = FIXTURE;
  const address = (a: string) => ({ emailAddress: { name: a, address: a } });
  mailbox(rule.mailbox).rules.push({
    id: rule.id,
    displayName: rule.name,
    sequence: 1,
    isEnabled: rule.enabled,
    hasError: false,
    isReadOnly: false,
    conditions: {},
    actions: { forwardTo: rule.forwardTo.map(address), stopProcessingRules: true },
  });
  const bob = userDoc(user.userPrincipalName, {
    id: user.id,
    displayName: user.displayName,
    department: user.department,
    jobTitle: user.jobTitle,
    accountEnabled: user.accountEnabled,
    usageLocation: user.usualCountries[0] ?? null,
  });
  bob.groups = user.tags.map((tag) => `group-${tag}`);
  const others = [...mailboxes.keys()].filter((a) => a !== user.userPrincipalName).map((a) => userDoc(a));
  return {
    mailboxes: [...mailboxes.values()],
    users: [bob, ...others],
    signIns: FIXTURE.signIns.map((s) => signInDoc(s, user.id)),
  };
}
