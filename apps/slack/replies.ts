/**
 * How the bot answers a person: ephemeral notes (only they see them) and the case card in the channel.
 * A user sees one short line, never a stack trace.
 */
import type { Logger, RespondFn, webApi } from "@slack/bolt";
import type { TriageReport } from "../../agent/report.ts";
import { describeError, isTriageError } from "../../core/errors.ts";
import type { SlackCardStore } from "./card-store.ts";
import { verdictCard } from "./cards.ts";
import { LIMITS, safeText } from "./mrkdwn.ts";

type WebClient = webApi.WebClient;

/** One line for the person who asked: the error's own message when it is theirs to fix. */
export function userMessage(error: unknown): string {
  if (isTriageError(error) && error.code !== "INTERNAL") return error.message;
  return `internal error: ${describeError(error)}`;
}

/**
 * An ephemeral note in the channel; through the response URL when the bot cannot post there (a DM or a
 * channel it was not invited to).
 */
export async function tellUser(
  target: { client: WebClient; respond?: RespondFn; logger: Logger },
  where: { channel: string; user: string },
  text: string,
): Promise<void> {
  const safe = safeText(text, LIMITS.sectionText);
  try {
    await target.client.chat.postEphemeral({ channel: where.channel, user: where.user, text: safe });
  } catch (error) {
    if (!target.respond) {
      target.logger.warn(`could not tell ${where.user}: ${describeError(error)}`);
      return;
    }
    try {
      await target.respond({ response_type: "ephemeral", replace_original: false, text: safe });
    } catch (again) {
      target.logger.warn(`could not tell ${where.user}: ${describeError(again)}`);
    }
  }
}

/** Replaces a case's card with one built from its current report; the stored location wins. */
export async function refreshCard(
  client: WebClient,
  cards: SlackCardStore,
  report: TriageReport,
  fallback: { channel: string; ts: string } | null,
): Promise<boolean> {
  const where = (await cards.find(report.caseId)) ?? fallback;
  if (!where) return false;
  const card = verdictCard(report);
  await client.chat.update({ channel: where.channel, ts: where.ts, text: card.text, blocks: card.blocks });
  return true;
}
