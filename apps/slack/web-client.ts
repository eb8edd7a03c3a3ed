/** How this app talks to the Slack Web API: one place for the client options and for reading its errors. */
import { z } from "zod";
import { describeError, TriageError } from "../../core/errors.ts";

/** A few quick retries, not the SDK's default of ten over half an hour, and a base URL tests can move. */
export function webClientOptions(apiUrl: string | null) {
  return {
    ...(apiUrl ? { slackApiUrl: apiUrl.replace(/\/*$/, "/") } : {}),
    retryConfig: { retries: 2, maxTimeout: 5_000 },
    timeout: 15_000,
  };
}

const platformErrorSchema = z.object({
  code: z.literal("slack_webapi_platform_error"),
  data: z.object({ error: z.string() }),
});

/** Slack answers that mean the settings are wrong (token, scopes, channel), not that Slack failed. */
const SETTINGS_ERRORS = new Set([
  "not_authed",
  "invalid_auth",
  "account_inactive",
  "token_revoked",
  "missing_scope",
  "channel_not_found",
  "not_in_channel",
  "is_archived",
]);

/** A Web API failure as one line: BAD_INPUT when the settings must change, INTERNAL otherwise. */
export function slackFailure(what: string, error: unknown): TriageError {
  const platform = platformErrorSchema.safeParse(error);
  if (platform.success)
    return new TriageError(
      SETTINGS_ERRORS.has(platform.data.data.error) ? "BAD_INPUT" : "INTERNAL",
      `${what}: Slack answered ${platform.data.data.error}`,
    );
  return new TriageError("INTERNAL", `${what}: ${describeError(error)}`);
}
