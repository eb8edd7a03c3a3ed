/**
 * The base of the fake Microsoft Graph: the Entra token endpoint (client credentials, one scope), bearer
 * tokens checked on every call, application permissions per route (403 in Graph's shapes), Exchange
 * application access policies, paging through an opaque `@odata.nextLink`, `$select` projection, and a
 * record of concurrent requests per mailbox. Route groups (mail, directory) plug into it.
 */
import {
  formOf,
  startFakeServer,
  type FakeReply,
  type FakeRequest,
  type FakeServer,
} from "../../../testing/fake-http.ts";
import type { FakeGraphState, FakeMailbox, FakeUser } from "./fake-state.ts";

export const FAKE_TENANT = "0b0c0d0e-1111-2222-3333-444455556666";
export const FAKE_CLIENT_ID = "soc-triage-app";
export const FAKE_SECRET = "fake-secret";
export const FAKE_SCOPE = "https://graph.microsoft.com/.default";

export const ALL_PERMISSIONS = [
  "Mail.Read",
  "Mail.ReadWrite",
  "MailboxSettings.Read",
  "MailboxSettings.ReadWrite",
  "User.Read.All",
  "User.ReadWrite.All",
  "User.RevokeSessions.All",
  "GroupMember.Read.All",
  "RoleManagement.Read.Directory",
  "UserAuthenticationMethod.Read.All",
  "AuditLog.Read.All",
] as const;
export type GraphPermission = (typeof ALL_PERMISSIONS)[number];

export interface FakeGraphOptions {
  pageSize?: number;
  /** Application permissions granted to the app; all by default. */
  permissions?: readonly GraphPermission[];
  /** Entra ID P1/P2: sign-in logs need it. */
  premium?: boolean;
  /** The token endpoint refuses the client secret. */
  refuseAuth?: boolean;
  /** Mailboxes an application access policy keeps the app out of. */
  blockedMailboxes?: readonly string[];
  /** Delay per request, so concurrency can be observed. */
  latencyMs?: number;
}

export interface GraphRoute {
  method: string;
  /** `/v1.0/users/:user/messages`; `:name` captures a segment. */
  path: string;
  /** Any one of these grants access. */
  needs: readonly GraphPermission[];
  /** Graph's 403 differs between Exchange (mail) and the directory. */
  family: "mail" | "directory";
  /** The `:user` segment is a mailbox: access policies and per-mailbox concurrency apply. */
  mailbox?: boolean;
  handler: (request: FakeRequest) => FakeReply | Promise<FakeReply>;
}

export interface FakeGraphContext {
  state: FakeGraphState;
  options: FakeGraphOptions;
  url(): string;
  /** A paged answer: `$top` (capped by the page size), `$select`, `@odata.nextLink` with a `$skiptoken`. */
  list(request: FakeRequest, items: readonly object[], maxTop?: number): FakeReply;
  project(request: FakeRequest, doc: object): Record<string, unknown>;
  user(key: string): FakeUser | undefined;
  mailbox(key: string): FakeMailbox | undefined;
}

export interface FakeGraph extends FakeServer {
  state: FakeGraphState;
  tokensIssued(): number;
  /** Makes every token issued so far invalid, as expiry or revocation would. */
  expireTokens(): void;
  maxInFlight(): { total: number; perMailbox: number };
}

export function graphError(status: number, code: string, message: string): FakeReply {
  return {
    status,
    body: {
      error: { code, message, innerError: { "request-id": "fake-request", date: "2026-11-03T10:00:00" } },
    },
  };
}

/** `/users('$x')` (Graph's form for keys starting with $) becomes `/users/$x`. */
function normalizePath(path: string): string {
  return path.replace(
    /\/users\('((?:[^']|'')*)'\)/,
    (_m, key: string) => `/users/${key.replace(/''/g, "'")}`,
  );
}

/** Graph answers the selected properties and the id. */
function project(select: string | null, doc: object): Record<string, unknown> {
  const entries = Object.entries(doc);
  if (!select) return Object.fromEntries(entries);
  const keep = new Set(["id", "@odata.type", ...select.split(",")]);
  return Object.fromEntries(entries.filter(([key]) => keep.has(key)));
}

function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/");
  const got = path.split("/");
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (const [i, w] of want.entries()) {
    const g = got[i] ?? "";
    if (w.startsWith(":")) params[w.slice(1)] = decodeURIComponent(g);
    else if (w !== g) return null;
  }
  return params;
}

export async function startFakeGraphServer(
  state: FakeGraphState,
  options: FakeGraphOptions,
  groups: ReadonlyArray<(context: FakeGraphContext) => GraphRoute[]>,
): Promise<FakeGraph> {
  const tokens = new Set<string>();
  const pages = new Map<
    string,
    { items: readonly object[]; offset: number; top: number; select: string | null }
  >();
  let issued = 0;
  let base = "";
  let inFlight = 0;
  const perMailbox = new Map<string, number>();
  const max = { total: 0, perMailbox: 0 };
  const granted = new Set<string>(options.permissions ?? ALL_PERMISSIONS);
  const blocked = new Set((options.blockedMailboxes ?? []).map((m) => m.toLowerCase()));

  const user = (key: string) =>
    state.users.find((u) => u.doc.id === key || u.doc.userPrincipalName.toLowerCase() === key.toLowerCase());
  const context: FakeGraphContext = {
    state,
    options,
    url: () => base,
    user,
    mailbox: (key) =>
      state.mailboxes.find(
        (m) => m.address === key.toLowerCase() || user(key)?.doc.mail?.toLowerCase() === m.address,
      ),
    project: (request, doc) => project(request.query.get("$select"), doc),
    list(request, items, maxTop = 1000) {
      const token = request.query.get("$skiptoken");
      let run = token ? pages.get(token) : undefined;
      if (token && !run) return graphError(400, "BadRequest", "The skip token is not valid.");
      if (!run) {
        const top = Number(request.query.get("$top") ?? "10");
        if (!Number.isInteger(top) || top < 1 || top > maxTop)
          return graphError(
            400,
            "BadRequest",
            `Invalid page size specified: '${request.query.get("$top")}'.`,
          );
        run = { items, offset: 0, top, select: request.query.get("$select") };
      }
      const size = Math.min(run.top, options.pageSize ?? 2);
      const value = run.items.slice(run.offset, run.offset + size).map((doc) => project(run.select, doc));
      const body: Record<string, unknown> = { "@odata.context": `${base}/v1.0/$metadata`, value };
      if (run.offset + size < run.items.length) {
        const next = `t${pages.size + 1}`;
        pages.set(next, { ...run, offset: run.offset + size });
        body["@odata.nextLink"] = `${base}${request.path}?$skiptoken=${next}`;
      }
      return { body };
    },
  };
  const routes = groups.flatMap((group) => group(context));

  function token(request: FakeRequest): FakeReply {
    const form = formOf(request);
    const refuse = (status: number, error: string, description: string): FakeReply => ({
      status,
      body: { error, error_description: description, error_codes: [Number(description.slice(5, 12))] },
    });
    if (request.params.tenant !== FAKE_TENANT)
      return refuse(400, "invalid_request", `AADSTS90002: Tenant '${request.params.tenant}' not found.`);
    if (form.get("grant_type") !== "client_credentials")
      return refuse(
        400,
        "unsupported_grant_type",
        "AADSTS70003: The app requested an unsupported grant type.",
      );
    if (form.get("client_id") !== FAKE_CLIENT_ID)
      return refuse(
        400,
        "unauthorized_client",
        `AADSTS700016: Application '${form.get("client_id")}' was not found.`,
      );
    if (options.refuseAuth || form.get("client_secret") !== FAKE_SECRET)
      return refuse(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.");
    if (form.get("scope") !== FAKE_SCOPE)
      return refuse(
        400,
        "invalid_scope",
        `AADSTS1002012: The provided value for scope ${form.get("scope")} is not valid.`,
      );
    const value = `graph-token-${++issued}`;
    tokens.add(value);
    return { body: { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: value } };
  }

  async function dispatch(request: FakeRequest): Promise<FakeReply> {
    const tenant = match("/:tenant/oauth2/v2.0/token", request.path);
    if (tenant && request.method === "POST") return token({ ...request, params: tenant });
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
    if (!bearer || !tokens.has(bearer))
      return graphError(
        401,
        "InvalidAuthenticationToken",
        bearer ? "Lifetime validation failed, the token is expired." : "Access token is empty.",
      );
    const path = normalizePath(request.path);
    for (const route of routes) {
      const params = route.method === request.method ? match(route.path, path) : null;
      if (!params) continue;
      if (!route.needs.some((p) => granted.has(p)))
        return route.family === "mail"
          ? graphError(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
          : graphError(
              403,
              "Authorization_RequestDenied",
              "Insufficient privileges to complete the operation.",
            );
      const key = route.mailbox ? (context.mailbox(params.user ?? "")?.address ?? params.user ?? "") : "";
      if (route.mailbox && blocked.has(key.toLowerCase()))
        return graphError(
          403,
          "ErrorAccessDenied",
          "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.",
        );
      inFlight++;
      perMailbox.set(key, (perMailbox.get(key) ?? 0) + 1);
      max.total = Math.max(max.total, inFlight);
      if (key) max.perMailbox = Math.max(max.perMailbox, perMailbox.get(key) ?? 0);
      try {
        if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
        return await route.handler({ ...request, path, params });
      } finally {
        inFlight--;
        perMailbox.set(key, (perMailbox.get(key) ?? 1) - 1);
      }
    }
    return graphError(
      400,
      "BadRequest",
      `Resource not found for the segment '${path.split("/").pop() ?? ""}'.`,
    );
  }

  const server = await startFakeServer([{ method: "*", path: "/*", handler: dispatch }]);
  base = server.url;
  return {
    ...server,
    state,
    tokensIssued: () => issued,
    expireTokens: () => tokens.clear(),
    maxInFlight: () => ({ ...max }),
  };
}
