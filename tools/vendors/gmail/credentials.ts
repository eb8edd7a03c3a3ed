/**
 * Who the adapter is to Google. Either a plain OAuth access token from the environment (one user's own
 * mailbox; it cannot be refreshed here), or a service account with domain-wide delegation: for each
 * mailbox an RS256 JWT (iss = the account, sub = the mailbox, scope, aud = the token endpoint) is signed
 * with the account's private key and exchanged at the token endpoint (grant type jwt-bearer) for a token
 * that acts as that mailbox. Tokens are cached per mailbox until shortly before they expire.
 */
import { createPrivateKey, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { createTokenAuth, requireSecret, type TokenAuth } from "../../auth.ts";
import { ToolError } from "../../../core/errors.ts";
import type { HttpAuth } from "../../http.ts";
import { secrets } from "../../../core/redact.ts";
import type { VendorContext } from "../types.ts";
import { VENDOR } from "./client.ts";

export const GMAIL_MODIFY_SCOPE = "https://www.googleapis.com/auth/gmail.modify";
const DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token";
const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";

export type GmailAuthConfig =
  | { type: "service_account"; credentialsEnv: string; tokenUrl?: string | undefined; scopes: string[] }
  | { type: "access_token"; tokenEnv: string };

const serviceAccountKeySchema = z.object({
  client_email: z.string().min(1),
  private_key: z.string().min(1),
  private_key_id: z.string().nullish(),
  token_uri: z.url().nullish(),
});
export type ServiceAccountKey = z.infer<typeof serviceAccountKeySchema>;

const authFailed = (message: string) =>
  new ToolError("AUTH_FAILED", `${VENDOR}: ${message}`, { vendor: VENDOR });

/** The key from an environment variable holding either the key file's JSON or a path to it. */
export function loadServiceAccountKey(envName: string, env: VendorContext["env"]): ServiceAccountKey {
  const value = requireSecret(env[envName], envName, VENDOR).trim();
  let json = value;
  if (!value.startsWith("{")) {
    try {
      json = readFileSync(value, "utf8");
    } catch (error) {
      const reason = error instanceof Error && "code" in error ? String(error.code) : "unreadable";
      throw authFailed(`cannot read the service account key file named by ${envName} (${reason})`);
    }
  }
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    throw authFailed(`the service account key in ${envName} is not JSON`);
  }
  const key = serviceAccountKeySchema.safeParse(data);
  if (!key.success)
    throw authFailed(
      `the service account key in ${envName} lacks ${key.error.issues[0]?.path.join(".") ?? "fields"}`,
    );
  secrets.add(key.data.private_key);
  return key.data;
}

/** A signed RS256 JWT for the token endpoint. */
export function signAssertion(
  key: ServiceAccountKey,
  claims: { sub: string; scope: string; aud: string },
  nowMs: number,
): string {
  const iat = Math.floor(nowMs / 1000);
  const header = { alg: "RS256", typ: "JWT", ...(key.private_key_id ? { kid: key.private_key_id } : {}) };
  const payload = { iss: key.client_email, ...claims, iat, exp: iat + 3600 };
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString("base64url");
  const input = `${encode(header)}.${encode(payload)}`;
  let privateKey;
  try {
    privateKey = createPrivateKey(key.private_key);
  } catch {
    throw authFailed("the service account's private_key is not a PEM private key");
  }
  return `${input}.${sign("RSA-SHA256", Buffer.from(input), privateKey).toString("base64url")}`;
}

export interface GmailAuth {
  forMailbox(mailbox: string): HttpAuth;
}

export function gmailAuth(config: GmailAuthConfig, context: VendorContext): GmailAuth {
  if (config.type === "access_token") {
    const auth: HttpAuth = {
      headers: async () => ({
        authorization: `Bearer ${requireSecret(context.env[config.tokenEnv], config.tokenEnv, VENDOR)}`,
      }),
    };
    return { forMailbox: () => auth };
  }
  let key: ServiceAccountKey | null = null;
  const tokens = new Map<string, TokenAuth>();
  const now = () => context.now().getTime();
  const tokenAuth = (mailbox: string): TokenAuth => {
    key ??= loadServiceAccountKey(config.credentialsEnv, context.env);
    const signer = key;
    const tokenUrl = config.tokenUrl ?? signer.token_uri ?? DEFAULT_TOKEN_URL;
    return createTokenAuth({
      vendor: VENDOR,
      tokenUrl,
      // A fresh assertion for every token request: its iat/exp are part of what Google checks.
      form: () => ({
        grant_type: JWT_BEARER,
        assertion: signAssertion(
          signer,
          { sub: mailbox, scope: config.scopes.join(" "), aud: tokenUrl },
          now(),
        ),
      }),
      ...(context.http ? { http: context.http } : {}),
      now,
    });
  };
  return {
    forMailbox(mailbox) {
      const id = mailbox.toLowerCase();
      const lazy = () => {
        let auth = tokens.get(id);
        if (!auth) {
          auth = tokenAuth(id);
          tokens.set(id, auth);
        }
        return auth;
      };
      return { headers: (signal) => lazy().headers(signal), invalidate: () => tokens.get(id)?.invalidate() };
    },
  };
}
