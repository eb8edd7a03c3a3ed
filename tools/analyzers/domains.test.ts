import { describe, expect, it } from "vitest";
import { findLookalike, isFreeMailDomain, levenshtein, registrableDomain } from "./domains.ts";
import { ipInCidr } from "./net.ts";

const PROTECTED = ["northwindtraders.com", "microsoft.com", "fabrikam.com", "docusign.com"];

describe("lookalike domains", () => {
  it.each([
    ["fabrikarn.com", "fabrikam.com", "homoglyph"],
    ["micros0ft.com", "microsoft.com", "homoglyph"],
    ["fabrikom.com", "fabrikam.com", "edit_distance"],
    ["northwindtraders-sso.com", "northwindtraders.com", "brand_in_domain"],
    ["docusign-secure-mail.com", "docusign.com", "brand_in_domain"],
  ])("%s imitates %s", (domain, target, technique) => {
    expect(findLookalike(domain, PROTECTED)).toMatchObject({ protectedDomain: target, technique });
  });

  it.each([
    ["whitmore-kane.com", "whitmorekane.com", "hyphenation"],
    ["whitmorekane.co", "whitmorekane.com", "tld_swap"],
    ["tialspinlogistics.com", "tailspinlogistics.com", "edit_distance"],
    ["tailspinlogisticss.com", "tailspinlogistics.com", "edit_distance"],
    ["tailspinlogistcs.com", "tailspinlogistics.com", "edit_distance"],
    ["xn--tailspinlogistis-hmn.com", "tailspinlogistics.com", "punycode"],
    ["tailspinlogistiсs.com", "tailspinlogistics.com", "homoglyph"],
    ["tαilspinlogistics.com", "tailspinlogistics.com", "homoglyph"],
    ["tai1spinlogistics.com", "tailspinlogistics.com", "homoglyph"],
    ["tailspinlogistics-billing.com", "tailspinlogistics.com", "brand_in_domain"],
    ["whitmorekanellp.com", "whitmorekane.com", "brand_in_domain"],
  ])("%s imitates the partner %s by %s", (domain, target, technique) => {
    expect(findLookalike(domain, ["tailspinlogistics.com", "whitmorekane.com"])).toMatchObject({
      protectedDomain: target,
      technique,
    });
  });

  it("a brand that is only the tail of another word, or a shared first word, is no imitation", () => {
    expect(findLookalike("contosooffice.com", ["office.com"])).toBeNull();
    expect(findLookalike("tailspintoys.com", ["tailspinlogistics.com"])).toBeNull();
    expect(findLookalike("whitmoreandco.com", ["whitmorekane.com"])).toBeNull();
  });

  it("counts a swap of neighbouring letters as one edit", () => {
    expect(levenshtein("tailspin", "tialspin")).toBe(1);
  });

  it("the real domain and its subdomains are not lookalikes", () => {
    expect(findLookalike("fabrikam.com", PROTECTED)).toBeNull();
    expect(findLookalike("mail.northwindtraders.com", PROTECTED)).toBeNull();
    expect(findLookalike("news.industryweekly.com", PROTECTED)).toBeNull();
  });

  it("groups subdomains by registrable domain and knows free mail", () => {
    expect(registrableDomain("a.b.example.co.uk")).toBe("example.co.uk");
    expect(registrableDomain("login.evil.com")).toBe("evil.com");
    expect(isFreeMailDomain("gmail.com")).toBe(true);
    expect(isFreeMailDomain("fabrikam.com")).toBe(false);
    expect(levenshtein("kitten", "sitting")).toBe(3);
  });
});

describe("ipInCidr", () => {
  it("matches inside the range only", () => {
    expect(ipInCidr("198.51.100.7", "198.51.100.0/24")).toBe(true);
    expect(ipInCidr("198.51.101.7", "198.51.100.0/24")).toBe(false);
    expect(ipInCidr("not-an-ip", "198.51.100.0/24")).toBe(false);
    expect(ipInCidr("2001:db8::1", "198.51.100.0/24")).toBe(false);
  });
});
