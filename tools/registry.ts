/**
 * createToolset(integrations): explicit composition of the ports from configuration. Each port names the
 * lab or a vendor; every vendor named is built once from its block under `vendors`, so a vendor serving two
 * ports shares one token cache. Intel may name several vendors (their verdicts are combined and cached);
 * response actions go to the first chosen vendor that supports each action type, the lab only when none does.
 */
import { z } from "zod";
import { TriageError } from "../core/errors.ts";
import { combineIntel, withIntelCache } from "./intel.ts";
import { type IntelCacheStore, type Toolset } from "../core/ports.ts";
import { routeActions } from "./route-actions.ts";
import type {
  PortName,
  ProbeResult,
  VendorContext,
  VendorInstance,
  VendorModule,
  VendorPorts,
} from "./vendors/types.ts";

const LAB = "lab";
const vendorName = z.string().regex(/^[a-z][a-z0-9_-]*$/, "a vendor name in lower case");

/** The `integrations:` block of the config file. */
export const integrationsSchema = z
  .object({
    alerts: vendorName
      .default(LAB)
      .describe("Alert source: lab, splunk, elastic, sentinel, defender, crowdstrike"),
    siem: vendorName.default(LAB).describe("SIEM search: lab, splunk, elastic, sentinel"),
    edr: vendorName.default(LAB).describe("EDR: lab, defender, crowdstrike"),
    mail: vendorName.default(LAB).describe("Mail search: lab, graph, gmail"),
    identity: vendorName.default(LAB).describe("Identity: lab, entra"),
    intel: z
      .union([vendorName, z.array(vendorName).min(1)])
      .default(LAB)
      .transform((v) => (Array.isArray(v) ? v : [v]))
      .describe("Threat intel: one vendor or several (lab, virustotal, abuseipdb, urlhaus)"),
    actions: z
      .array(vendorName)
      .min(1)
      .optional()
      .describe(
        "Who runs response actions, in order of preference; default: the EDR, mail and identity choices",
      ),
    intelCacheHours: z
      .number()
      .min(0)
      .max(24 * 30)
      .default(24)
      .describe("How long a vendor's intel verdict is reused"),
    vendors: z.record(vendorName, z.unknown()).default({}).describe("Each vendor's settings, by name"),
  })
  .strict();
export type IntegrationsInput = z.input<typeof integrationsSchema>;
export type Integrations = z.output<typeof integrationsSchema>;

export interface ToolsetOptions {
  /** The lab's toolset, built only when some port uses the lab. */
  lab: () => Toolset;
  modules: readonly VendorModule[];
  /** Every vendor name that exists, for the message naming an unknown one (default: the modules'). */
  knownVendors?: readonly string[];
  context: VendorContext;
  intelCache?: IntelCacheStore;
}

export interface ComposedToolset {
  tools: Toolset;
  /** Every vendor built (not the lab), for `triage doctor`. */
  vendors: Array<{ name: string; ports: PortName[]; probe: VendorInstance["probe"] }>;
  usesLab: boolean;
}

export const ALL_PORTS: readonly PortName[] = [
  "alerts",
  "siem",
  "edr",
  "mail",
  "identity",
  "intel",
  "actions",
];

function bad(message: string): TriageError {
  return new TriageError("BAD_INPUT", `integrations: ${message}`);
}

/** Every vendor the configuration names, for any port or with a settings block. */
export function namedVendors(integrations: Integrations): string[] {
  const chosen = Object.values(portChoices(integrations)).flat();
  return [...new Set([...chosen, ...Object.keys(integrations.vendors)])].filter((name) => name !== LAB);
}

/** The vendors each port uses, after defaults: a port's own choice, and actions from the acting ports. */
export function portChoices(integrations: Integrations): Record<PortName, string[]> {
  const acting = [integrations.edr, integrations.mail, integrations.identity];
  return {
    alerts: [integrations.alerts],
    siem: [integrations.siem],
    edr: [integrations.edr],
    mail: [integrations.mail],
    identity: [integrations.identity],
    intel: integrations.intel,
    actions: integrations.actions ?? [...new Set(acting)],
  };
}

function buildVendor(name: string, integrations: Integrations, options: ToolsetOptions): VendorInstance {
  const module = options.modules.find((m) => m.name === name);
  if (!module) {
    const known = [LAB, ...(options.knownVendors ?? options.modules.map((m) => m.name))].join(", ");
    throw bad(`unknown vendor ${name}; known: ${known}`);
  }
  if (!(name in integrations.vendors))
    throw bad(`${name} is chosen but not configured: add integrations.vendors.${name}`);
  const parsed = module.configSchema.safeParse(integrations.vendors[name] ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw bad(
      `vendors.${name}.${issue?.path.join(".") || ""}: ${issue?.message ?? "invalid"}`.replace(/\.: /, ": "),
    );
  }
  return module.create(parsed.data, options.context);
}

function portOf<K extends PortName>(
  instance: VendorPorts,
  key: K,
  vendor: string,
): NonNullable<VendorPorts[K]> {
  const port = instance[key];
  if (!port) throw bad(`${vendor} cannot serve ${key}`);
  return port;
}

/** Builds the toolset the configuration names. Throws TriageError BAD_INPUT naming the first mistake. */
export function createToolset(integrations: Integrations, options: ToolsetOptions): ComposedToolset {
  const choices = portChoices(integrations);
  const instances = new Map<string, VendorInstance>();
  let lab: Toolset | null = null;
  const labTools = () => (lab ??= options.lab());
  const vendor = (name: string) => {
    let instance = instances.get(name);
    if (!instance) instances.set(name, (instance = buildVendor(name, integrations, options)));
    return instance;
  };
  const pick = <K extends PortName>(key: K, name: string): NonNullable<VendorPorts[K]> =>
    name === LAB ? labTools()[key] : portOf(vendor(name), key, name);

  const single = (key: PortName) => choices[key][0] ?? LAB;
  // Chosen explicitly, every actions vendor must act; by default, only those of the acting ports that can.
  const chosenActors = integrations.actions
    ? choices.actions
    : choices.actions.filter((n) => n === LAB || vendor(n).actions);
  // The lab goes last: an action type a configured vendor supports must reach that vendor (a quarantine
  // to Graph), never the lab's copy of the world, whatever order the ports were listed in.
  const actors = [...chosenActors.filter((n) => n !== LAB), ...chosenActors.filter((n) => n === LAB)];
  const intelPorts = choices.intel.map((name) => {
    const port = pick("intel", name);
    return name === LAB || !options.intelCache
      ? port
      : withIntelCache(port, options.intelCache, {
          ttlMs: integrations.intelCacheHours * 3_600_000,
          now: options.context.now,
        });
  });
  const tools: Toolset = {
    alerts: pick("alerts", single("alerts")),
    siem: pick("siem", single("siem")),
    edr: pick("edr", single("edr")),
    mail: pick("mail", single("mail")),
    identity: pick("identity", single("identity")),
    intel: intelPorts.length === 1 && intelPorts[0] ? intelPorts[0] : combineIntel(intelPorts),
    actions: routeActions(actors.map((name) => pick("actions", name))),
    close: () => lab?.close?.(),
  };
  const vendors = [...instances].map(([name, instance]) => ({
    name,
    ports: ALL_PORTS.filter((key) => choices[key].includes(name)),
    probe: (signal?: AbortSignal): Promise<ProbeResult[]> => instance.probe(signal),
  }));
  return { tools, vendors, usesLab: lab !== null };
}
