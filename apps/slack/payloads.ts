/**
 * The fields of Slack's payloads this app reads, parsed with zod (Bolt's types describe what Slack should
 * send, not what arrived). Only the fields read are listed; the rest pass through untouched.
 */
import { z } from "zod";

/** Alert and case ids as they appear in commands and button values: one token, no markup. */
const idSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/);

export const slashCommandSchema = z.object({
  command: z.string(),
  text: z.string(),
  user_id: z.string().min(1),
  channel_id: z.string().min(1),
});
export type SlashCommandPayload = z.infer<typeof slashCommandSchema>;

/** The alert id of `/triage <alert-id>`; anything else is a usage error. */
export const alertIdArgumentSchema = z.string().trim().pipe(idSchema);

export const blockActionSchema = z.object({
  type: z.literal("block_actions"),
  user: z.object({ id: z.string().min(1) }),
  channel: z.object({ id: z.string().min(1) }).nullish(),
  container: z.object({ channel_id: z.string().nullish(), message_ts: z.string().nullish() }).nullish(),
  message: z.object({ ts: z.string() }).nullish(),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().optional() })).min(1),
});
export type BlockActionPayload = z.infer<typeof blockActionSchema>;

export const caseIdSchema = idSchema;

/** What chat.postMessage answered, as far as the card store needs it. */
export const postedMessageSchema = z.object({ channel: z.string().min(1), ts: z.string().min(1) });
