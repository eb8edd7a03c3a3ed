/**
 * Findings about a process tree on a host: what launched what, how, and where it connected. Pure: the
 * tree, detections and intel were fetched by tools and are cited by evidence id.
 */
import type { EdrDetection, Host, IntelVerdict, ProcessRecord, ProcessTree } from "../../core/domain.ts";
import { isPrivateIp } from "./net.ts";
import { signal, type Signal } from "./signal.ts";
import type { Cited } from "./identity.ts";

export interface EndpointContext {
  host: Cited<Host> | null;
  tree: Cited<ProcessTree> | null;
  /** The process the alert is about. */
  processId: string;
  detections: Cited<EdrDetection[]> | null;
  intel: ReadonlyArray<Cited<IntelVerdict>>;
  alertEvidenceId: string;
  /** Host names that may scan (from the organization profile). */
  scannerHosts: readonly string[];
}

const OFFICE = /\\(winword|excel|powerpnt|outlook|onenote|mspub|visio)\.exe$/i;
const SCRIPT_HOSTS = /\\(powershell|pwsh|cmd|wscript|cscript|mshta|rundll32|regsvr32)\.exe$/i;
const SHELLS = /\\(cmd|powershell|pwsh)\.exe$/i;
// Signers of IT management, backup and security agents that legitimately run scripts or read LSASS.
const MANAGEMENT_SIGNERS =
  /\b(NinjaOne|NinjaRMM|ConnectWise|Kaseya|Tanium|N-able|Datto|Veeam|CrowdStrike|SentinelOne|Sophos|Rapid7|Qualys|Tenable)\b/i;
const MANAGEMENT_IMAGES =
  /\\(NinjaRMMAgent|AgentExecutor|Microsoft\.Management\.Services\.IntuneWindowsAgent|CcmExec|TaniumClient|VeeamAgent|CSFalconService|ltsvc)\.exe$/i;
const MICROSOFT_SIGNER = /^Microsoft (Corporation|Windows)/i;

const imageName = (p: ProcessRecord) => p.image.split("\\").pop()?.toLowerCase() ?? p.image.toLowerCase();

function ancestry(tree: ProcessTree, processId: string): ProcessRecord[] {
  const byId = new Map(tree.processes.map((p) => [p.id, p]));
  const chain: ProcessRecord[] = [];
  let current = byId.get(processId);
  const seen = new Set<string>();
  while (current && !seen.has(current.id)) {
    seen.add(current.id);
    chain.push(current);
    current = current.parentId ? byId.get(current.parentId) : undefined;
  }
  return chain;
}

function isManagementAgent(p: ProcessRecord): boolean {
  return MANAGEMENT_IMAGES.test(p.image) || (!!p.signer && MANAGEMENT_SIGNERS.test(p.signer));
}

function intelFor(ctx: EndpointContext, type: string, value: string) {
  return ctx.intel.find(
    (i) => i.value.observable.type === type && i.value.observable.value.toLowerCase() === value.toLowerCase(),
  );
}

export function analyzeProcess(ctx: EndpointContext): Signal[] {
  const out: Signal[] = [];
  const tree = ctx.tree;
  if (!tree)
    return [
      signal("endpoint.process.not_found", "The EDR has no record of the flagged process", 0.3, [
        ctx.alertEvidenceId,
      ]),
    ];
  const ev = [tree.evidenceId];
  const chain = ancestry(tree.value, ctx.processId);
  const target = chain[0];
  if (!target)
    return [signal("endpoint.process.not_found", "The flagged process is not in its tree", 0.3, ev)];
  const ancestors = chain.slice(1);
  const descendants = tree.value.processes.filter((p) => !chain.includes(p));
  const lineage = [...chain, ...descendants];

  const office = ancestors.find((p) => OFFICE.test(p.image));
  const scripted = lineage.filter((p) => SCRIPT_HOSTS.test(p.image));
  if (office && scripted.length) {
    out.push(
      signal(
        "endpoint.process.office_spawned_script",
        `${imageName(office)} started ${scripted.map(imageName).join(", ")}`,
        2.5,
        ev,
        { category: "malicious_execution", attack: ["T1204.002", "T1059.001"] },
      ),
    );
  }
  const encoded = lineage.find((p) => /\s-(e|en|enc|encodedcommand)\s/i.test(`${p.commandLine} `));
  if (encoded)
    out.push(
      signal("endpoint.process.encoded_powershell", "PowerShell ran an encoded command", 0.8, ev, {
        attack: ["T1027", "T1059.001"],
      }),
    );
  if (lineage.some((p) => /-w(indowstyle)?\s+hidden|-nop\b/i.test(p.commandLine))) {
    out.push(signal("endpoint.process.hidden_window", "A script ran hidden, without a profile", 0.4, ev));
  }
  const manager = ancestors.find(isManagementAgent);
  if (manager && !office) {
    out.push(
      signal(
        "endpoint.process.management_agent",
        `Launched by the signed management agent ${imageName(manager)}${manager.signer ? ` (${manager.signer})` : ""}`,
        -2.5,
        ev,
        { category: "admin_activity" },
      ),
    );
  }

  // Credential dumping: how LSASS memory was read, and by whom.
  const lsassDump = lineage.find(
    (p) =>
      /comsvcs(\.dll)?[, ]+\s*#?(minidump|24)\b/i.test(p.commandLine) ||
      /procdump(64)?(\.exe)?\s.*-ma\s+(lsass|\d+)/i.test(p.commandLine) ||
      /sekurlsa|mimikatz/i.test(p.commandLine),
  );
  if (lsassDump) {
    out.push(
      signal(
        "endpoint.lsass.dump_tooling",
        `LSASS memory dumped with ${imageName(lsassDump)}: ${lsassDump.commandLine.slice(0, 160)}`,
        3,
        ev,
        { category: "credential_dumping", attack: ["T1003.001"] },
      ),
    );
    const shellParent = chain
      .slice(lineage.indexOf(lsassDump) >= 0 ? 1 : 0)
      .find((p) => SHELLS.test(p.image));
    if (shellParent && lsassDump.user && !/system/i.test(lsassDump.user)) {
      out.push(
        signal(
          "endpoint.lsass.from_user_shell",
          `Run by ${lsassDump.user} from ${imageName(shellParent)}`,
          1,
          ev,
          { category: "credential_dumping" },
        ),
      );
    }
  }
  const benignReader =
    /\\werfault\.exe$/i.test(target.image) && target.signer && MICROSOFT_SIGNER.test(target.signer)
      ? target
      : isManagementAgent(target)
        ? target
        : undefined;
  if (benignReader && !lsassDump) {
    out.push(
      signal(
        "endpoint.lsass.known_reader",
        `${imageName(benignReader)} (${benignReader.signer ?? "unsigned"}) reads LSASS as part of its job`,
        -3,
        ev,
        { category: "admin_activity" },
      ),
    );
  }

  if (!target.signer && !MICROSOFT_SIGNER.test(target.signer ?? "") && !SCRIPT_HOSTS.test(target.image)) {
    out.push(signal("endpoint.process.unsigned", `${imageName(target)} is unsigned`, 0.5, ev));
  }
  if (target.sha256) {
    const hash = intelFor(ctx, "file_hash", target.sha256);
    if (hash?.value.verdict === "malicious")
      out.push(
        signal(
          "endpoint.intel.malicious_hash",
          `Threat intel: ${imageName(target)} is known malware`,
          3,
          [hash.evidenceId],
          { category: "malicious_execution" },
        ),
      );
  }
  for (const connection of tree.value.connections) {
    const intel = intelFor(ctx, "ip", connection.remoteIp);
    if (intel?.value.verdict === "malicious") {
      out.push(
        signal(
          "endpoint.network.malicious_destination",
          `Connected to ${connection.remoteIp}:${connection.remotePort}, known ${intel.value.tags.join(", ") || "malicious"}`,
          3,
          [...ev, intel.evidenceId],
          { category: "malicious_execution", attack: ["T1071.001"] },
        ),
      );
    } else if (!isPrivateIp(connection.remoteIp) && scripted.some((p) => p.id === connection.processId)) {
      out.push(
        signal(
          "endpoint.network.script_outbound",
          `A script host connected out to ${connection.remoteIp}:${connection.remotePort}`,
          0.5,
          ev,
        ),
      );
    }
  }
  return [...dedupe(out), ...detectionSignals(ctx)];
}

export function detectionSignals(ctx: EndpointContext): Signal[] {
  const detections = ctx.detections?.value ?? [];
  if (!ctx.detections || !detections.length) return [];
  const ev = [ctx.detections.evidenceId];
  const attack = [...new Set(detections.flatMap((d) => d.attack))];
  const worst = detections.some((d) => d.severity === "high" || d.severity === "critical")
    ? "high"
    : detections.some((d) => d.severity === "medium")
      ? "medium"
      : "low";
  const names = [...new Set(detections.map((d) => d.name))].slice(0, 3).join("; ");
  if (worst === "high")
    return [
      signal("endpoint.edr.high_detection", `EDR raised high-severity detections: ${names}`, 1.5, ev, {
        attack,
        category: "malicious_execution",
      }),
    ];
  if (worst === "medium")
    return [signal("endpoint.edr.medium_detection", `EDR raised detections: ${names}`, 0.7, ev, { attack })];
  return [];
}

/** A port scan: a sanctioned scanner, or a workstation that has no business scanning. */
export function analyzeScan(
  ctx: EndpointContext,
  scan: { sourceHost: string; sourceIp: string; ports: readonly number[] },
): Signal[] {
  const out: Signal[] = [];
  const host = ctx.host?.value;
  const hostEv = ctx.host ? [ctx.host.evidenceId] : [ctx.alertEvidenceId];
  const ipIntel = intelFor(ctx, "ip", scan.sourceIp);
  const sanctionedByName = ctx.scannerHosts.some((h) => h.toLowerCase() === scan.sourceHost.toLowerCase());
  const sanctionedByTag = host?.tags.includes("vulnerability_scanner") ?? false;
  const scannerIntel = ipIntel?.value.tags.includes("scanner") ?? false;
  if ((sanctionedByName || sanctionedByTag) && (scannerIntel || sanctionedByTag)) {
    out.push(
      signal(
        "network.scan.sanctioned_scanner",
        `${scan.sourceHost} is the sanctioned vulnerability scanner`,
        -4,
        [...hostEv, ...(ipIntel ? [ipIntel.evidenceId] : [])],
        { category: "scanner_activity" },
      ),
    );
  } else if (host?.tags.includes("workstation")) {
    out.push(
      signal(
        "network.scan.from_workstation",
        `${scan.sourceHost} is a workstation; workstations do not scan`,
        1,
        hostEv,
        { category: "malicious_execution", attack: ["T1046"] },
      ),
    );
  }
  const lateral = scan.ports.filter((p) => [22, 135, 139, 445, 3389, 5985, 5986].includes(p));
  if (lateral.length && !out.some((s) => s.id === "network.scan.sanctioned_scanner")) {
    out.push(
      signal(
        "network.scan.lateral_ports",
        `Probed remote-access ports ${lateral.join(", ")}`,
        0.5,
        [ctx.alertEvidenceId],
        { attack: ["T1046", "T1021"] },
      ),
    );
  }
  if (ipIntel?.value.verdict === "malicious")
    out.push(
      signal(
        "network.intel.malicious_source",
        `Threat intel: ${scan.sourceIp} is malicious`,
        2.5,
        [ipIntel.evidenceId],
        { category: "malicious_execution" },
      ),
    );
  return [
    ...out,
    ...detectionSignals(ctx).map((s) => (s.id === "endpoint.edr.high_detection" ? { ...s, weight: 2 } : s)),
  ];
}

function dedupe(signals: Signal[]): Signal[] {
  const seen = new Set<string>();
  return signals.filter((s) => (seen.has(s.id) ? false : (seen.add(s.id), true)));
}
