/**
 * A fake Google: the OAuth token endpoint checking service-account JWTs (RS256 signature against the
 * account's public key, iss, aud, scope, lifetime, and a sub among the domain's mailboxes) and the Gmail
 * API routes the adapter calls, with Google's error bodies, a bearer token that only opens its own
 * mailbox, newest-first listing with small pages, no `messages` key when nothing matches, 404 for a
 * message that is not in the mailbox, trash/modify/labels, filters and forwarding. Knobs: refuse every
 * token, answer 403 for scopes the token lacks, or accept plain access tokens.
 */
import type { KeyObject } from "node:crypto";
import {
  jsonOf,
  startFakeServer,
  type FakeReply,
  type FakeRequest,
  type FakeServer,
} from "../../../testing/fake-http.ts";
import { matchesGmailQuery, parseGmailQuery } from "./fake-query.ts";
import { googleTokenEndpoint } from "./fake-token.ts";
import { fixtureWorld, type FakeMessage, type GmailWorld } from "./seed.ts";

export interface GmailFakeOptions {
  world?: GmailWorld;
  /** The service account whose JWTs the token endpoint accepts. */
  serviceAccount?: { clientEmail: string; publicKey: KeyObject };
  /** Plain access tokens accepted for every mailbox (the access_token mode). */
  accessTokens?: readonly string[];
  pageSize?: number;
  refuseAuth?: boolean;
  /** Answer every API call 403 insufficient scopes. */
  forbid?: boolean;
}

export interface GmailFake extends FakeServer {
  world: GmailWorld;
  /** Subjects of the tokens issued, in order. */
  issuedFor: string[];
  revokeTokens(): void;
}

const googleError = (code: number, message: string, reason: string, status: string): FakeReply => ({
  status: code,
  body: { error: { code, message, errors: [{ domain: "global", reason, message }], status } },
});
const notFound = () => googleError(404, "Requested entity was not found.", "notFound", "NOT_FOUND");

export async function startGmailFake(options: GmailFakeOptions = {}): Promise<GmailFake> {
  const world = options.world ?? fixtureWorld();
  const tokens = new Map<string, string>();
  const issuedFor: string[] = [];
  const labels = new Map<string, Array<{ id: string; name: string; type: string }>>();
  const pageSize = options.pageSize ?? 2;
  let serial = 0;
  let tokenUrl = "";

  const tokenReply = googleTokenEndpoint({
    account: options.refuseAuth ? undefined : options.serviceAccount,
    tokenUrl: () => tokenUrl,
    isMailbox: (sub) => world.mailboxes.has(sub),
    issue(sub) {
      const token = `ya29.fake-${++serial}`;
      tokens.set(token, sub);
      issuedFor.push(sub);
      return token;
    },
  });

  /** The mailbox a request may touch, or the error Google gives. */
  function mailboxOf(request: FakeRequest): { mailbox: string; messages: FakeMessage[] } | FakeReply {
    const token = (request.headers.authorization ?? "").replace(/^Bearer /, "");
    const owner = options.accessTokens?.includes(token) ? "*" : tokens.get(token);
    if (!owner) return googleError(401, "Invalid Credentials", "authError", "UNAUTHENTICATED");
    if (options.forbid)
      return googleError(
        403,
        "Request had insufficient authentication scopes.",
        "insufficientPermissions",
        "PERMISSION_DENIED",
      );
    const user = (request.params.user ?? "").toLowerCase();
    const mailbox = user === "me" ? owner : user;
    if (owner !== "*" && owner !== mailbox)
      return googleError(403, `Delegation denied for ${owner}`, "forbidden", "PERMISSION_DENIED");
    const messages = world.mailboxes.get(mailbox);
    return messages
      ? { mailbox, messages }
      : googleError(400, "Invalid user", "invalidArgument", "INVALID_ARGUMENT");
  }

  const api =
    (handler: (request: FakeRequest, box: { mailbox: string; messages: FakeMessage[] }) => FakeReply) =>
    (request: FakeRequest) => {
      const box = mailboxOf(request);
      return "mailbox" in box ? handler(request, box) : box;
    };
  const message = (box: { messages: FakeMessage[] }, id: string | undefined) =>
    box.messages.find((m) => m.id === id);
  const metadata = (m: FakeMessage, names: string[]) => ({
    id: m.id,
    threadId: m.threadId,
    labelIds: m.labelIds,
    internalDate: m.internalDate,
    payload: {
      headers: Object.entries(m.headers)
        .filter(([k]) => names.some((n) => n.toLowerCase() === k.toLowerCase()))
        .map(([name, value]) => ({ name, value })),
    },
  });
  const labelsOf = (mailbox: string) => {
    let list = labels.get(mailbox);
    if (!list) {
      const system = ["INBOX", "SPAM", "TRASH", "UNREAD", "SENT", "DRAFT"].map((id) => ({
        id,
        name: id,
        type: "system",
      }));
      const user = (world.userLabels.get(mailbox) ?? []).map((l) => ({ ...l, type: "user" }));
      labels.set(mailbox, (list = [...system, ...user]));
    }
    return list;
  };

  const base = "/gmail/v1/users/:user";
  const server = await startFakeServer([
    { method: "POST", path: "/token", handler: tokenReply },
    {
      method: "GET",
      path: `${base}/profile`,
      handler: api((_, box) => ({
        body: {
          emailAddress: box.mailbox,
          messagesTotal: box.messages.length,
          threadsTotal: box.messages.length,
          historyId: "9001",
        },
      })),
    },
    {
      method: "GET",
      path: `${base}/messages`,
      handler: api((request, box) => {
        let terms;
        try {
          terms = parseGmailQuery(request.query.get("q") ?? "");
        } catch (error) {
          return googleError(
            400,
            error instanceof Error ? error.message : String(error),
            "invalidArgument",
            "INVALID_ARGUMENT",
          );
        }
        const all = request.query.get("includeSpamTrash") === "true";
        const hits = box.messages
          .filter((m) => all || !m.labelIds.some((l) => l === "TRASH" || l === "SPAM"))
          .filter((m) => matchesGmailQuery(terms, m))
          .sort((a, b) => Number(b.internalDate) - Number(a.internalDate) || b.id.localeCompare(a.id));
        const start = Number(request.query.get("pageToken") ?? 0);
        const size = Math.min(Number(request.query.get("maxResults") ?? 100), pageSize);
        const page = hits.slice(start, start + size);
        if (page.length === 0) return { body: { resultSizeEstimate: 0 } };
        return {
          body: {
            messages: page.map((m) => ({ id: m.id, threadId: m.threadId })),
            ...(start + size < hits.length ? { nextPageToken: String(start + size) } : {}),
            resultSizeEstimate: hits.length,
          },
        };
      }),
    },
    {
      method: "GET",
      path: `${base}/messages/:id`,
      handler: api((request, box) => {
        const m = message(box, request.params.id);
        if (!m) return notFound();
        const format = request.query.get("format") ?? "full";
        if (format === "raw")
          return {
            body: {
              id: m.id,
              threadId: m.threadId,
              labelIds: m.labelIds,
              internalDate: m.internalDate,
              raw: Buffer.from(m.raw).toString("base64url"),
            },
          };
        if (format === "metadata") return { body: metadata(m, request.query.getAll("metadataHeaders")) };
        return googleError(
          400,
          `format ${format} is not served by the fake`,
          "invalidArgument",
          "INVALID_ARGUMENT",
        );
      }),
    },
    {
      method: "POST",
      path: `${base}/messages/:id/trash`,
      handler: api((request, box) => {
        const m = message(box, request.params.id);
        if (!m) return notFound();
        m.labelIds = [
          ...m.labelIds.filter((l) => l !== "INBOX"),
          ...(m.labelIds.includes("TRASH") ? [] : ["TRASH"]),
        ];
        return { body: { id: m.id, threadId: m.threadId, labelIds: m.labelIds } };
      }),
    },
    {
      method: "POST",
      path: `${base}/messages/:id/modify`,
      handler: api((request, box) => {
        const m = message(box, request.params.id);
        if (!m) return notFound();
        const body = jsonOf(request);
        const list = (key: string): unknown =>
          typeof body === "object" && body !== null && key in body
            ? Object.getOwnPropertyDescriptor(body, key)?.value
            : [];
        const add = list("addLabelIds");
        const remove = list("removeLabelIds");
        if (!Array.isArray(add) || !Array.isArray(remove))
          return googleError(400, "Invalid label lists", "invalidArgument", "INVALID_ARGUMENT");
        if (add.some((l) => !labelsOf(box.mailbox).some((x) => x.id === l)))
          return googleError(400, "Invalid label", "invalidArgument", "INVALID_ARGUMENT");
        m.labelIds = [...new Set([...m.labelIds.filter((l) => !remove.includes(l)), ...add.map(String)])];
        return { body: { id: m.id, threadId: m.threadId, labelIds: m.labelIds } };
      }),
    },
    {
      method: "GET",
      path: `${base}/labels`,
      handler: api((_, box) => ({ body: { labels: labelsOf(box.mailbox) } })),
    },
    {
      method: "POST",
      path: `${base}/labels`,
      handler: api((request, box) => {
        const body = jsonOf(request);
        const name = typeof body === "object" && body !== null && "name" in body ? String(body.name) : "";
        const list = labelsOf(box.mailbox);
        if (!name || list.some((l) => l.name.toLowerCase() === name.toLowerCase()))
          return googleError(409, "Label name exists or conflicts", "duplicate", "ALREADY_EXISTS");
        const label = { id: `Label_${list.length + 1}`, name, type: "user" };
        list.push(label);
        return { body: label };
      }),
    },
    {
      method: "GET",
      path: `${base}/settings/filters`,
      handler: api((_, box) => ({
        body: world.filters.get(box.mailbox)?.length ? { filter: world.filters.get(box.mailbox) } : {},
      })),
    },
    {
      method: "*",
      path: `${base}/settings/filters/:fid`,
      handler: api((request, box) => {
        const filters = world.filters.get(box.mailbox) ?? [];
        const filter = filters.find((f) => f.id === request.params.fid);
        if (!filter) return notFound();
        if (request.method === "GET") return { body: filter };
        if (request.method !== "DELETE")
          return googleError(405, "Method not allowed", "badRequest", "INVALID_ARGUMENT");
        world.filters.set(
          box.mailbox,
          filters.filter((f) => f !== filter),
        );
        return { status: 204 };
      }),
    },
    {
      method: "GET",
      path: `${base}/settings/autoForwarding`,
      handler: api((_, box) => ({ body: world.autoForwarding.get(box.mailbox) ?? { enabled: false } })),
    },
  ]);
  tokenUrl = `${server.url}/token`;
  return { ...server, world, issuedFor, revokeTokens: () => tokens.clear() };
}
