/**
 * Facts about an action's target that the policy relies on, resolved by code from the tools, never taken
 * from a reasoner: the target's tags (vip, critical_server…) and the blast radius of quarantines.
 */
import { describeError } from "../core/errors.ts";
import type { ProposedAction } from "../core/domain.ts";
import type { ReadOnlyToolset } from "../core/ports.ts";
import { domainOfAddress, isFreeMailDomain, isSameOrSubdomain } from "../tools/analyzers/domains.ts";
import { ipInAny } from "../tools/analyzers/net.ts";
import type { OrganizationProfile } from "../core/organization.ts";

export const UNRESOLVED_TAG = "unresolved";

function hostOfUrl(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return "";
  }
}

/** Tags of network and mail targets from the organization profile: ours, partners', free mail, VPN. */
function organizationTags(organization: OrganizationProfile, domain: string): string[] {
  if (!domain) return [];
  const tags: string[] = [];
  if (organization.internalDomains.some((d) => isSameOrSubdomain(domain, d))) tags.push("internal");
  if (organization.protectedDomains.some((d) => isSameOrSubdomain(domain, d))) tags.push("protected");
  if (isFreeMailDomain(domain)) tags.push("free_mail");
  return tags;
}

async function tagsOf(
  tools: ReadOnlyToolset,
  organization: OrganizationProfile,
  action: ProposedAction,
): Promise<string[]> {
  switch (action.targetKind) {
    case "user":
    case "mailbox": {
      const user = await tools.identity.getUser(action.target);
      return user ? user.tags : [];
    }
    case "host": {
      const host = await tools.edr.getHost(action.target);
      return host ? host.tags : [];
    }
    case "sender":
      return organizationTags(organization, domainOfAddress(action.target));
    case "domain":
      return organizationTags(organization, action.target.toLowerCase());
    case "url":
      return organizationTags(organization, hostOfUrl(action.target));
    case "ip":
      return ipInAny(action.target, organization.corporateEgressCidrs) ? ["corporate_vpn"] : [];
    case "message":
    case "process":
    case "case":
      return [];
  }
}

async function blastRadiusOf(tools: ReadOnlyToolset, action: ProposedAction): Promise<number> {
  if (action.type === "quarantine_message") {
    const copies = await tools.mail.findMessages({ messageId: action.target, limit: 1000 });
    return Math.max(action.blastRadius, new Set(copies.map((m) => m.mailbox)).size);
  }
  if (action.targetKind === "user" || action.targetKind === "host" || action.targetKind === "mailbox") {
    return Math.max(1, action.blastRadius);
  }
  return action.blastRadius;
}

export async function resolveTarget(
  tools: ReadOnlyToolset,
  organization: OrganizationProfile,
  action: ProposedAction,
): Promise<{ action: ProposedAction; note?: string }> {
  try {
    const [tags, blastRadius] = await Promise.all([
      tagsOf(tools, organization, action),
      blastRadiusOf(tools, action),
    ]);
    return { action: { ...action, targetTags: [...new Set(tags)], blastRadius } };
  } catch (error) {
    // Unknown facts must not make an action look harmless: mark it so the policy can hold it.
    return {
      action: { ...action, targetTags: [UNRESOLVED_TAG] },
      note: `could not resolve ${action.targetKind} ${action.target}: ${describeError(error)}`,
    };
  }
}
