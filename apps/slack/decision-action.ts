/**
 * The Approve / Deny buttons of a card. Acknowledged at once; then the case resumes only if the person
 * pressing may decide it (resumeTriage checks the policy's approvers), the decision is audited with the
 * Slack user id, and the card is replaced by the decided one. A refused or late press gets an ephemeral
 * note saying why, and changes nothing.
 */
import type { App } from "@slack/bolt";
import type { TriageReport } from "../../agent/report.ts";
import { caseReport, resumeTriage } from "../../agent/run-triage.ts";
import { describeError, isTriageError } from "../../core/errors.ts";
import { ACTION_IDS } from "./cards.ts";
import type { BotContext } from "./context.ts";
import { blockActionSchema, caseIdSchema } from "./payloads.ts";
import { refreshCard, tellUser, userMessage } from "./replies.ts";
import { approverName } from "./settings.ts";

const DECISION_ACTION = new RegExp(`^(${ACTION_IDS.approve}|${ACTION_IDS.deny})$`);

export function registerDecisionActions(app: App, context: BotContext): void {
  app.action({ action_id: DECISION_ACTION }, async ({ ack, body, client, respond, logger }) => {
    await ack();
    const payload = blockActionSchema.safeParse(body);
    const action = payload.success ? payload.data.actions[0] : undefined;
    const caseId = caseIdSchema.safeParse(action?.value);
    if (!payload.success || !action || !caseId.success) {
      logger.warn(
        `ignored a malformed decision payload: ${payload.error?.issues[0]?.message ?? "bad case id"}`,
      );
      return;
    }
    const { user, channel, container, message } = payload.data;
    const channelId = channel?.id ?? container?.channel_id ?? null;
    const messageTs = message?.ts ?? container?.message_ts ?? null;
    const card = channelId && messageTs ? { channel: channelId, ts: messageTs } : null;
    const reply = (text: string) =>
      channelId
        ? tellUser({ client, respond, logger }, { channel: channelId, user: user.id }, text)
        : Promise.resolve();
    const approved = action.action_id === ACTION_IDS.approve;
    const by = approverName(context.settings, user.id);
    const { runtime, memory } = context.opened;

    await context.track(
      context.serialize(caseId.data, async () => {
        let report: TriageReport;
        try {
          ({ report } = await resumeTriage(runtime, caseId.data, {
            approved,
            by,
            actionIds: [],
            comment: `via Slack by ${user.id}`,
            at: context.now().toISOString(),
          }));
          await memory.audit({
            actor: `person:${by}`,
            event: "slack.approval",
            caseId: caseId.data,
            payload: { slackUserId: user.id, approved },
          });
        } catch (error) {
          if (isTriageError(error) && error.code === "CONFLICT") {
            await reply(error.message);
            // Decided elsewhere (the CLI, another button): show the card as it is now.
            try {
              await refreshCard(client, context.cards, await caseReport(runtime, caseId.data), card);
            } catch (again) {
              logger.warn(`could not refresh the card of ${caseId.data}: ${describeError(again)}`);
            }
            return;
          }
          if (isTriageError(error) && error.code === "BAD_INPUT") {
            await memory.audit({
              actor: `person:${by}`,
              event: "slack.approval_refused",
              caseId: caseId.data,
              payload: { slackUserId: user.id, approved, reason: error.message },
            });
            await reply(`You may not decide ${caseId.data}: ${error.message}`);
            return;
          }
          await reply(userMessage(error));
          return;
        }
        try {
          await refreshCard(client, context.cards, report, card);
        } catch (error) {
          await reply(
            `${approved ? "Approved" : "Denied"}, but the card could not be updated: ${describeError(error)}`,
          );
        }
      }),
    );
  });
}
