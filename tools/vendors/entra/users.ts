/**
 * A directory user from Entra ID (GET /users/{upn}), with what the playbooks read beside the profile:
 *
 * - tags, from a configured mapping only (never guessed): group membership (one checkMemberGroups call per
 *   20 groups, transitive), on-premises extension attributes, and any active directory role (PIM-eligible
 *   roles that are not activated do not count).
 * - usualCountries: `usage_location` (default) is the country an admin set for licensing: declared, not
 *   observed, so a travelling user looks foreign (the safe side). `sign_ins` derives it from the log:
 *   countries of successful sign-ins the log did not rate medium or high risk, seen on at least `minDays`
 *   distinct days in the last `lookbackDays` (one more log read per user). An attacker who signs in quietly
 *   for days would become "usual" that way; hence the day threshold. `none` leaves it empty.
 * - mfaMethods, when enabled: the registered authentication methods (UserAuthenticationMethod.Read.All),
 *   password excluded. Off by default: an empty list then means "not read", not "no MFA".
 */
import { z } from "zod";
import { orNull, type HttpClient } from "../../http.ts";
import type { DirectoryUser } from "../../../core/domain.ts";
import { userPath } from "../graph/client.ts";
import { collectPages } from "../microsoft/common.ts";
import { signInResult, type SignInLog } from "./sign-ins.ts";

const tagSchema = z.string().regex(/^[a-z][a-z0-9_]*$/);
const attributeNames = Array.from({ length: 15 }, (_, i) => `extensionAttribute${i + 1}`);

export const userOptionsSchema = z.strictObject({
  tags: z
    .strictObject({
      groups: z
        .record(z.string().min(1), z.array(tagSchema).min(1))
        .default({})
        .describe("Group object id → tags for its (transitive) members, e.g. vip, executive, admin"),
      attributes: z
        .array(
          z.strictObject({
            attribute: z.string().refine((a) => attributeNames.includes(a), "extensionAttribute1 to 15"),
            equals: z.string().min(1).describe("Compared case-insensitively"),
            tags: z.array(tagSchema).min(1),
          }),
        )
        .default([]),
      directoryRoles: z
        .array(tagSchema)
        .default([])
        .describe("Tags for a user holding any active directory role, e.g. [admin]"),
    })
    .prefault({}),
  usualCountries: z
    .strictObject({
      from: z.enum(["usage_location", "sign_ins", "none"]).default("usage_location"),
      lookbackDays: z.number().int().min(1).max(30).default(30),
      minDays: z.number().int().min(1).max(30).default(3),
    })
    .prefault({}),
  mfaMethods: z.boolean().default(false).describe("Read registered authentication methods"),
});
export type UserOptions = z.infer<typeof userOptionsSchema>;

const SELECT =
  "id,userPrincipalName,displayName,department,jobTitle,accountEnabled,usageLocation,onPremisesExtensionAttributes";
const graphUserSchema = z.object({
  id: z.string(),
  userPrincipalName: z.string(),
  displayName: z.string().nullish(),
  department: z.string().nullish(),
  jobTitle: z.string().nullish(),
  accountEnabled: z.boolean(),
  usageLocation: z.string().nullish(),
  onPremisesExtensionAttributes: z.record(z.string(), z.string().nullish()).nullish(),
});
type GraphUser = z.infer<typeof graphUserSchema>;

/** Sign-ins read for the usual-countries baseline. */
const BASELINE_SIGN_INS = 1000;
const DAY_MS = 86_400_000;

export function createUserReader(deps: {
  http: HttpClient;
  log: SignInLog;
  options: UserOptions;
  now: () => Date;
}) {
  const { http, log, options, now } = deps;
  const vendor = http.vendor;
  const on = (signal?: AbortSignal) => (signal ? { signal } : {});

  async function tagsOf(user: GraphUser, signal?: AbortSignal): Promise<string[]> {
    const tags: string[] = [];
    const attributes = user.onPremisesExtensionAttributes ?? {};
    for (const rule of options.tags.attributes)
      if (attributes[rule.attribute]?.toLowerCase() === rule.equals.toLowerCase()) tags.push(...rule.tags);
    const groupIds = Object.keys(options.tags.groups);
    const member = new Set<string>();
    for (let i = 0; i < groupIds.length; i += 20) {
      const answer = await http.json({
        method: "POST",
        path: `/users/${encodeURIComponent(user.id)}/checkMemberGroups`,
        json: { groupIds: groupIds.slice(i, i + 20) },
        schema: z.object({ value: z.array(z.string()) }),
        ...on(signal),
      });
      for (const id of answer.value) member.add(id);
    }
    for (const id of groupIds) if (member.has(id)) tags.push(...(options.tags.groups[id] ?? []));
    if (options.tags.directoryRoles.length) {
      const roles = await http.json({
        path: `/users/${encodeURIComponent(user.id)}/transitiveMemberOf/microsoft.graph.directoryRole`,
        query: { $select: "id", $top: 1 },
        schema: z.object({ value: z.array(z.unknown()) }),
        ...on(signal),
      });
      if (roles.value.length) tags.push(...options.tags.directoryRoles);
    }
    return [...new Set(tags)];
  }

  async function usualCountriesOf(user: GraphUser, signal?: AbortSignal): Promise<string[]> {
    const how = options.usualCountries;
    if (how.from === "none") return [];
    if (how.from === "usage_location") return user.usageLocation ? [user.usageLocation.toUpperCase()] : [];
    const until = now();
    const since = new Date(until.getTime() - how.lookbackDays * DAY_MS);
    const records = await log.newest(user.userPrincipalName, since, until, BASELINE_SIGN_INS, signal);
    const days = new Map<string, Set<string>>();
    for (const r of records) {
      const country = r.location?.countryOrRegion?.toUpperCase();
      const result = signInResult(r);
      const risky = r.riskLevelDuringSignIn === "medium" || r.riskLevelDuringSignIn === "high";
      if (!country || risky || (result !== "success" && result !== "mfa_approved")) continue;
      const seen = days.get(country) ?? new Set<string>();
      seen.add(r.createdDateTime.slice(0, 10));
      days.set(country, seen);
    }
    return [...days]
      .filter(([, seen]) => seen.size >= how.minDays)
      .map(([country]) => country)
      .sort();
  }

  async function mfaMethodsOf(user: GraphUser, signal?: AbortSignal): Promise<string[]> {
    if (!options.mfaMethods) return [];
    const methods = await collectPages(
      http,
      { path: `/users/${encodeURIComponent(user.id)}/authentication/methods` },
      z.object({ "@odata.type": z.string() }),
      { max: 50, ...on(signal) },
    );
    const names = methods
      .map((m) => m["@odata.type"].replace(/^#microsoft\.graph\./, "").replace(/AuthenticationMethod$/, ""))
      .filter((name) => name !== "password");
    return [...new Set(names)];
  }

  return {
    async getUser(upn: string, signal?: AbortSignal): Promise<DirectoryUser | null> {
      const user = await orNull(
        http.json({
          path: userPath(upn, vendor),
          query: { $select: SELECT },
          schema: graphUserSchema,
          ...on(signal),
        }),
      );
      if (!user) return null;
      const [tags, usualCountries, mfaMethods] = await Promise.all([
        tagsOf(user, signal),
        usualCountriesOf(user, signal),
        mfaMethodsOf(user, signal),
      ]);
      return {
        id: user.id,
        userPrincipalName: user.userPrincipalName,
        displayName: user.displayName ?? user.userPrincipalName,
        department: user.department ?? null,
        jobTitle: user.jobTitle ?? null,
        accountEnabled: user.accountEnabled,
        tags,
        usualCountries,
        mfaMethods,
      };
    },
  };
}
