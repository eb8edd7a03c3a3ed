/**
 * Brands attackers put in display names and bodies, with the domains that may legitimately use them.
 * "internal" stands for the organization's own domains (from its profile).
 */
export interface Brand {
  name: string;
  pattern: RegExp;
  domains: readonly string[];
}

export const BRANDS: readonly Brand[] = [
  {
    name: "Microsoft",
    pattern: /\b(microsoft|office ?365|microsoft ?365|outlook|onedrive|sharepoint|teams)\b/i,
    domains: [
      "microsoft.com",
      "office.com",
      "microsoftonline.com",
      "sharepoint.com",
      "live.com",
      "outlook.com",
    ],
  },
  { name: "DocuSign", pattern: /\bdocu ?sign\b/i, domains: ["docusign.com", "docusign.net"] },
  { name: "PayPal", pattern: /\bpay ?pal\b/i, domains: ["paypal.com"] },
  { name: "Geek Squad", pattern: /\bgeek ?squad\b/i, domains: ["bestbuy.com", "geeksquad.com"] },
  { name: "Norton", pattern: /\bnorton\b/i, domains: ["norton.com", "nortonlifelock.com"] },
  { name: "McAfee", pattern: /\bmcafee\b/i, domains: ["mcafee.com"] },
  { name: "Amazon", pattern: /\bamazon\b/i, domains: ["amazon.com"] },
  { name: "Apple", pattern: /\b(apple|icloud)\b/i, domains: ["apple.com", "icloud.com"] },
  { name: "DHL", pattern: /\bdhl\b/i, domains: ["dhl.com"] },
  { name: "FedEx", pattern: /\bfedex\b/i, domains: ["fedex.com"] },
  {
    name: "IT helpdesk",
    pattern:
      /\b(it ?help ?desk|help ?desk|it support|it service ?desk|it department|system administrator)\b/i,
    domains: ["internal"],
  },
  { name: "HR", pattern: /\b(human resources|hr department|payroll)\b/i, domains: ["internal"] },
];

/** Brands named in `text` that `senderDomain` is not entitled to use. */
export function impersonatedBrands(
  text: string,
  senderDomain: string,
  internalDomains: readonly string[],
): Brand[] {
  const entitled = (brand: Brand) =>
    brand.domains.some((d) => {
      const domains = d === "internal" ? internalDomains : [d];
      return domains.some((x) => senderDomain === x || senderDomain.endsWith(`.${x}`));
    });
  return BRANDS.filter((b) => b.pattern.test(text) && !entitled(b));
}

/** Whether `domain` is one a known brand really mails from (docusign.net for DocuSign). */
export function isBrandDomain(domain: string): boolean {
  return BRANDS.some((b) =>
    b.domains.some((d) => d !== "internal" && (domain === d || domain.endsWith(`.${d}`))),
  );
}
