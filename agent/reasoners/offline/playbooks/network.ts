/**
 * Network alerts (port scans): who the source is, what intel says about it, what it probed, and whether
 * its host shows signs of compromise.
 */
import { z } from "zod";
import { analyzeScan } from "../../../../tools/analyzers/endpoint.ts";
import {
  edrDetectionSchema,
  hostSchema,
  intelVerdictSchema,
  siemEventSchema,
} from "../../../../core/domain.ts";
import { ALERT_EVIDENCE_ID } from "../../../../core/ids.ts";
import type { ReasonerContext } from "../../types.ts";
import { call, DAY, HOUR, resultOf, shiftIso } from "../evidence.ts";
import type { Playbook } from "../playbook.ts";
import { closeCase, draftAction, escalateCase } from "../actions.ts";

const scanRawSchema = z.object({ sourceHost: z.string().min(1), sourceIp: z.string().min(1) });
type ScanRaw = z.infer<typeof scanRawSchema>;

const hostCall = (raw: ScanRaw) => call("edr_get_host", { hostname: raw.sourceHost });
const intelCall = (raw: ScanRaw) => call("intel_lookup", { type: "ip", value: raw.sourceIp });
const trafficCall = (ctx: ReasonerContext, raw: ScanRaw) =>
  call("siem_search", {
    dataset: "network",
    where: [{ field: "source.ip", op: "eq", value: raw.sourceIp }],
    from: shiftIso(ctx.alert.createdAt, -HOUR),
    to: shiftIso(ctx.alert.createdAt, 10 * 60_000),
    limit: 1000,
  });
const detectionsCall = (ctx: ReasonerContext, hostId: string) =>
  call("edr_list_detections", {
    hostId,
    since: shiftIso(ctx.alert.createdAt, -DAY),
    until: shiftIso(ctx.alert.createdAt, HOUR),
  });

function gathered(ctx: ReasonerContext, raw: ScanRaw) {
  const host = resultOf(ctx.evidence, hostCall(raw), hostSchema);
  const traffic = resultOf(ctx.evidence, trafficCall(ctx, raw), z.array(siemEventSchema));
  const ports = [
    ...new Set(
      (traffic?.value ?? [])
        .map((e) => e.fields["destination.port"])
        .filter((p): p is number => typeof p === "number"),
    ),
  ];
  return {
    host,
    ports,
    intel: resultOf(ctx.evidence, intelCall(raw), intelVerdictSchema),
    detections: host
      ? resultOf(ctx.evidence, detectionsCall(ctx, host.value.id), z.array(edrDetectionSchema))
      : null,
  };
}

export const portScanPlaybook: Playbook = {
  name: "network/port-scan",
  prior: -0.5,
  fallbackCategory: { malicious: "malicious_execution", benign: "scanner_activity" },
  async calls(ctx) {
    const raw = scanRawSchema.safeParse(ctx.alert.raw);
    if (!raw.success) return [];
    const g = gathered(ctx, raw.data);
    return [
      hostCall(raw.data),
      intelCall(raw.data),
      trafficCall(ctx, raw.data),
      ...(g.host ? [detectionsCall(ctx, g.host.value.id)] : []),
    ];
  },
  async signals(ctx) {
    const raw = scanRawSchema.safeParse(ctx.alert.raw);
    if (!raw.success) return [];
    const g = gathered(ctx, raw.data);
    return analyzeScan(
      {
        host: g.host,
        tree: null,
        processId: "",
        detections: g.detections,
        intel: g.intel ? [g.intel] : [],
        alertEvidenceId: ALERT_EVIDENCE_ID,
        scannerHosts: ctx.organization.scannerHosts,
      },
      { sourceHost: raw.data.sourceHost, sourceIp: raw.data.sourceIp, ports: g.ports },
    );
  },
  async actions(ctx) {
    const { verdict } = ctx;
    const raw = scanRawSchema.safeParse(ctx.alert.raw);
    if (verdict.disposition === "benign") return [closeCase(ctx.alert.id, verdict)];
    if (verdict.disposition === "suspicious" || !raw.success) return [escalateCase(ctx.alert.id, verdict)];
    return [
      draftAction({
        type: "isolate_host",
        target: raw.data.sourceHost,
        targetKind: "host",
        reason: `${raw.data.sourceHost} is scanning the network: contain it`,
        evidenceIds: verdict.evidenceIds,
      }),
    ];
  },
};
