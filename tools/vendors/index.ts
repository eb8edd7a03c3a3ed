/** Every vendor integration soc-triage ships, by the name the config file uses. */
import type { VendorModule } from "./types.ts";

export const vendorModules: readonly VendorModule[] = [];
