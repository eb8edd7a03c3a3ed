/**
 * Domain comparisons: registrable domains, lookalikes of protected names, free-mail providers. Pure
 * functions over strings; no lookups.
 */
import { domainToASCII, domainToUnicode } from "node:url";

// Providers anyone can sign up to: a company claiming to mail from one of these is a red flag.
const FREE_MAIL = new Set([
  "gmail.com",
  "googlemail.com",
  "outlook.com",
  "hotmail.com",
  "live.com",
  "yahoo.com",
  "aol.com",
  "icloud.com",
  "proton.me",
  "protonmail.com",
  "gmx.com",
  "mail.com",
  "yandex.ru",
  "zoho.com",
]);

// Second-level public suffixes we meet in mail; enough for registrable-domain grouping without a PSL.
const TWO_LEVEL_SUFFIXES = new Set([
  "co.uk",
  "org.uk",
  "ac.uk",
  "com.au",
  "co.jp",
  "com.br",
  "co.in",
  "co.nz",
  "com.mx",
  "co.za",
]);

/** Characters attackers swap for look-alikes (digits, Cyrillic, Greek, accented Latin), folded to what they imitate. */
const CONFUSABLES: Record<string, string> = {
  "0": "o",
  "1": "l",
  "3": "e",
  "5": "s",
  "@": "a",
  а: "a",
  в: "b",
  е: "e",
  ё: "e",
  һ: "h",
  і: "i",
  ї: "i",
  ј: "j",
  к: "k",
  м: "m",
  н: "h",
  о: "o",
  р: "p",
  с: "c",
  ѕ: "s",
  т: "t",
  у: "y",
  х: "x",
  ԁ: "d",
  ԛ: "q",
  ԝ: "w",
  ӏ: "l",
  α: "a",
  β: "b",
  ε: "e",
  η: "n",
  ι: "i",
  κ: "k",
  ν: "v",
  ο: "o",
  ρ: "p",
  τ: "t",
  υ: "u",
  χ: "x",
  ı: "i",
  ł: "l",
  á: "a",
  à: "a",
  ä: "a",
  é: "e",
  è: "e",
  í: "i",
  ï: "i",
  ó: "o",
  ö: "o",
  ú: "u",
  ü: "u",
};

export function normalizeDomain(domain: string): string {
  return domain.trim().toLowerCase().replace(/\.$/, "");
}

/** example.co.uk for a.b.example.co.uk; good enough for grouping and comparisons. */
export function registrableDomain(domain: string): string {
  const labels = normalizeDomain(domain).split(".").filter(Boolean);
  if (labels.length <= 2) return labels.join(".");
  const lastTwo = labels.slice(-2).join(".");
  return TWO_LEVEL_SUFFIXES.has(lastTwo) ? labels.slice(-3).join(".") : lastTwo;
}

export function domainOfAddress(address: string): string {
  const at = address.lastIndexOf("@");
  return at < 0 ? "" : normalizeDomain(address.slice(at + 1).replace(/>$/, ""));
}

export function isFreeMailDomain(domain: string): boolean {
  return FREE_MAIL.has(registrableDomain(domain));
}

/** True when `domain` is `base` or one of its subdomains. */
export function isSameOrSubdomain(domain: string, base: string): boolean {
  const d = normalizeDomain(domain);
  const b = normalizeDomain(base);
  return d === b || d.endsWith(`.${b}`);
}

/** Edit distance where swapping two neighbouring letters (micorsoft) counts as one edit, as a typo does. */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, (beforePrevious[j - 2] ?? 0) + 1);
      current[j] = best;
    }
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** Folds homoglyphs and common digit swaps (rn → m, vv → w) so lookalikes compare equal. */
export function skeleton(label: string): string {
  const unicode = label.startsWith("xn--") ? domainToUnicode(label) || label : label;
  return [...unicode.toLowerCase()]
    .map((c) => CONFUSABLES[c] ?? c)
    .join("")
    .replace(/rn/g, "m")
    .replace(/vv/g, "w")
    .replace(/[-_]/g, "");
}

const labelOf = (domain: string) => registrableDomain(domain).split(".")[0] ?? "";

export interface LookalikeMatch {
  protectedDomain: string;
  technique: "homoglyph" | "edit_distance" | "brand_in_domain" | "punycode" | "tld_swap" | "hyphenation";
  detail: string;
}

/** Whether a domain's dot- or hyphen-separated words carry `brand` as a word or a word's start. */
function carriesBrand(domain: string, brand: string): boolean {
  const folded = skeleton(brand);
  // Per word, so a brand that is only the tail of another word (contosooffice.com) is not a match.
  return (domainToUnicode(domain) || domain).split(/[.-]/).some((word) => skeleton(word).startsWith(folded));
}

/**
 * Whether `domain` imitates one of `protectedDomains` without being it: homoglyph or punycode skeletons,
 * a hyphen slipped in, the same name under another top-level domain, a small edit distance, or the
 * protected brand as a word of a different registrable domain (northwindtraders-sso.com,
 * microsoft.login-verify.net).
 */
export function findLookalike(domain: string, protectedDomains: readonly string[]): LookalikeMatch | null {
  const candidate = normalizeDomain(domain);
  const candidateRegistrable = registrableDomain(candidate);
  for (const protectedDomain of protectedDomains) {
    const target = normalizeDomain(protectedDomain);
    if (isSameOrSubdomain(candidate, target)) return null;
  }
  for (const protectedDomain of protectedDomains) {
    const target = normalizeDomain(protectedDomain);
    const brand = labelOf(target);
    const label = labelOf(candidate);
    if (brand.length < 4) continue;
    const match = (technique: LookalikeMatch["technique"], detail: string): LookalikeMatch => ({
      protectedDomain: target,
      technique,
      detail,
    });
    if (
      candidateRegistrable.split(".").some((l) => l.startsWith("xn--")) &&
      skeleton(label) === skeleton(brand)
    )
      return match("punycode", `${candidate} renders like ${target}`);
    if (label !== brand && label.replace(/-/g, "") === brand)
      return match("hyphenation", `${candidate} adds a hyphen to ${target}`);
    if (label !== brand && skeleton(label) === skeleton(brand)) {
      // Show the wire form too: the analyst's tools and the registrar know the domain by it.
      const ascii = domainToASCII(candidate);
      const wire = ascii && ascii !== candidate ? ` (registered as ${ascii})` : "";
      return match("homoglyph", `${candidate}${wire} swaps characters of ${target}`);
    }
    if (label === brand) return match("tld_swap", `${candidate} is ${target} under another top-level domain`);
    const distance = levenshtein(label, brand);
    if (distance > 0 && distance <= (brand.length >= 8 ? 2 : 1))
      return match("edit_distance", `${candidate} is ${distance} edit(s) from ${target}`);
    if (carriesBrand(candidate, brand))
      return match("brand_in_domain", `${candidate} carries the brand ${brand} of ${target}`);
  }
  return null;
}
