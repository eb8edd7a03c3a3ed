/**
 * Endpoint alerts (suspicious process, credential dumping): the host, the process tree around the flagged
 * process with its connections, detections on the host around that time, and intel on what it touched.
 */
import { z } from "zod";
import { analyzeProcess, type EndpointContext } from "../../../../tools/analyzers/endpoint.ts";
import type { Cited } from "../../../../tools/analyzers/identity.ts";
import { isPrivateIp } from "../../../../tools/analyzers/net.ts";
import type { ToolCall } from "../../../../tools/catalog.ts";
import {
  edrDetectionSchema,
  hostSchema,
  intelVerdictSchema,
  processTreeSchema,
  type IntelVerdict,
  type ProposedActionInput,
} from "../../../../core/domain.ts";
import { ALERT_EVIDENCE_ID } from "../../../../core/ids.ts";
import type { ReasonerContext } from "../../types.ts";
import { call, DAY, HOUR, resultOf, shiftIso } from "../evidence.ts";
import type { Playbook } from "../playbook.ts";
import { closeCase, draftAction, escalateCase } from "../actions.ts";

const endpointRawSchema = z.object({
  hostname: z.string().min(1),
  hostId: z.string().min(1),
  processId: z.string().min(1),
  user: z.string().optional(),
});
type EndpointRaw = z.infer<typeof endpointRawSchema>;

const hostCall = (raw: EndpointRaw) => call("edr_get_host", { hostname: raw.hostname });
const treeCall = (raw: EndpointRaw) =>
  call("edr_process_tree", { hostId: raw.hostId, processId: raw.processId });
const detectionsCall = (ctx: ReasonerContext, hostId: string) =>
  call("edr_list_detections", {
    hostId,
    since: shiftIso(ctx.alert.createdAt, -DAY),
    until: shiftIso(ctx.alert.createdAt, HOUR),
  });
const intelCall = (type: "ip" | "file_hash", value: string) => call("intel_lookup", { type, value });

function lookups(tree: Cited<z.infer<typeof processTreeSchema>> | null, processId: string): ToolCall[] {
  if (!tree) return [];
  const ips = [
    ...new Set(tree.value.connections.map((c) => c.remoteIp).filter((ip) => !isPrivateIp(ip))),
  ].slice(0, 5);
  const target = tree.value.processes.find((p) => p.id === processId);
  return [
    ...ips.map((ip) => intelCall("ip", ip)),
    ...(target?.sha256 ? [intelCall("file_hash", target.sha256)] : []),
  ];
}

function context(ctx: ReasonerContext, raw: EndpointRaw): EndpointContext {
  const tree = resultOf(ctx.evidence, treeCall(raw), processTreeSchema);
  const intel: Array<Cited<IntelVerdict>> = lookups(tree, raw.processId).flatMap(
    (c) => resultOf(ctx.evidence, c, intelVerdictSchema) ?? [],
  );
  return {
    host: resultOf(ctx.evidence, hostCall(raw), hostSchema),
    tree,
    processId: raw.processId,
    detections: resultOf(ctx.evidence, detectionsCall(ctx, raw.hostId), z.array(edrDetectionSchema)),
    intel,
    alertEvidenceId: ALERT_EVIDENCE_ID,
    scannerHosts: ctx.organization.scannerHosts,
  };
}

export function endpointPlaybook(kind: "process" | "credential_dumping"): Playbook {
  return {
    name: `endpoint/${kind}`,
    prior: -0.5,
    fallbackCategory:
      kind === "credential_dumping"
        ? { malicious: "credential_dumping", benign: "admin_activity" }
        : { malicious: "malicious_execution", benign: "admin_activity" },
    async calls(ctx) {
      const raw = endpointRawSchema.safeParse(ctx.alert.raw);
      if (!raw.success) return [];
      const tree = resultOf(ctx.evidence, treeCall(raw.data), processTreeSchema);
      return [
        hostCall(raw.data),
        treeCall(raw.data),
        detectionsCall(ctx, raw.data.hostId),
        ...lookups(tree, raw.data.processId),
      ];
    },
    async signals(ctx) {
      const raw = endpointRawSchema.safeParse(ctx.alert.raw);
      return raw.success ? analyzeProcess(context(ctx, raw.data)) : [];
    },
    async actions(ctx) {
      const { verdict } = ctx;
      const raw = endpointRawSchema.safeParse(ctx.alert.raw);
      if (verdict.disposition === "benign") return [closeCase(ctx.alert.id, verdict)];
      if (verdict.disposition === "suspicious" || !raw.success) return [escalateCase(ctx.alert.id, verdict)];
      const ev = verdict.evidenceIds;
      const c = context(ctx, raw.data);
      const actions: ProposedActionInput[] = [
        draftAction({
          type: "isolate_host",
          target: raw.data.hostname,
          targetKind: "host",
          reason: `Contain ${raw.data.hostname} before it spreads`,
          evidenceIds: ev,
        }),
        draftAction({
          type: "kill_process",
          target: raw.data.processId,
          targetKind: "process",
          reason: "Stop the malicious process",
          params: { hostId: raw.data.hostId },
          evidenceIds: ev,
        }),
      ];
      for (const i of c.intel.filter(
        (x) => x.value.verdict === "malicious" && x.value.observable.type === "ip",
      )) {
        actions.push(
          draftAction({
            type: "block_ip",
            target: i.value.observable.value,
            targetKind: "ip",
            reason: "Block the command-and-control address",
            evidenceIds: [i.evidenceId],
          }),
        );
      }
      if (verdict.category === "credential_dumping" && raw.data.user && raw.data.user.includes("@")) {
        actions.push(
          draftAction({
            type: "reset_password",
            target: raw.data.user,
            targetKind: "user",
            reason: "Credentials on the host may be stolen",
            evidenceIds: ev,
          }),
        );
      }
      return actions;
    },
  };
}
