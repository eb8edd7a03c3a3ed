/**
 * What every vendor integration exports. A vendor module parses its own block of the config file, builds
 * the ports it can serve from it, and can probe itself for `triage doctor`. The registry
 * (tools/registry.ts) picks ports by name from the configuration; no code outside a vendor's folder names
 * that vendor.
 */
import type { z } from "zod";
import type { HttpClientOptions } from "../http.ts";
import type {
  AlertSource,
  Edr,
  Identity,
  MailSearch,
  ResponseActions,
  SiemSearch,
  ThreatIntel,
} from "../../core/ports.ts";

export type PortName = "alerts" | "siem" | "edr" | "mail" | "identity" | "intel" | "actions";

export interface VendorPorts {
  alerts?: AlertSource;
  siem?: SiemSearch;
  edr?: Edr;
  mail?: MailSearch;
  identity?: Identity;
  intel?: ThreatIntel;
  actions?: ResponseActions;
}

/** One line of `triage doctor`: a check of one capability (reachable, authenticated, allowed). */
export interface ProbeResult {
  /** What was checked, e.g. "alerts: list incidents". */
  check: string;
  ok: boolean;
  /** Why it failed (the ToolError's message), or what was seen ("3 incidents readable"). */
  detail: string;
}

export interface VendorContext {
  /** The environment, read once by the caller; secrets come only from here. */
  env: Readonly<Record<string, string | undefined>>;
  /** HTTP settings every client of this vendor gets (tests pass a recording sleep; bench a timeout). */
  http?: Partial<Pick<HttpClientOptions, "sleep" | "timeoutMs" | "retry" | "fetch">>;
  now: () => Date;
}

export interface VendorInstance extends VendorPorts {
  /** Cheap authenticated calls, one per port this instance serves, that never change anything. */
  probe(signal?: AbortSignal): Promise<ProbeResult[]>;
}

export interface VendorModule<Config = unknown> {
  /** The name used in the config file: `integrations.vendors.<name>` and in port choices. */
  readonly name: string;
  readonly provides: readonly PortName[];
  /** Its block of the config file: URLs, tenant ids, index names, and the *names* of env vars holding secrets. */
  readonly configSchema: z.ZodType<Config>;
  create(config: Config, context: VendorContext): VendorInstance;
}

/** A probe that runs `check` and turns a thrown ToolError into a failed line instead of an exception. */
export async function probeStep(check: string, run: () => Promise<string>): Promise<ProbeResult> {
  try {
    return { check, ok: true, detail: await run() };
  } catch (error) {
    return { check, ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
}
