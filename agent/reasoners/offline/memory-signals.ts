/**
 * What case memory may say about an alert. Earlier verdicts inform, but only a person's word or a shared
 * specific indicator moves the score: the engine's own unconfirmed verdicts must not feed later verdicts,
 * or one false positive on a company's domain turns every later mail from it malicious.
 */
import { domainOfAddress, isFreeMailDomain, isSameOrSubdomain } from "../../../tools/analyzers/domains.ts";
import { type Signal, signal } from "../../../tools/analyzers/signal.ts";
import type { ObservableHistory } from "../../../core/domain.ts";
import type { OrganizationProfile } from "../../../core/organization.ts";
import { ALERT_EVIDENCE_ID } from "../../../core/ids.ts";
import type { ReasonerContext } from "../types.ts";

/**
 * payload: names one message or its content (exact URL, attachment hash, Message-ID).
 * address: one exact sender or Reply-To address; specific, but a real sender writes many messages.
 * broad: names many unrelated things (a registrable domain, an IP, a host, a user).
 * background: ours, our partners' or everyone's (internal, protected and free-mail domains): never evidence.
 */
export type IndicatorKind = "payload" | "address" | "broad" | "background";

/** Log-odds of a person's word, by what they settled and how specific the shared indicator is. */
export const CONFIRMED_WEIGHTS = {
  malicious: { specific: 2, broad: 1 },
  benign: { specific: -1.5, broad: -0.5 },
} as const;

/** The engine's own word weighs less than a person's, and only through the payload. */
export const MEMORY_WEIGHTS = {
  /** Per shared payload indicator of unconfirmed malicious cases… */
  unconfirmedPerIndicator: 0.5,
  /** …and never more than this in all, however many cases or indicators. */
  unconfirmedCap: 1,
} as const;

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return "";
  }
}

export function indicatorKind(
  h: Pick<ObservableHistory, "type" | "value">,
  organization: OrganizationProfile,
): IndicatorKind {
  const ours = (domain: string) =>
    [...organization.internalDomains, ...organization.protectedDomains].some((d) =>
      isSameOrSubdomain(domain, d),
    );
  switch (h.type) {
    case "url": {
      const host = hostOf(h.value);
      return !host || ours(host) ? "background" : "payload";
    }
    case "email":
      // An exact free-mail address is specific; a spoofable address of ours or a partner's is not.
      return ours(domainOfAddress(h.value)) ? "background" : "address";
    case "domain":
      return ours(h.value) || isFreeMailDomain(h.value) ? "background" : "broad";
    case "file_hash":
    case "message_id":
      return "payload";
    default:
      return "broad";
  }
}

const label = (h: ObservableHistory) => `${h.type} ${h.value}`;
const names = (list: readonly ObservableHistory[]) =>
  list.slice(0, 3).map(label).join(", ") + (list.length > 3 ? ` and ${list.length - 3} more` : "");
const people = (list: readonly ObservableHistory[]) =>
  [...new Set(list.flatMap((h) => h.confirmedBy))].join(", ");

/** One finding per kind of memory, so repeating an indicator across many cases cannot add up. */
export function memorySignals(ctx: Pick<ReasonerContext, "history" | "organization">): Signal[] {
  const ev = [ALERT_EVIDENCE_ID];
  const out: Signal[] = [];
  const deny = ctx.history.filter((h) => h.listed === "deny");
  const allow = ctx.history.filter((h) => h.listed === "allow");
  if (deny.length)
    out.push(signal("memory.deny_listed", `${names(deny)} on the analysts' deny list`, 2.5, ev));
  if (allow.length)
    out.push(signal("memory.allow_listed", `${names(allow)} on the analysts' allow list`, -2.5, ev));

  const weighed = ctx.history
    .filter((h) => !h.listed)
    .map((h) => ({ h, kind: indicatorKind(h, ctx.organization) }))
    .filter((x) => x.kind !== "background");
  const confirmedBad = weighed.filter(
    (x) => x.h.confirmedMalicious > 0 && x.h.confirmedMalicious >= x.h.confirmedBenign,
  );
  const confirmedGood = weighed.filter((x) => x.h.confirmedBenign > x.h.confirmedMalicious);
  const settled = new Set([...confirmedBad, ...confirmedGood].map((x) => x.h));
  for (const [settledAs, found] of [
    ["malicious", confirmedBad],
    ["benign", confirmedGood],
  ] as const) {
    if (!found.length) continue;
    const list = found.map((x) => x.h);
    const specific = found.some((x) => x.kind === "payload" || x.kind === "address");
    const weights = CONFIRMED_WEIGHTS[settledAs];
    out.push(
      signal(
        `memory.confirmed_${settledAs}`,
        `${names(list)} in earlier case(s) confirmed ${settledAs} by ${people(list)}`,
        specific ? weights.specific : weights.broad,
        ev,
      ),
    );
  }
  // The engine's own word: only through the payload, and bounded whatever the number of cases. Not through
  // an address: one false positive on a colleague would lean on all their later mail (on 150 Enron messages
  // that made 23 verdicts depend on the order they were reported in).
  const unconfirmed = weighed
    .filter((x) => x.kind === "payload" && !settled.has(x.h) && x.h.unconfirmedMalicious > 0)
    .map((x) => x.h);
  if (unconfirmed.length) {
    out.push(
      signal(
        "memory.unconfirmed_malicious",
        `${names(unconfirmed)} in earlier malicious case(s) (engine verdict, unconfirmed)`,
        Math.min(MEMORY_WEIGHTS.unconfirmedCap, MEMORY_WEIGHTS.unconfirmedPerIndicator * unconfirmed.length),
        ev,
      ),
    );
  }
  return out;
}
