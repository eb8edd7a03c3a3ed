/**
 * Every vendor integration soc-triage ships, by the name the config file uses. Each is imported only when
 * a configuration names it, so a run on the lab loads none of them.
 */
import type { VendorModule } from "./types.ts";

const loaders: Record<string, () => Promise<VendorModule>> = {
  splunk: async () => (await import("./splunk/index.ts")).splunkVendor,
  elastic: async () => (await import("./elastic/index.ts")).elasticVendor,
  sentinel: async () => (await import("./sentinel/index.ts")).sentinelVendor,
  defender: async () => (await import("./defender/index.ts")).defenderVendor,
  crowdstrike: async () => (await import("./crowdstrike/index.ts")).crowdstrikeVendor,
  graph: async () => (await import("./graph/index.ts")).graphVendor,
  gmail: async () => (await import("./gmail/index.ts")).gmailVendor,
  entra: async () => (await import("./entra/index.ts")).entraVendor,
  virustotal: async () => (await import("./virustotal/index.ts")).virustotalVendor,
  abuseipdb: async () => (await import("./abuseipdb/index.ts")).abuseipdbVendor,
  urlhaus: async () => (await import("./urlhaus/index.ts")).urlhausVendor,
};

/** The names of every shipped vendor. */
export const vendorNames: readonly string[] = Object.keys(loaders);

/** The modules of the named vendors that exist; names no vendor has are left to the registry to refuse. */
export async function loadVendorModules(names: Iterable<string>): Promise<VendorModule[]> {
  const wanted = [...new Set(names)].flatMap((name) => {
    const load = loaders[name];
    return load ? [load()] : [];
  });
  return Promise.all(wanted);
}
