/** Every vendor integration soc-triage ships, by the name the config file uses. */
import { abuseipdbVendor } from "./abuseipdb/index.ts";
import { crowdstrikeVendor } from "./crowdstrike/index.ts";
import { defenderVendor } from "./defender/index.ts";
import { elasticVendor } from "./elastic/index.ts";
import { entraVendor } from "./entra/index.ts";
import { gmailVendor } from "./gmail/index.ts";
import { graphVendor } from "./graph/index.ts";
import { sentinelVendor } from "./sentinel/index.ts";
import { splunkVendor } from "./splunk/index.ts";
import type { VendorModule } from "./types.ts";
import { urlhausVendor } from "./urlhaus/index.ts";
import { virustotalVendor } from "./virustotal/index.ts";

export const vendorModules: readonly VendorModule[] = [
  splunkVendor,
  elasticVendor,
  sentinelVendor,
  defenderVendor,
  crowdstrikeVendor,
  graphVendor,
  gmailVendor,
  entraVendor,
  virustotalVendor,
  abuseipdbVendor,
  urlhausVendor,
];
