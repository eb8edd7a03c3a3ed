/**
 * The reply a reporter gets, one per outcome, from templates the organization may override
 * (`organization.reporterReplies` in the config file). Placeholders: {{subject}}, {{reporter}},
 * {{caseId}}, {{reports}} (how many people reported the campaign). Unknown placeholders stay as written,
 * so a typo shows in the reply instead of vanishing.
 */
import type { ReplyOutcome, ReporterReplies } from "../../core/reporter-replies.ts";

export type { ReplyOutcome, ReporterReplies };

export interface ReplyValues {
  subject: string;
  reporter: string;
  caseId: string;
  reports: number;
}

export function renderReply(
  templates: ReporterReplies,
  outcome: ReplyOutcome,
  values: ReplyValues,
): { subject: string; body: string } {
  const fill = (text: string) =>
    text.replace(/\{\{(subject|reporter|caseId|reports)\}\}/g, (_, key: keyof ReplyValues) =>
      String(values[key]).slice(0, 300),
    );
  const template = templates[outcome];
  return { subject: fill(template.subject), body: fill(template.body) };
}
