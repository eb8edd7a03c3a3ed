/**
 * The Entra ID directory in the fake Graph: users (get, list, disable), session revocation, group and role
 * membership, authentication methods, group members, and the sign-in log (newest first, filtered, paged,
 * behind AuditLog.Read.All and an Entra ID P1/P2 licence), with the directory's error codes.
 */
import type { FakeReply, FakeRequest } from "../../../testing/fake-http.ts";
import { mailRoutes } from "../../graph/testing/fake-mail.ts";
import {
  graphError,
  startFakeGraphServer,
  type FakeGraph,
  type FakeGraphContext,
  type FakeGraphOptions,
  type GraphRoute,
} from "../../graph/testing/fake-server.ts";
import { fixtureState, type FakeGraphState, type FakeUser } from "../../graph/testing/fake-state.ts";
import { FilterError, matchesFilter, parseFilter } from "../../graph/testing/odata.ts";

const USERS_READ = ["User.Read.All", "User.ReadWrite.All"] as const;

const notFound = (key: string) =>
  graphError(
    404,
    "Request_ResourceNotFound",
    `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`,
  );

function jsonBody(request: FakeRequest): Record<string, unknown> | null {
  try {
    const body: unknown = JSON.parse(request.body || "{}");
    return typeof body === "object" && body !== null && !Array.isArray(body)
      ? Object.fromEntries(Object.entries(body))
      : null;
  } catch {
    return null;
  }
}

export function directoryRoutes(ctx: FakeGraphContext): GraphRoute[] {
  const route = (
    method: string,
    path: string,
    needs: GraphRoute["needs"],
    handler: (request: FakeRequest, user: FakeUser) => FakeReply,
  ): GraphRoute => ({
    method,
    path: `/v1.0/users/:user${path}`,
    needs,
    family: "directory",
    handler: (request) => {
      const key = request.params.user ?? "";
      const user = ctx.user(key);
      return user ? handler(request, user) : notFound(key);
    },
  });

  return [
    {
      method: "GET",
      path: "/v1.0/users",
      needs: USERS_READ,
      family: "directory",
      handler: (request) =>
        ctx.list(
          request,
          ctx.state.users.map((u) => u.doc),
          999,
        ),
    },
    route("GET", "", USERS_READ, (request, user) => ({ body: ctx.project(request, user.doc) })),
    route("PATCH", "", ["User.ReadWrite.All"], (request, user) => {
      const body = jsonBody(request);
      if (!body) return graphError(400, "BadRequest", "Unable to read JSON request payload.");
      if (typeof body.accountEnabled === "boolean") user.doc.accountEnabled = body.accountEnabled;
      return { status: 204 };
    }),
    route(
      "POST",
      "/revokeSignInSessions",
      ["User.RevokeSessions.All", "User.ReadWrite.All"],
      (_request, user) => {
        user.doc.signInSessionsValidFromDateTime = new Date().toISOString();
        return { body: { "@odata.context": `${ctx.url()}/v1.0/$metadata#Edm.Boolean`, value: true } };
      },
    ),
    route("POST", "/checkMemberGroups", ["GroupMember.Read.All"], (request, user) => {
      const ids = jsonBody(request)?.groupIds;
      if (!Array.isArray(ids) || ids.length > 20)
        return graphError(400, "Request_BadRequest", "groupIds must list between 1 and 20 group ids.");
      return { body: { value: ids.filter((id) => typeof id === "string" && user.groups.includes(id)) } };
    }),
    route(
      "GET",
      "/transitiveMemberOf/microsoft.graph.directoryRole",
      ["RoleManagement.Read.Directory"],
      (request, user) => ctx.list(request, user.directoryRoles),
    ),
    route("GET", "/authentication/methods", ["UserAuthenticationMethod.Read.All"], (request, user) =>
      ctx.list(request, user.methods),
    ),
    {
      method: "GET",
      path: "/v1.0/groups/:group/transitiveMembers/microsoft.graph.user",
      needs: ["GroupMember.Read.All"],
      family: "directory",
      handler: (request) => {
        const group = request.params.group ?? "";
        const members = ctx.state.users.filter((u) => u.groups.includes(group));
        return members.length
          ? ctx.list(
              request,
              members.map((u) => u.doc),
              999,
            )
          : notFound(group);
      },
    },
    {
      method: "GET",
      path: "/v1.0/auditLogs/signIns",
      needs: ["AuditLog.Read.All"],
      family: "directory",
      handler: (request) => {
        if (ctx.options.premium === false)
          return graphError(
            403,
            "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
            "Neither tenant is B2C or tenant doesn't have premium license",
          );
        const filter = request.query.get("$filter");
        let clauses: ReturnType<typeof parseFilter> = [];
        try {
          clauses = filter ? parseFilter(filter) : [];
        } catch (error) {
          if (error instanceof FilterError)
            return graphError(400, "Request_UnsupportedQuery", `Invalid filter clause: ${error.message}`);
          throw error;
        }
        const found = ctx.state.signIns
          .filter((s) => matchesFilter(clauses, s))
          .sort((a, b) => Date.parse(b.createdDateTime) - Date.parse(a.createdDateTime));
        return ctx.list(request, found, 1000);
      },
    },
  ];
}

/** A fake Graph serving the directory and the mail, seeded from the contract fixture unless told otherwise. */
export function startFakeEntra(
  options: FakeGraphOptions & { state?: FakeGraphState } = {},
): Promise<FakeGraph> {
  return startFakeGraphServer(options.state ?? fixtureState(), options, [directoryRoutes, mailRoutes]);
}
