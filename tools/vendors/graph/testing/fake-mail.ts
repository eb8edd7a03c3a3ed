/**
 * Outlook mail in the fake Graph: filtered, ordered, paged message lists per mailbox and per folder (soft-
 * deleted items are left out of the mailbox-wide list, as Outlook leaves out Recoverable Items), MIME
 * source, moves (a new id unless immutable ids were asked for), folders and inbox rules, with Exchange's
 * error codes.
 */
import type { FakeReply, FakeRequest } from "../../../testing/fake-http.ts";
import { graphError, type FakeGraphContext, type GraphRoute } from "./fake-server.ts";
import type { FakeMailbox, GraphMessageDoc } from "./fake-state.ts";
import { FilterError, matchesFilter, parseFilter } from "./odata.ts";

const READ = ["Mail.Read", "Mail.ReadWrite"] as const;
const WRITE = ["Mail.ReadWrite"] as const;
const RULES_READ = ["MailboxSettings.Read", "MailboxSettings.ReadWrite"] as const;
const RULES_WRITE = ["MailboxSettings.ReadWrite"] as const;

const itemNotFound = () =>
  graphError(404, "ErrorItemNotFound", "The specified object was not found in the store.");

export function mailRoutes(ctx: FakeGraphContext): GraphRoute[] {
  let moves = 0;

  /** The mailbox a request names, or Exchange's answer when there is none. */
  function mailboxOf(request: FakeRequest): FakeMailbox | FakeReply {
    const key = request.params.user ?? "";
    const box = ctx.mailbox(key);
    if (box) return box;
    return ctx.user(key)
      ? graphError(
          404,
          "MailboxNotEnabledForRESTAPI",
          "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
        )
      : graphError(404, "ErrorInvalidUser", `The requested user '${key}' is invalid.`);
  }
  const isReply = (value: FakeMailbox | FakeReply): value is FakeReply => !("address" in value);

  const folderOf = (box: FakeMailbox, key: string) =>
    box.folders.find((f) => f.id === key || f.wellKnown === key.toLowerCase());
  const recoverable = (box: FakeMailbox, folderId: string) =>
    box.folders.some((f) => f.id === folderId && f.wellKnown.startsWith("recoverableitems"));

  function listMessages(request: FakeRequest, box: FakeMailbox, folderId: string | null): FakeReply {
    let docs: GraphMessageDoc[] = box.messages
      .map((m) => m.doc)
      .filter((d) => (folderId ? d.parentFolderId === folderId : !recoverable(box, d.parentFolderId)));
    const filter = request.query.get("$filter");
    const orderby = request.query.get("$orderby");
    let clauses: ReturnType<typeof parseFilter> = [];
    try {
      clauses = filter ? parseFilter(filter) : [];
    } catch (error) {
      if (error instanceof FilterError)
        return graphError(400, "BadRequest", `Invalid filter clause: ${error.message}`);
      throw error;
    }
    docs = docs.filter((d) => matchesFilter(clauses, d));
    const [property, direction = "asc"] = (orderby ?? "receivedDateTime desc").split(" ");
    // Outlook sorts a filtered list only when the sort property leads the filter.
    if (orderby && clauses.length > 0 && clauses[0]?.path !== property)
      return graphError(
        400,
        "InefficientFilter",
        "The restriction or sort order is too complex for this operation.",
      );
    if (property !== "receivedDateTime")
      return graphError(400, "BadRequest", `Cannot sort by '${property}'.`);
    const sign = direction === "desc" ? -1 : 1;
    docs.sort((a, b) => sign * (Date.parse(a.receivedDateTime) - Date.parse(b.receivedDateTime)));
    return ctx.list(request, docs);
  }

  const route = (
    method: string,
    path: string,
    needs: GraphRoute["needs"],
    handler: (request: FakeRequest, box: FakeMailbox) => FakeReply,
  ): GraphRoute => ({
    method,
    path: `/v1.0/users/:user${path}`,
    needs,
    family: "mail",
    mailbox: true,
    handler: (request) => {
      const box = mailboxOf(request);
      return isReply(box) ? box : handler(request, box);
    },
  });

  return [
    route("GET", "/messages", READ, (request, box) => listMessages(request, box, null)),
    route("GET", "/mailFolders/:folder", READ, (request, box) => {
      const folder = folderOf(box, request.params.folder ?? "");
      if (!folder) return itemNotFound();
      const body = { id: folder.id, displayName: folder.displayName, childFolderCount: 0, totalItemCount: 0 };
      return { body: ctx.project(request, body) };
    }),
    route("GET", "/mailFolders/:folder/messages", READ, (request, box) => {
      const folder = folderOf(box, request.params.folder ?? "");
      return folder ? listMessages(request, box, folder.id) : itemNotFound();
    }),
    route("GET", "/messages/:id/$value", READ, (request, box) => {
      const id = request.params.id ?? "";
      const found = box.messages.find((m) => m.doc.id === id);
      if (found) return { body: found.raw };
      if (ctx.state.mailboxes.some((b) => b.messages.some((m) => m.doc.id === id)))
        return graphError(400, "ErrorInvalidMailboxItemId", "Item Id doesn't belong to the current mailbox.");
      return itemNotFound();
    }),
    route("POST", "/messages/:id/move", WRITE, (request, box) => {
      const found = box.messages.find((m) => m.doc.id === request.params.id);
      if (!found) return itemNotFound();
      let destination = "";
      try {
        const body: unknown = JSON.parse(request.body);
        if (
          typeof body === "object" &&
          body !== null &&
          "destinationId" in body &&
          typeof body.destinationId === "string"
        )
          destination = body.destinationId;
      } catch {
        return graphError(400, "BadRequest", "Unable to read JSON request payload.");
      }
      const folder = folderOf(box, destination);
      if (!folder) return graphError(400, "ErrorInvalidIdMalformed", "Id is malformed.");
      found.doc.parentFolderId = folder.id;
      // A move makes a new item: its id changes unless the caller asked for immutable ids.
      if (request.headers.prefer !== 'IdType="ImmutableId"')
        found.doc.id = `${found.doc.id}-moved-${++moves}`;
      return { status: 201, body: found.doc };
    }),
    route("GET", "/mailFolders/inbox/messageRules", RULES_READ, (request, box) =>
      ctx.list(request, box.rules),
    ),
    route("DELETE", "/mailFolders/inbox/messageRules/:rule", RULES_WRITE, (request, box) => {
      const index = box.rules.findIndex((r) => r.id === request.params.rule);
      if (index < 0) return itemNotFound();
      box.rules.splice(index, 1);
      return { status: 204 };
    }),
  ];
}
