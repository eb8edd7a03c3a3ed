/**
 * Microsoft Graph mail: message search across mailboxes, MIME source and inbox rules (the mail port), and
 * pulling a message or removing an inbox rule (the actions port).
 *
 * Permissions (application): Mail.Read to search and read MIME, MailboxSettings.Read to list rules,
 * Mail.ReadWrite to move copies, MailboxSettings.ReadWrite to delete rules, and User.Read.All (or
 * GroupMember.Read.All for a group) when mailboxes are discovered rather than listed. An Exchange
 * application access policy may still fence the app off some mailboxes (403 ErrorAccessDenied).
 */
import { z } from "zod";
import { ToolError } from "../../../core/errors.ts";
import { microsoftCredentialsSchema } from "../microsoft/common.ts";
import { probeStep, type VendorModule } from "../types.ts";
import { createGraphActions, quarantineFolders } from "./actions.ts";
import { explainForbidden, graphClient, graphEndpointSchema, tokenCheck, userPath } from "./client.ts";
import { createGraphMail } from "./mail.ts";
import { createMailboxDirectory } from "./mailboxes.ts";
import { createMailboxAccess } from "./messages.ts";

export const graphConfigSchema = z
  .strictObject({
    ...microsoftCredentialsSchema.shape,
    ...graphEndpointSchema,
    mailboxes: z
      .array(z.email())
      .max(10_000)
      .default([])
      .describe("Mailboxes a search covers (Graph has no tenant-wide message search)"),
    mailboxGroupId: z
      .string()
      .min(1)
      .optional()
      .describe("Instead of a list: search the mailboxes of this group's (transitive) members"),
    allMailboxes: z
      .boolean()
      .default(false)
      .describe(
        "Instead of a list: search every user with a mail address (one request per mailbox per search)",
      ),
    maxMailboxes: z
      .number()
      .int()
      .min(1)
      .max(50_000)
      .default(500)
      .describe("Most users read when discovering"),
    mailboxListTtlMinutes: z.number().int().min(1).max(1440).default(60),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(16)
      .default(4)
      .describe("Mailboxes searched at once (each mailbox also gets at most 4 requests at once)"),
    quarantineFolder: z
      .enum(quarantineFolders)
      .default("recoverableitemsdeletions")
      .describe("Where quarantine_message moves copies: soft delete by default"),
  })
  .refine(
    (c) =>
      [c.mailboxes.length > 0, c.mailboxGroupId !== undefined, c.allMailboxes].filter(Boolean).length === 1,
    {
      message: "set exactly one of mailboxes, mailboxGroupId, allMailboxes",
    },
  );
export type GraphConfig = z.infer<typeof graphConfigSchema>;

const VENDOR = "graph";

export const graphVendor: VendorModule<GraphConfig> = {
  name: VENDOR,
  provides: ["mail", "actions"],
  configSchema: graphConfigSchema,
  create(config, context) {
    const http = graphClient(VENDOR, config, context);
    const access = createMailboxAccess(http);
    const directory = createMailboxDirectory(http, config, context.now);
    const mail = createGraphMail({ access, directory, concurrency: config.concurrency });
    const actions = createGraphActions({
      access,
      mail,
      directory,
      concurrency: config.concurrency,
      quarantineFolder: config.quarantineFolder,
    });
    const { findCopies: _internal, ...mailPort } = mail;
    return {
      mail: mailPort,
      actions,
      async probe(signal) {
        const on = signal ? { signal } : {};
        const token = await probeStep("graph: token", () => tokenCheck(VENDOR, config, context)(signal));
        if (!token.ok) return [token];
        let first: string | undefined;
        const mailboxes = await probeStep("graph: mailboxes", async () => {
          const all = await explainForbidden("missing User.Read.All or GroupMember.Read.All", () =>
            directory.list(signal),
          );
          first = all[0];
          if (!first) throw new ToolError("NOT_FOUND", "graph: the configured source lists no mailbox");
          return `${all.length} mailbox${all.length === 1 ? "" : "es"} to search`;
        });
        if (!first) return [token, mailboxes];
        const mailbox = first;
        return [
          token,
          mailboxes,
          await probeStep(`mail: read messages of ${mailbox}`, async () => {
            const page = await explainForbidden(
              "missing Mail.Read, or an application access policy blocks this mailbox",
              () =>
                access.request(mailbox, {
                  path: `${userPath(mailbox, VENDOR)}/messages`,
                  query: { $top: 1, $select: "id" },
                  schema: z.object({ value: z.array(z.unknown()) }),
                  ...on,
                }),
            );
            return page.value.length ? "messages readable" : "readable, but the mailbox is empty";
          }),
          await probeStep(`mail: read inbox rules of ${mailbox}`, async () => {
            const rules = await explainForbidden("missing MailboxSettings.Read", () =>
              mail.listInboxRules(mailbox, on),
            );
            return `${rules.length} inbox rule${rules.length === 1 ? "" : "s"} readable`;
          }),
          await probeStep(`actions: find the ${config.quarantineFolder} folder of ${mailbox}`, async () => {
            const folder = await explainForbidden("missing Mail.Read", () =>
              access.wellKnownFolder(mailbox, config.quarantineFolder, signal),
            );
            if (!folder)
              throw new ToolError("NOT_FOUND", `graph: ${mailbox} has no ${config.quarantineFolder} folder`);
            // Mail.ReadWrite and MailboxSettings.ReadWrite cannot be checked without changing something.
            return `found "${folder.name}"; write permissions are checked on first use`;
          }),
        ];
      },
    };
  },
};
