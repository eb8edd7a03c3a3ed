/**
 * The Entra ID sign-in log (GET /auditLogs/signIns; AuditLog.Read.All and an Entra ID P1/P2 licence).
 *
 * Paging direction: the log answers newest first and sorts no other way, but the port wants the oldest
 * `limit` sign-ins of a window. A window read to its end (at most `scanLimit` records) gives them exactly.
 * A window holding more than that is halved and its older half read first: the oldest records are there,
 * and the newer half is read only when the older one holds fewer than `limit`. Every read stays bounded.
 *
 * Results: errorCode 0 is a success, or `mfa_approved` when the record shows a second factor completed in
 * this sign-in (authenticationDetails: a non-password step that succeeded, not "satisfied by claim in the
 * token"). 500121 (or an MFA step that failed) is `mfa_timeout` when the log says the user did not respond,
 * else `mfa_denied`. Everything else is a failure, including 50074/50076 (MFA required), the interruption
 * logged before the prompt whose own outcome is a separate record. v1.0 may leave authenticationDetails out
 * (it is certain on /beta): then an MFA-satisfied sign-in reads as a plain success. authenticationRequirement
 * and conditionalAccessStatus do not decide anything: "multiFactorAuthentication" is also logged when an
 * earlier token satisfied MFA (no prompt), and a Conditional Access block carries its own code (53003).
 */
import { z } from "zod";
import type { HttpClient } from "../../http.ts";
import type { SignIn } from "../../../core/domain.ts";
import { collectPages, odataString } from "../microsoft/common.ts";
import { instant, isoOf } from "../graph/client.ts";

const graphSignInSchema = z.object({
  id: z.string(),
  createdDateTime: z.iso.datetime({ offset: true }),
  userPrincipalName: z.string().nullish(),
  appDisplayName: z.string().nullish(),
  resourceDisplayName: z.string().nullish(),
  ipAddress: z.string().nullish(),
  userAgent: z.string().nullish(),
  riskLevelDuringSignIn: z.string().nullish(),
  status: z
    .object({
      errorCode: z.number().nullish(),
      failureReason: z.string().nullish(),
      additionalDetails: z.string().nullish(),
    })
    .nullish(),
  location: z.object({ city: z.string().nullish(), countryOrRegion: z.string().nullish() }).nullish(),
  deviceDetail: z.object({ isCompliant: z.boolean().nullish() }).nullish(),
  authenticationDetails: z
    .array(
      z.object({
        authenticationMethod: z.string().nullish(),
        succeeded: z.boolean().nullish(),
        authenticationStepResultDetail: z.string().nullish(),
      }),
    )
    .nullish(),
});
export type GraphSignIn = z.infer<typeof graphSignInSchema>;

const MFA_FAILED = 500121;
/** Records per page; the log's maximum. */
const PAGE_SIZE = 1000;

const RISK_LEVELS = ["none", "low", "medium", "high"] as const;
const riskOf = (level: string | null | undefined): SignIn["riskLevel"] =>
  RISK_LEVELS.find((r) => r === level) ?? null;

/** A second factor, not the password and not an earlier MFA carried in the token. */
function isSecondFactor(step: NonNullable<GraphSignIn["authenticationDetails"]>[number]): boolean {
  const method = (step.authenticationMethod ?? "").toLowerCase();
  const detail = (step.authenticationStepResultDetail ?? "").toLowerCase();
  return (
    method !== "" &&
    method !== "password" &&
    method !== "previously satisfied" &&
    !detail.includes("satisfied by claim")
  );
}

export function signInResult(record: GraphSignIn): SignIn["result"] {
  const code = record.status?.errorCode;
  const steps = (record.authenticationDetails ?? []).filter(isSecondFactor);
  if (code === 0) return steps.some((s) => s.succeeded === true) ? "mfa_approved" : "success";
  if (code === MFA_FAILED || steps.some((s) => s.succeeded === false)) {
    // Only the log's own words tell an ignored prompt from a refused one.
    const words = [
      record.status?.additionalDetails,
      record.status?.failureReason,
      ...steps.map((s) => s.authenticationStepResultDetail),
    ].join(" ");
    return /did not respond|no response|timed? ?out/i.test(words) ? "mfa_timeout" : "mfa_denied";
  }
  return "failure";
}

export function toSignIn(record: GraphSignIn, user: string): SignIn {
  return {
    id: record.id,
    user: record.userPrincipalName ?? user,
    timestamp: isoOf(record.createdDateTime),
    ip: record.ipAddress ?? "",
    country: record.location?.countryOrRegion || null,
    city: record.location?.city || null,
    app: record.appDisplayName || record.resourceDisplayName || "unknown",
    result: signInResult(record),
    userAgent: record.userAgent ?? null,
    deviceCompliant: record.deviceDetail?.isCompliant ?? null,
    // "hidden" without Entra ID P2, and anything newer than we know, is no reading at all.
    riskLevel: riskOf(record.riskLevelDuringSignIn),
  };
}

export interface SignInLog {
  /** The oldest `limit` sign-ins of the user from `since` to `until`, both inclusive, oldest first. */
  oldest(
    user: string,
    since: string,
    until: string,
    limit: number,
    signal?: AbortSignal,
  ): Promise<GraphSignIn[]>;
  /** Up to `max` sign-ins from `since` to `until`, newest first (for baselines, where any sample will do). */
  newest(user: string, since: Date, until: Date, max: number, signal?: AbortSignal): Promise<GraphSignIn[]>;
}

export function createSignInLog(http: HttpClient, scanLimit: number): SignInLog {
  const vendor = http.vendor;

  /** One window, newest first, at most `max` + 1 records (the extra one says the window holds more). */
  function read(user: string, from: Date, to: Date, toInclusive: boolean, max: number, signal?: AbortSignal) {
    const filter = [
      `userPrincipalName eq ${odataString(user)}`,
      `createdDateTime ge ${from.toISOString()}`,
      `createdDateTime ${toInclusive ? "le" : "lt"} ${to.toISOString()}`,
    ].join(" and ");
    return collectPages(
      http,
      { path: "/auditLogs/signIns", query: { $filter: filter, $top: Math.min(PAGE_SIZE, max + 1) } },
      graphSignInSchema,
      { max: max + 1, ...(signal ? { signal } : {}) },
    );
  }

  async function oldestIn(
    user: string,
    from: Date,
    to: Date,
    toInclusive: boolean,
    limit: number,
    signal?: AbortSignal,
  ): Promise<GraphSignIn[]> {
    const records = await read(user, from, to, toInclusive, scanLimit, signal);
    const span = to.getTime() - from.getTime();
    if (records.length <= scanLimit || span <= 1) return records.reverse().slice(0, limit);
    const mid = new Date(from.getTime() + Math.floor(span / 2));
    const older = await oldestIn(user, from, mid, false, limit, signal);
    if (older.length >= limit) return older;
    return [...older, ...(await oldestIn(user, mid, to, toInclusive, limit - older.length, signal))];
  }

  return {
    async oldest(user, since, until, limit, signal) {
      const from = instant(since, "since", vendor);
      const to = instant(until, "until", vendor);
      if (from > to || limit < 1) return [];
      const records = await oldestIn(user, from, to, true, limit, signal);
      // The log's order within one instant is its own; ours is time, then id.
      return records.sort(
        (a, b) => Date.parse(a.createdDateTime) - Date.parse(b.createdDateTime) || a.id.localeCompare(b.id),
      );
    },
    async newest(user, since, until, max, signal) {
      return (await read(user, since, until, true, max, signal)).slice(0, max);
    },
  };
}
