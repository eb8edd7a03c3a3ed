/**
 * What `triage config` shows: the effective configuration with no secret in it. The environment snapshot is
 * left out; each secret a configured vendor reads is named with whether it is set.
 */
import { secretEnvNames, type TriageConfig } from "../agent/config.ts";
import { loadVendorModules } from "../tools/vendors/index.ts";

/** The queue URL with its password (if any) replaced: the host and database are worth showing, it is not. */
function withoutPassword(text: string): string {
  const url = new URL(text);
  if (url.password) url.password = "(set)";
  return url.toString();
}

export async function configView(config: TriageConfig): Promise<Record<string, unknown>> {
  const { env, ...rest } = config;
  const vendorModules = await loadVendorModules(Object.keys(config.integrations.vendors));
  const secrets: Record<string, "set" | "missing"> = {};
  for (const [name, block] of Object.entries(config.integrations.vendors)) {
    const parsed = vendorModules.find((m) => m.name === name)?.configSchema.safeParse(block);
    for (const variable of secretEnvNames(parsed?.success ? parsed.data : block))
      secrets[variable] = env[variable] ? "set" : "missing";
  }
  return {
    ...rest,
    queueUrl: config.queueUrl === null ? null : withoutPassword(config.queueUrl),
    llm: { ...config.llm, apiKey: config.llm.apiKey ? `${config.llm.apiKey.slice(0, 3)}…(set)` : null },
    // The audit key is never shown, not even its first characters: say only where it comes from.
    audit: {
      ...config.audit,
      key:
        config.audit.key.kind === "env" ? { kind: "env", text: "TRIAGE_AUDIT_KEY (set)" } : config.audit.key,
    },
    secrets,
  };
}
