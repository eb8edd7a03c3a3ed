import { z } from "zod";
import { reporterRepliesSchema } from "./reporter-replies.ts";

/** Phishing-simulation platforms whose marks tools/analyzers/email/simulation.ts knows. */
export const simulationPlatformSchema = z.enum([
  "knowbe4",
  "cofense",
  "proofpoint_security_awareness",
  "microsoft_attack_simulation",
  "gophish",
]);
export type SimulationPlatform = z.infer<typeof simulationPlatformSchema>;

/**
 * What the engine knows about the organization it defends. The defaults describe the embedded lab's
 * company; a real deployment sets its own in the config file.
 */
export const organizationProfileSchema = z.object({
  name: z.string().default("Northwind Traders"),
  /** Domains that are ours: mail from them is internal, forwarding outside them is external. */
  internalDomains: z.array(z.string()).default(["northwindtraders.com"]),
  /** Brands and partner domains that attackers imitate; lookalikes of these are flagged. */
  protectedDomains: z
    .array(z.string())
    .default([
      "northwindtraders.com",
      "microsoft.com",
      "office.com",
      "docusign.com",
      "fabrikam.com",
      "contoso.com",
    ]),
  /** Corporate VPN / egress ranges (CIDR): sign-ins from here are not travel. */
  corporateEgressCidrs: z.array(z.string()).default(["198.51.100.0/24"]),
  /** Sender domains of the sanctioned phishing-simulation vendor. */
  simulationSenderDomains: z.array(z.string()).default(["phishsim-training.com"]),
  /**
   * Simulation platforms the organization runs (knowbe4, cofense, proofpoint_security_awareness,
   * microsoft_attack_simulation, gophish): their header marks close a report as a simulation.
   */
  simulationPlatforms: z.array(simulationPlatformSchema).default([]),
  /** What a reporter is told, per outcome (agent/campaigns/replies.ts). */
  reporterReplies: reporterRepliesSchema,
  /** Names of people attackers impersonate (executives, finance leads): mail using them from outside is flagged. */
  protectedPeople: z.array(z.string().min(3)).default([]),
  /** Hosts that are allowed to scan (vulnerability scanners). */
  scannerHosts: z.array(z.string()).default(["nw-vulnscan-01"]),
});
export type OrganizationProfile = z.infer<typeof organizationProfileSchema>;

export const defaultOrganization: OrganizationProfile = organizationProfileSchema.parse({});
