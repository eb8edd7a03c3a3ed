/**
 * The Entra ID token endpoint of a fake Microsoft service: client credentials per scope, answered like
 * login.microsoftonline.com (AADSTS errors as `{error, error_description}`), and a check of the bearer
 * tokens it issued, so a token for one resource is refused by another.
 */
import { formOf, type FakeReply, type FakeRequest, type FakeRoute } from "../../../testing/fake-http.ts";

export const FAKE_TENANT = "00000000-0000-4000-8000-000000000001";
export const FAKE_CLIENT_ID = "11111111-1111-4111-8111-111111111111";
export const FAKE_SECRET = "fake-client-secret";

export interface FakeEntra {
  route: FakeRoute;
  /** The scope a presented bearer token was issued for, or null when it is unknown or revoked. */
  scopeOf(request: FakeRequest): string | null;
  /** Token requests answered, per scope. */
  issued: Map<string, number>;
  /** Forget every issued token, as if they had expired early. */
  revokeAll(): void;
  /** Refuse every token request (a wrong or expired client secret). */
  refuse: boolean;
}

export function fakeEntra(options: { lifetimeSeconds?: number } = {}): FakeEntra {
  const tokens = new Map<string, string>();
  const issued = new Map<string, number>();
  let serial = 0;
  const entra: FakeEntra = {
    refuse: false,
    issued,
    revokeAll: () => tokens.clear(),
    scopeOf(request) {
      const match = /^Bearer (.+)$/.exec(request.headers["authorization"] ?? "");
      return match?.[1] ? (tokens.get(match[1]) ?? null) : null;
    },
    route: {
      method: "POST",
      path: "/:tenant/oauth2/v2.0/token",
      handler: (request): FakeReply => {
        const form = formOf(request);
        const invalid = (code: string, description: string): FakeReply => ({
          status: code === "invalid_client" ? 401 : 400,
          body: {
            error: code,
            error_description: description,
            error_codes: [7000215],
            trace_id: "fake-trace",
            correlation_id: "fake-correlation",
          },
        });
        if (request.params.tenant !== FAKE_TENANT)
          return invalid("invalid_request", `AADSTS90002: Tenant '${request.params.tenant}' not found.`);
        if (form.get("grant_type") !== "client_credentials")
          return invalid("unsupported_grant_type", "AADSTS70003: unsupported grant type");
        if (
          entra.refuse ||
          form.get("client_id") !== FAKE_CLIENT_ID ||
          form.get("client_secret") !== FAKE_SECRET
        )
          return invalid("invalid_client", "AADSTS7000215: Invalid client secret provided.");
        const scope = form.get("scope") ?? "";
        if (!scope.endsWith("/.default")) return invalid("invalid_scope", "AADSTS1002012: invalid scope");
        const token = `fake-token-${++serial}`;
        tokens.set(token, scope);
        issued.set(scope, (issued.get(scope) ?? 0) + 1);
        return {
          body: {
            token_type: "Bearer",
            expires_in: options.lifetimeSeconds ?? 3599,
            ext_expires_in: options.lifetimeSeconds ?? 3599,
            access_token: token,
          },
        };
      },
    },
  };
  return entra;
}
