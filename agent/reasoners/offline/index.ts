/**
 * The offline engine: playbooks choose the tools, analyzers turn results into weighted findings, and the
 * scorer turns findings into a verdict. Deterministic, no network, milliseconds per alert.
 */
import type { Alert } from "../../../core/domain.ts";
import type { Reasoner } from "../types.ts";
import { memorySignals } from "./memory-signals.ts";
import type { Playbook } from "./playbook.ts";
import { emailPlaybook } from "./playbooks/email.ts";
import { endpointPlaybook } from "./playbooks/endpoint.ts";
import { identityPlaybook } from "./playbooks/identity.ts";
import { portScanPlaybook } from "./playbooks/network.ts";
import { defaultThresholds, scoreVerdict, type Thresholds } from "./score.ts";

const PLAYBOOKS: Record<string, Playbook> = {
  user_reported_phish: emailPlaybook,
  impossible_travel: identityPlaybook("travel"),
  suspicious_sign_in: identityPlaybook("sign_in"),
  mfa_fatigue: identityPlaybook("mfa"),
  suspicious_inbox_rule: identityPlaybook("rule"),
  suspicious_process: endpointPlaybook("process"),
  credential_dumping: endpointPlaybook("credential_dumping"),
  port_scan: portScanPlaybook,
};

/** A family's default when a source sends a type we have no playbook for. */
const FAMILY_DEFAULTS: Record<Alert["family"], Playbook> = {
  email: emailPlaybook,
  identity: identityPlaybook("sign_in"),
  endpoint: endpointPlaybook("process"),
  network: portScanPlaybook,
};

export function playbookFor(alert: Alert): Playbook {
  return PLAYBOOKS[alert.type] ?? FAMILY_DEFAULTS[alert.family];
}

export function createOfflineReasoner(options: { thresholds?: Thresholds } = {}): Reasoner {
  return {
    name: "offline",
    async plan(ctx) {
      const calls = await playbookFor(ctx.alert).calls(ctx);
      return { calls, done: calls.length === 0 };
    },
    async assess(ctx) {
      const playbook = playbookFor(ctx.alert);
      const signals = [...(await playbook.signals(ctx)), ...memorySignals(ctx)];
      return scoreVerdict({
        alert: ctx.alert,
        signals,
        prior: playbook.prior,
        fallbackCategory: playbook.fallbackCategory,
        thresholds: options.thresholds ?? playbook.thresholds ?? defaultThresholds,
        reasoner: "offline",
      });
    },
    async proposeActions(ctx) {
      return playbookFor(ctx.alert).actions(ctx);
    },
  };
}
