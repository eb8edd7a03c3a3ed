/**
 * Gmail (Google Workspace): mail search over a configured list of mailboxes, raw sources, filters and
 * forwarding as inbox rules, and quarantine of every copy of a message. Access is a service account with
 * domain-wide delegation (a token per mailbox), or one user's OAuth access token for that user's mailbox.
 */
import { z } from "zod";
import { probeStep, type ProbeResult, type VendorModule } from "../types.ts";
import { createGmailActions } from "./actions.ts";
import { gmailClients, userPath, VENDOR } from "./client.ts";
import { GMAIL_MODIFY_SCOPE, gmailAuth } from "./credentials.ts";
import { createLabels } from "./labels.ts";
import { createGmailMail } from "./mail.ts";
import { FILTER_SCOPES } from "./remove-rule.ts";

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable name");

const authSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("service_account"),
    credentialsEnv: envName
      .default("GOOGLE_APPLICATION_CREDENTIALS")
      .describe("Environment variable holding the service account key: the key file's path, or its JSON"),
    tokenUrl: z.url().optional().describe("Token endpoint; the key's token_uri by default"),
    scopes: z
      .array(z.string().min(1))
      .min(1)
      .default([GMAIL_MODIFY_SCOPE])
      .describe("Scopes delegated to the service account in the Admin console"),
  }),
  z.strictObject({
    type: z.literal("access_token"),
    tokenEnv: envName
      .default("GMAIL_ACCESS_TOKEN")
      .describe("Environment variable holding an OAuth access token"),
  }),
]);

export const gmailConfigSchema = z.strictObject({
  mailboxes: z
    .array(z.email())
    .min(1)
    .max(1000)
    .describe("Mailboxes searched for copies of a message (Gmail has no cross-mailbox search)"),
  baseUrl: z.url().default("https://gmail.googleapis.com"),
  auth: authSchema.prefault({ type: "service_account" }),
  quarantine: z
    .strictObject({
      mode: z.enum(["trash", "label"]).default("trash").describe("Move copies to Trash, or under a label"),
      label: z.string().min(1).max(225).default("Quarantine").describe("The label used in label mode"),
    })
    .prefault({}),
  maxScanPerMailbox: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(500)
    .describe("Most message ids read per mailbox for one search"),
});
export type GmailConfig = z.infer<typeof gmailConfigSchema>;

const profileSchema = z.object({ emailAddress: z.string(), messagesTotal: z.number().nullish() });

export const gmailVendor: VendorModule<GmailConfig> = {
  name: VENDOR,
  provides: ["mail", "actions"],
  configSchema: gmailConfigSchema,
  create(config, context) {
    const auth = gmailAuth(config.auth, context);
    const clients = gmailClients(config.baseUrl, (m) => auth.forMailbox(m), context);
    const labelMode = config.quarantine.mode === "label";
    const labels = createLabels(clients, config.quarantine.label);
    const mail = createGmailMail(clients, labels, {
      mailboxes: config.mailboxes,
      maxScan: config.maxScanPerMailbox,
      quarantineLabel: labelMode ? config.quarantine.label : null,
    });
    const [first] = config.mailboxes;
    return {
      mail,
      actions: createGmailActions(mail, clients, labels, {
        mode: config.quarantine.mode,
        label: config.quarantine.label,
        mailboxes: config.mailboxes,
        canEditFilters:
          config.auth.type === "service_account" &&
          config.auth.scopes.some((s) => FILTER_SCOPES.some((f) => f === s)),
      }),
      async probe(signal): Promise<ProbeResult[]> {
        if (!first) return [];
        const call = signal ? { signal } : {};
        const token = await probeStep(`${VENDOR}: token for ${first}`, async () => {
          await auth.forMailbox(first).headers(signal);
          return config.auth.type === "service_account" ? "delegated token issued" : "access token set";
        });
        // Without a token every read fails the same way: one line says it.
        if (!token.ok) return [token];
        const lines = [
          token,
          await probeStep(`mail: read ${first}`, async () => {
            const profile = await clients
              .forMailbox(first)
              .json({ path: `${userPath(first)}/profile`, schema: profileSchema, ...call });
            return `${profile.messagesTotal ?? "?"} messages in ${profile.emailAddress}`;
          }),
        ];
        if (labelMode)
          lines.push(
            await probeStep(`actions: quarantine label in ${first}`, async () =>
              (await labels.quarantineId(first, false, call))
                ? `label ${config.quarantine.label} exists`
                : `label ${config.quarantine.label} will be created on first use`,
            ),
          );
        return lines;
      },
    };
  },
};
