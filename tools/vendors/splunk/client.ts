/**
 * The Splunk management API client: a token (`Authorization: Bearer`) or a session key from
 * /services/auth/login (`Authorization: Splunk <key>`, fetched again after a 401), Splunk's
 * `{"messages":[{type,text}]}` error bodies (XML `<msg>` on some endpoints), and its one throttle signal:
 * HTTP 503 when the user's search-concurrency quota is full, which is RATE_LIMITED and retried.
 */
import { z } from "zod";
import { requireSecret } from "../../auth.ts";
import { ToolError } from "../../../core/errors.ts";
import {
  createHttpClient,
  restate,
  type Classification,
  type HttpAuth,
  type HttpClient,
} from "../../http.ts";
import { secrets } from "../../../core/redact.ts";
import type { VendorContext } from "../types.ts";
import type { SplunkConfig } from "./config.ts";

export const VENDOR = "splunk";

const messagesSchema = z.object({
  messages: z.array(z.object({ type: z.string().nullish(), text: z.string().nullish() })),
});

/** The text of Splunk's error messages, JSON or XML. */
export function splunkErrorText(body: string): string | undefined {
  try {
    const parsed = messagesSchema.safeParse(JSON.parse(body));
    if (parsed.success) {
      const texts = parsed.data.messages.map((m) => m.text).filter((t): t is string => Boolean(t));
      if (texts.length > 0) return texts.join("; ");
    }
  } catch {
    // Not JSON: Splunk answers XML where output_mode is not honoured.
  }
  const xml = [...body.matchAll(/<msg\b[^>]*>([^<]*)<\/msg>/g)].map((m) => m[1]?.trim() ?? "");
  return xml.filter(Boolean).join("; ") || undefined;
}

/** Splunk's only throttle: a 503 naming the concurrency quota (it never sends 429). */
export function classifySplunk(status: number, body: string): Classification | undefined {
  if (status === 503 && /concurren|quota|maximum number of .*searches/i.test(body))
    return { code: "RATE_LIMITED", retryable: true };
  return undefined;
}

const loginSchema = z.string();
const sessionKeyJson = z.object({ sessionKey: z.string().min(1) });

/** The session key from a login answer: `{"sessionKey"}` with output_mode=json, XML otherwise. */
function sessionKeyOf(body: string): string | undefined {
  try {
    const parsed = sessionKeyJson.safeParse(JSON.parse(body));
    if (parsed.success) return parsed.data.sessionKey;
  } catch {
    // XML form below.
  }
  return /<sessionKey>([^<]+)<\/sessionKey>/.exec(body)?.[1];
}

function sessionAuth(config: SplunkConfig, username: string, context: VendorContext): HttpAuth {
  const login = createHttpClient({
    vendor: VENDOR,
    baseUrl: config.baseUrl,
    errorText: splunkErrorText,
    classify: classifySplunk,
    ...context.http,
  });
  let key: string | null = null;
  let pending: Promise<string> | null = null;
  async function fetchKey(signal?: AbortSignal): Promise<string> {
    const password = requireSecret(context.env[config.passwordEnv], config.passwordEnv, VENDOR);
    try {
      const body = await login.json({
        method: "POST",
        path: "/services/auth/login",
        form: { username, password, output_mode: "json" },
        as: "text",
        schema: loginSchema,
        ...(signal ? { signal } : {}),
      });
      const found = sessionKeyOf(body);
      if (!found) throw new ToolError("BAD_RESPONSE", `${VENDOR}: login answered without a session key`);
      secrets.addFetched(found);
      return (key = found);
    } catch (error) {
      // A wrong password is 401 (or 400 on old versions): the credentials either way.
      if (error instanceof ToolError && (error.code === "BAD_INPUT" || error.code === "AUTH_FAILED"))
        throw restate(error, "AUTH_FAILED", "login refused");
      throw error;
    }
  }
  return {
    async headers(signal) {
      if (key) return { authorization: `Splunk ${key}` };
      pending ??= fetchKey(signal).finally(() => {
        pending = null;
      });
      return { authorization: `Splunk ${await pending}` };
    },
    invalidate() {
      key = null;
    },
  };
}

function tokenAuth(config: SplunkConfig, context: VendorContext): HttpAuth {
  // Read on first use, so a misconfigured vendor fails when (and only if) it is called.
  return {
    headers: async () => ({
      authorization: `Bearer ${requireSecret(context.env[config.tokenEnv], config.tokenEnv, VENDOR)}`,
    }),
  };
}

/** The REST prefix: global, or an app's namespace so its macros and knowledge objects apply. */
export function servicesPath(config: SplunkConfig): string {
  if (!config.app) return "/services";
  return `/servicesNS/${encodeURIComponent(config.owner)}/${encodeURIComponent(config.app)}`;
}

export function splunkClient(config: SplunkConfig, context: VendorContext): HttpClient {
  return createHttpClient({
    vendor: VENDOR,
    baseUrl: config.baseUrl,
    auth: config.username ? sessionAuth(config, config.username, context) : tokenAuth(config, context),
    errorText: splunkErrorText,
    classify: classifySplunk,
    ...context.http,
  });
}
