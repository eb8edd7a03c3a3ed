/**
 * What a reporter is told, per outcome: the templates the organization may override in its config file
 * (`organization.reporterReplies`). Rendering is agent/campaigns/replies.ts.
 */
import { z } from "zod";

const templateSchema = z.object({ subject: z.string().min(1).max(200), body: z.string().min(1).max(4000) });

export const reporterRepliesSchema = z
  .object({
    phishing: templateSchema.default({
      subject: "Thank you: the message you reported was phishing",
      body: 'Thank you for reporting "{{subject}}". It was a phishing attack ({{reports}} people reported it). We have removed it from every mailbox. If you clicked a link or entered a password, tell the service desk now. Case {{caseId}}.',
    }),
    suspicious: templateSchema.default({
      subject: "Thank you: we are looking at the message you reported",
      body: 'Thank you for reporting "{{subject}}". An analyst is reviewing it; please do not act on it until you hear from us. Case {{caseId}}.',
    }),
    safe: templateSchema.default({
      subject: "Thank you: the message you reported is safe",
      body: 'Thank you for reporting "{{subject}}". We checked it and it is safe. Keep reporting anything that looks wrong. Case {{caseId}}.',
    }),
    simulation: templateSchema.default({
      subject: "Well spotted: that was a phishing simulation",
      body: 'Well done: "{{subject}}" was a phishing simulation run by our security team, and reporting it was exactly right. No further action is needed. Case {{caseId}}.',
    }),
  })
  .prefault({});
export type ReporterReplies = z.infer<typeof reporterRepliesSchema>;
export type ReplyOutcome = keyof ReporterReplies;
