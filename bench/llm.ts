/**
 * Model cost per alert with the same scripted model: our graph (the model plans rounds of calls over
 * fenced, truncated evidence and judges once) against a naive ReAct agent (LangGraph's createReactAgent
 * over the same read-only tools, raw tool output appended to the conversation, one call per step). The
 * scripted model asks both for the calls the offline playbook made for that alert, then answers.
 * Prompt tokens are the fake server's estimate (request characters / 4), identical for both sides.
 */
import { join } from "node:path";
import { HumanMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { ChatOpenAI } from "@langchain/openai";
import { startFakeOpenAi } from "../agent/testing/fake-openai.ts";
import { loadConfig } from "../agent/config.ts";
import { createLlmReasoner } from "../agent/reasoners/llm/index.ts";
import { createOfflineReasoner } from "../agent/reasoners/offline/index.ts";
import { runTriage } from "../agent/run-triage.ts";
import { openRuntime } from "../agent/setup.ts";
import { runToolCall, toolInputSchemas, toolNames } from "../tools/catalog.ts";

const verdict = {
  disposition: "malicious",
  confidence: 0.9,
  category: "other",
  summary: "scripted",
  rationale: [],
  evidenceIds: ["ev-alert"],
};
const estimate = (requests: Array<{ text: string }>) =>
  requests.reduce((sum, r) => sum + Math.ceil(r.text.length / 4), 0);

export async function benchLlm(scratch: string, labDb: string, sample: number): Promise<string[]> {
  const offline = await openRuntime(loadConfig({ db: join(scratch, "llm-offline.db"), labDb }, {}), {
    checkpointer: false,
  });
  const alerts = (await offline.runtime.deps.tools.alerts.listAlerts({ limit: 100_000 }))
    .filter((_, i) => i % Math.max(1, Math.floor(209 / sample)) === 0)
    .slice(0, sample);
  const totals = { ours: { calls: 0, tokens: 0 }, react: { calls: 0, tokens: 0 } };
  try {
    for (const alert of alerts) {
      const steps = (await runTriage(offline.runtime, alert.id, { dryRun: true })).report.steps.map((s) => ({
        name: s.tool,
        arguments: s.args,
      }));

      const oursFake = await startFakeOpenAi({
        plan: [{ kind: "tool_calls", calls: steps }],
        structured: [{ kind: "json", value: verdict }],
      });
      const planner = new ChatOpenAI({
        model: "gpt-4o-mini",
        apiKey: "k",
        maxRetries: 0,
        configuration: { baseURL: oursFake.baseURL },
      });
      const ours = await openRuntime(
        loadConfig({ db: join(scratch, `llm-ours-${alert.id}.db`), labDb }, {}),
        {
          checkpointer: false,
          reasoner: createLlmReasoner({ planner, fallback: createOfflineReasoner() }),
        },
      );
      await runTriage(ours.runtime, alert.id, { dryRun: true });
      await ours.close();
      await oursFake.close();
      totals.ours.calls += oursFake.requests.length;
      totals.ours.tokens += estimate(oursFake.requests);

      const reactFake = await startFakeOpenAi({
        plan: [
          ...steps.map((call) => ({ kind: "tool_calls" as const, calls: [call] })),
          { kind: "text", content: JSON.stringify(verdict) },
        ],
      });
      const tools = toolNames.map((name) =>
        tool(
          async (args: Record<string, unknown>) =>
            JSON.stringify((await runToolCall(offline.runtime.deps.tools, { tool: name, args })).data),
          {
            name,
            description: toolInputSchemas[name].description ?? name,
            schema: toolInputSchemas[name],
          },
        ),
      );
      const agent = createReactAgent({
        llm: new ChatOpenAI({
          model: "gpt-4o-mini",
          apiKey: "k",
          maxRetries: 0,
          configuration: { baseURL: reactFake.baseURL },
        }),
        tools,
      });
      await agent.invoke(
        {
          messages: [
            new HumanMessage(
              `Triage this alert and give a verdict:\n${JSON.stringify(await offline.runtime.deps.tools.alerts.getAlert(alert.id))}`,
            ),
          ],
        },
        { recursionLimit: 200 },
      );
      await reactFake.close();
      totals.react.calls += reactFake.requests.length;
      totals.react.tokens += estimate(reactFake.requests);
    }
  } finally {
    await offline.close();
  }
  const n = alerts.length || 1;
  const per = (x: number) => (x / n).toFixed(1);
  return [
    `Model cost per alert, same scripted model, ${alerts.length} lab alerts: our graph ${per(totals.ours.calls)} calls / ${per(totals.ours.tokens)} prompt tokens; naive ReAct ${per(totals.react.calls)} calls / ${per(totals.react.tokens)} prompt tokens; ratio calls ×${(totals.ours.calls / Math.max(totals.react.calls, 1)).toFixed(2)}, tokens ×${(totals.ours.tokens / Math.max(totals.react.tokens, 1)).toFixed(2)}`,
  ];
}
