/**
 * `/triage <alert-id>`: acknowledged at once (Slack wants an answer within 3 s), then triaged, then the
 * verdict card is posted to the command's channel and its location stored for later updates.
 */
import type { App } from "@slack/bolt";
import { runTriage } from "../../agent/run-triage.ts";
import type { BotContext } from "./context.ts";
import { verdictCard } from "./cards.ts";
import { escapeMrkdwn } from "./mrkdwn.ts";
import { alertIdArgumentSchema, postedMessageSchema, slashCommandSchema } from "./payloads.ts";
import { tellUser, userMessage } from "./replies.ts";
import { slackFailure } from "./web-client.ts";

export const TRIAGE_COMMAND = "/triage";
export const USAGE = "Usage: /triage <alert-id>, for example /triage LAB-0001";

export function registerTriageCommand(app: App, context: BotContext): void {
  app.command(TRIAGE_COMMAND, async ({ command, ack, client, respond, logger }) => {
    const payload = slashCommandSchema.safeParse(command);
    const alertId = payload.success ? alertIdArgumentSchema.safeParse(payload.data.text) : null;
    if (!payload.success || !alertId?.success) {
      await ack({ response_type: "ephemeral", text: USAGE });
      return;
    }
    await ack({ response_type: "ephemeral", text: `Triaging ${escapeMrkdwn(alertId.data)}…` });
    const where = { channel: payload.data.channel_id, user: payload.data.user_id };
    await context.track(
      (async () => {
        try {
          const outcome = await runTriage(context.opened.runtime, alertId.data, {
            dryRun: context.settings.dryRun,
          });
          const card = verdictCard(outcome.report);
          const posted = await client.chat
            .postMessage({
              channel: where.channel,
              text: card.text,
              blocks: card.blocks,
              // Links in evidence are the attacker's: Slack must not fetch them for previews.
              unfurl_links: false,
              unfurl_media: false,
            })
            .catch((error: unknown) => {
              throw slackFailure(
                `${outcome.report.caseId} is triaged, but its card could not be posted`,
                error,
              );
            });
          await context.cards.save(outcome.report.caseId, postedMessageSchema.parse(posted));
        } catch (error) {
          await tellUser({ client, respond, logger }, where, userMessage(error));
        }
      })(),
    );
  });
}
