import { describe, expect, it } from "vitest";
import { parseEmail } from "./parse.ts";
import type { SimulationPlatform } from "../../../core/organization.ts";
import { detectSimulation } from "./simulation.ts";

function message(options: {
  from: string;
  headers?: string[];
  auth?: "pass" | "fail";
  link?: string;
}): string {
  const domain = options.from.split("@")[1] ?? "";
  const auth = options.auth ?? "pass";
  return [
    `Authentication-Results: mx.northwindtraders.com; spf=${auth} smtp.mailfrom=${domain}; dkim=${auth} header.d=${domain}; dmarc=${auth} header.from=${domain}`,
    `From: IT Service Desk <${options.from}>`,
    "To: jane.doe@northwindtraders.com",
    "Subject: Your password expires today",
    "Message-ID: <sim-1@example.test>",
    ...(options.headers ?? []),
    "Content-Type: text/plain; charset=utf-8",
    "",
    `Your password expires today. Keep it here: ${options.link ?? "https://portal-check.example/login"}`,
    "",
  ].join("\r\n");
}

const org = (platforms: SimulationPlatform[] = [], domains: string[] = []) => ({
  simulationPlatforms: platforms,
  simulationSenderDomains: domains,
});

describe("phishing simulations", () => {
  const marks: Array<[SimulationPlatform, string]> = [
    ["knowbe4", "X-PHISHTEST: 3f2a9c"],
    ["cofense", "X-PhishMe: 1"],
    ["proofpoint_security_awareness", "X-ThreatSim-ID: 99812"],
    ["gophish", "X-Gophish-Contact: security@northwindtraders.com"],
  ];
  for (const [platform, header] of marks)
    it(`recognises ${platform} by its header, sanctioned only when the organization runs it`, async () => {
      const facts = await parseEmail(message({ from: "it@portal-check.example", headers: [header] }));
      expect(detectSimulation(facts, org([platform]))).toMatchObject({ platform, sanctioned: true });
      expect(detectSimulation(facts, org([]))).toMatchObject({ platform, sanctioned: false });
    });

  it("takes KnowBe4's own domain only with passing authentication (else it is impersonation)", async () => {
    const real = await parseEmail(message({ from: "training@knowbe4.com" }));
    const forged = await parseEmail(message({ from: "training@knowbe4.com", auth: "fail" }));
    expect(detectSimulation(real, org(["knowbe4"]))).toMatchObject({ platform: "knowbe4", sanctioned: true });
    expect(detectSimulation(forged, org(["knowbe4"]))).toBeNull();
  });

  it("never sanctions a GoPhish-style rid link alone: attackers' kits carry it too", async () => {
    const facts = await parseEmail(
      message({ from: "it@portal-check.example", link: "https://portal-check.example/login?rid=a1b2c3d" }),
    );
    expect(detectSimulation(facts, org(["gophish"]))).toMatchObject({
      platform: "gophish",
      sanctioned: false,
    });
  });

  it("takes a configured vendor domain (Microsoft Attack Simulation Training's, say) only when authenticated", async () => {
    const ok = await parseEmail(message({ from: "notice@msft-sim.example" }));
    const forged = await parseEmail(message({ from: "notice@msft-sim.example", auth: "fail" }));
    expect(detectSimulation(ok, org([], ["msft-sim.example"]))).toMatchObject({
      platform: "configured_vendor",
      sanctioned: true,
    });
    expect(detectSimulation(forged, org([], ["msft-sim.example"]))).toBeNull();
  });

  it("says nothing about ordinary mail", async () => {
    expect(
      detectSimulation(await parseEmail(message({ from: "it@portal-check.example" })), org(["knowbe4"])),
    ).toBeNull();
  });
});
