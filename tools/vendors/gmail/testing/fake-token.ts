/**
 * The fake Google token endpoint for service accounts: a jwt-bearer grant whose assertion must carry a
 * valid RS256 signature by the account's key, its client_email as iss, the endpoint as aud, a Gmail scope,
 * a lifetime of at most an hour starting about now, and a sub among the domain's mailboxes. Refusals use
 * Google's `{error, error_description}` bodies.
 */
import { verify, type KeyObject } from "node:crypto";
import { formOf, type FakeReply, type FakeRequest } from "../../../testing/fake-http.ts";

const UNAUTHORIZED =
  "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.";

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/** The verified claims of an assertion, or null when its signature or header is wrong. */
function claimsOf(assertion: string, publicKey: KeyObject): Record<string, unknown> | null {
  const [header, payload, signature] = assertion.split(".");
  if (!header || !payload || !signature) return null;
  const data = Buffer.from(`${header}.${payload}`);
  if (!verify("RSA-SHA256", data, publicKey, Buffer.from(signature, "base64url"))) return null;
  const decode = (part: string): unknown => JSON.parse(Buffer.from(part, "base64url").toString());
  const head = decode(header);
  const claims = decode(payload);
  return isRecord(head) && head.alg === "RS256" && isRecord(claims) ? claims : null;
}

export function googleTokenEndpoint(options: {
  /** The accepted service account; undefined refuses every request (delegation not granted). */
  account: { clientEmail: string; publicKey: KeyObject } | undefined;
  tokenUrl: () => string;
  isMailbox: (sub: string) => boolean;
  /** A new access token for the mailbox. */
  issue: (sub: string) => string;
}): (request: FakeRequest) => FakeReply {
  const refuse = (status: number, error: string, description: string): FakeReply => ({
    status,
    body: { error, error_description: description },
  });
  return (request) => {
    const form = formOf(request);
    const { account } = options;
    if (!account) return refuse(401, "unauthorized_client", UNAUTHORIZED);
    if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer")
      return refuse(400, "unsupported_grant_type", "Invalid grant_type");
    const claims = claimsOf(form.get("assertion") ?? "", account.publicKey);
    if (!claims) return refuse(400, "invalid_grant", "Invalid JWT Signature.");
    const { iss, sub, aud, scope, iat, exp } = claims;
    const timely =
      typeof iat === "number" &&
      typeof exp === "number" &&
      exp - iat <= 3600 &&
      Math.abs(iat - Date.now() / 1000) <= 300;
    if (iss !== account.clientEmail || aud !== options.tokenUrl() || !timely)
      return refuse(
        400,
        "invalid_grant",
        "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe",
      );
    if (
      typeof sub !== "string" ||
      !options.isMailbox(sub.toLowerCase()) ||
      typeof scope !== "string" ||
      !scope.includes("gmail")
    )
      return refuse(401, "unauthorized_client", UNAUTHORIZED);
    return {
      body: { access_token: options.issue(sub.toLowerCase()), expires_in: 3599, token_type: "Bearer" },
    };
  };
}
