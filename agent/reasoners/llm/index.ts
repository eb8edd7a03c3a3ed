/**
 * The LLM reasoner: a chat model plans read-only tool calls and judges, through the same graph and under
 * the same policy as the offline engine. The model never proposes actions: actions follow from the final
 * verdict through the offline playbooks, so a hijacked model can at most change a verdict, which the
 * deterministic findings check (a contradiction of strong evidence goes to a person). Any model failure
 * falls back to the offline engine and says so.
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import {
  AIMessage,
  AIMessageChunk,
  HumanMessage,
  SystemMessage,
  type BaseMessage,
} from "@langchain/core/messages";
import type { BaseLanguageModelInput } from "@langchain/core/language_models/base";
import type { Runnable } from "@langchain/core/runnables";
import { z } from "zod";
import { fenceData, injectionAttempts, loadPrompt } from "../../../prompts/index.ts";
import { toolInputSchemas, toolNames, type ToolCall } from "../../../tools/catalog.ts";
import { clip, describeError } from "../../../core/errors.ts";
import { redact } from "../../../core/redact.ts";
import {
  addModelUsage,
  noModelUsage,
  verdictCategorySchema,
  type Finding,
  type ModelUsage,
  type Verdict,
} from "../../../core/domain.ts";
import type { Assessment, Reasoner, ReasonerContext } from "../types.ts";

export const llmVerdictSchema = z.object({
  disposition: z
    .enum(["malicious", "suspicious", "benign"])
    .describe("malicious: an attack; suspicious: a person must look; benign: safe to close"),
  confidence: z.number().min(0).max(1).describe("Calibrated confidence in the disposition"),
  category: verdictCategorySchema,
  summary: z.string().min(1).max(2000).describe("One or two sentences an analyst reads first"),
  rationale: z.array(z.string().max(1000)).max(10).describe("Why, one reason per line"),
  evidenceIds: z.array(z.string()).max(30).describe("Ids of the evidence relied on, exactly as listed"),
});

export interface LlmReasonerOptions {
  /** The model that plans (tool calling). */
  planner: BaseChatModel;
  /** The model that judges (structured output); the planner when not given. */
  assessor?: BaseChatModel;
  fallback: Reasoner;
  name?: string;
  /** Redact personal data before it leaves for the model (on by default for non-local endpoints). */
  redact?: boolean;
  /** Stream planning responses (the chunks are joined before use). */
  stream?: boolean;
  /** Prompt-token budget per alert for planning; past it the offline playbook plans alone. */
  maxPlanningTokens?: number;
}

const toolDefinitions = toolNames.map((name) => ({
  type: "function" as const,
  function: {
    name,
    description: toolInputSchemas[name].description ?? name,
    parameters: z.toJSONSchema(toolInputSchemas[name], { io: "input" }),
  },
}));

/** Personal data a remote model does not need to judge an alert: mailbox local parts and phone numbers. */
export function redactPersonalData(text: string): string {
  return (
    text
      .replace(/\b([a-z0-9])[a-z0-9._%+-]*@([a-z0-9.-]+\.[a-z]{2,})\b/gi, "$1***@$2")
      // Phone shapes only (+CC…, (NNN) NNN-NNNN, NNN-NNN-NNNN), so dates, times and IPs survive.
      .replace(
        /\+\d[\d\s().-]{7,}\d|\(\d{3}\)\s?\d{3}[-.\s]\d{4}|\b\d{3}[-.\s]\d{3}[-.\s]\d{4}\b/g,
        "[phone]",
      )
  );
}

/** One short line naming a model failure: an error body can be a 5 KB JSON error or a proxy's HTML page. */
function failureNote(error: unknown): string {
  return clip(describeError(error), 160);
}

function untrustedContext(ctx: ReasonerContext, findings: readonly Finding[], personal: boolean): string {
  // Secrets never leave for a model, whatever the personal-data setting.
  const clean = (t: string) => redact(personal ? redactPersonalData(t) : t);
  const evidence = ctx.evidence.map(
    (e) =>
      `### evidence ${e.id} (${e.tool})\n${fenceData(`tool:${e.tool}`, clean(`${e.summary}\n${JSON.stringify(e.data)}`), 6000)}`,
  );
  const facts = findings.map(
    (f) => `- ${f.id}: ${f.title} (weight ${f.weight}, evidence ${f.evidenceIds.join(", ")})`,
  );
  return [
    `Alert ${ctx.alert.id} (${ctx.alert.family}/${ctx.alert.type}).`,
    ...evidence,
    facts.length ? `Deterministic findings (computed by code):\n${facts.join("\n")}` : "",
  ].join("\n\n");
}

function textsOf(value: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > 6 || out.length > 2000) return out;
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) textsOf(v, out, depth + 1);
  else if (value && typeof value === "object")
    for (const v of Object.values(value)) textsOf(v, out, depth + 1);
  return out;
}

const usageSchema = z.object({ input_tokens: z.number(), output_tokens: z.number() });

/** One model call, with the tokens its response reports (none when it reports none). */
function usageOf(message: unknown): ModelUsage {
  const meta =
    AIMessage.isInstance(message) || AIMessageChunk.isInstance(message)
      ? usageSchema.safeParse(message.usage_metadata)
      : null;
  return {
    calls: 1,
    promptTokens: meta?.success ? meta.data.input_tokens : 0,
    completionTokens: meta?.success ? meta.data.output_tokens : 0,
  };
}

type PlanningModel = Runnable<BaseLanguageModelInput, AIMessageChunk>;

export function createLlmReasoner(options: LlmReasonerOptions): Reasoner {
  // Streamed replies are joined chunk by chunk; tool-call arguments arrive in pieces and are parsed once whole.
  const respond = async (model: PlanningModel, messages: BaseMessage[]): Promise<AIMessageChunk> => {
    if (!options.stream) return model.invoke(messages);
    let joined: AIMessageChunk | undefined;
    for await (const chunk of await model.stream(messages)) joined = joined ? joined.concat(chunk) : chunk;
    if (!joined) throw new Error("the model streamed nothing");
    return joined;
  };
  const investigate = loadPrompt("investigate");
  const assessPrompt = loadPrompt("assess");
  const assessor = options.assessor ?? options.planner;
  const name = options.name ?? "llm";
  const personal = options.redact ?? false;
  // Model use is returned with each plan and assessment; the graph keeps the run's total in its state.
  async function modelVerdict(
    ctx: ReasonerContext,
    offline: Assessment,
    count: (message: unknown) => void,
    retryNote?: string,
  ) {
    const structured = assessor.withStructuredOutput(llmVerdictSchema, {
      name: "verdict",
      includeRaw: true,
      // JSON-schema output on every backend (OpenAI response_format, Ollama format), never a fake tool.
      method: "jsonSchema",
    });
    const messages = [
      new SystemMessage(assessPrompt.text),
      new HumanMessage(
        `${untrustedContext(ctx, offline.findings, personal)}${retryNote ? `\n\n${retryNote}` : ""}\n\nDecide now.`,
      ),
    ];
    const answer = await structured.invoke(messages);
    count(answer.raw);
    return llmVerdictSchema.parse(answer.parsed);
  }

  return {
    name,
    // The offline playbook's calls always run too: a model (confused or hijacked) can add to the
    // evidence but never starve the deterministic findings of it.
    async plan(ctx) {
      const baseline = await options.fallback.plan(ctx);
      if (ctx.remainingToolCalls <= 0) return { calls: [], done: true };
      const spent = ctx.usage.promptTokens;
      if (spent >= (options.maxPlanningTokens ?? 200_000)) {
        return {
          ...baseline,
          note: `model token budget spent (${spent} prompt tokens); the offline playbook planned this round`,
        };
      }
      let usage: ModelUsage | undefined;
      try {
        const bound = options.planner.bindTools?.(toolDefinitions);
        if (!bound) throw new Error("the planning model cannot call tools");
        const reply = await respond(bound, [
          new SystemMessage(investigate.text),
          new HumanMessage(
            `${untrustedContext(ctx, [], personal)}\n\nRound ${ctx.round + 1}; at most ${ctx.remainingToolCalls} more tool calls.`,
          ),
        ]);
        usage = usageOf(reply);
        const calls: ToolCall[] = (reply.tool_calls ?? []).flatMap((c) => {
          const tool = toolNames.find((t) => t === c.name);
          return tool ? [{ tool, args: c.args }] : [];
        });
        const all = [...calls, ...baseline.calls];
        return { calls: all, done: all.length === 0, usage };
      } catch (error) {
        return {
          ...baseline,
          note: `model planning failed (${failureNote(error)}); the offline playbook planned this round`,
          ...(usage ? { usage } : {}),
        };
      }
    },

    async assess(ctx) {
      const offline = await options.fallback.assess(ctx);
      const attempts = injectionAttempts(ctx.evidence.flatMap((e) => textsOf(e.data)));
      const flagged: Finding[] = attempts.length
        ? [
            {
              id: "llm.prompt_injection",
              title: `Untrusted content addresses the AI: "${attempts[0] ?? ""}"`,
              detail: attempts.join(" | "),
              weight: 0,
              evidenceIds: ["ev-alert"],
              attack: [],
            },
          ]
        : [];
      const known = new Set(ctx.evidence.map((e) => e.id));
      let used = noModelUsage;
      const count = (message: unknown) => void (used = addModelUsage(used, usageOf(message)));
      let proposed: z.infer<typeof llmVerdictSchema>;
      try {
        proposed = await modelVerdict(ctx, offline, count);
        const unknown = proposed.evidenceIds.filter((id) => !known.has(id));
        if (unknown.length) {
          proposed = await modelVerdict(
            ctx,
            offline,
            count,
            `Your previous answer cited evidence that does not exist: ${unknown.join(", ")}. Cite only listed ids.`,
          );
          if (proposed.evidenceIds.some((id) => !known.has(id)))
            throw new Error("the model cited evidence that does not exist, twice");
        }
      } catch (error) {
        return {
          verdict: {
            ...offline.verdict,
            rationale: [
              `model assessment unavailable (${failureNote(error)}); offline verdict used`,
              ...offline.verdict.rationale,
            ].slice(0, 20),
          },
          findings: [...offline.findings, ...flagged],
          usage: used,
        };
      }
      const p = offline.verdict.maliciousProbability;
      // A model that contradicts strong deterministic evidence is not trusted alone: a person decides.
      // So does a "benign" for content that tried to instruct the model: the model may have obeyed it.
      const contradicts =
        (attempts.length > 0 && proposed.disposition === "benign") ||
        (p !== undefined &&
          ((p >= 0.9 && proposed.disposition === "benign") ||
            (p <= 0.1 && proposed.disposition === "malicious")));
      const verdict: Verdict = {
        ...offline.verdict,
        disposition: contradicts ? "suspicious" : proposed.disposition,
        confidence: contradicts ? 0.5 : proposed.confidence,
        category: proposed.category,
        summary: contradicts
          ? `Model and deterministic findings disagree (model: ${proposed.disposition}); a person must decide. ${proposed.summary}`.slice(
              0,
              2000,
            )
          : proposed.summary,
        rationale: [
          ...(attempts.length
            ? ["untrusted content tried to instruct the AI; treated as evidence, not instructions"]
            : []),
          ...proposed.rationale,
          ...(contradicts ? [`offline P(malicious) ${p?.toFixed(3) ?? "?"} contradicts the model`] : []),
        ].slice(0, 20),
        evidenceIds: [...new Set(["ev-alert", ...proposed.evidenceIds])],
        reasoner: name,
        model: {
          // The run's whole use: every planning round (from the state) and this assessment.
          ...addModelUsage(ctx.usage, used),
          prompts: { investigate: investigate.sha256, assess: assessPrompt.sha256 },
        },
      };
      if (verdict.disposition === "benign") verdict.attack = [];
      return { verdict, findings: [...offline.findings, ...flagged], usage: used };
    },

    // Actions follow from the verdict by code, never from model text.
    proposeActions: (ctx) => options.fallback.proposeActions(ctx),
  };
}
