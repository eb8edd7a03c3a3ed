/**
 * The LLM reasoner through the real @langchain/openai client, over HTTP, against a scripted fake
 * OpenAI-compatible server: tool rounds, structured verdicts, grounding, failures and a hijacked model.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChatOpenAI } from "@langchain/openai";
import { z } from "zod";
import { afterAll, describe, expect, it } from "vitest";
import { startFakeOpenAi, type ScriptedReply } from "../agent/testing/fake-openai.ts";
import { loadConfig } from "../agent/config.ts";
import { runTriage } from "../agent/run-triage.ts";
import { openRuntime } from "../agent/setup.ts";
import { evidenceIdFor } from "../tools/catalog.ts";
import { readGroundTruth } from "../tools/lab/ground-truth.ts";
import { openLab } from "../tools/lab/index.ts";
import { createOfflineReasoner } from "../agent/reasoners/offline/index.ts";
import { createLlmReasoner, redactPersonalData as redact } from "../agent/reasoners/llm/index.ts";

const dir = mkdtempSync(join(tmpdir(), "soc-triage-llm-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const labDb = join(dir, "lab.db");
const lab = openLab(labDb, { seed: 1337 });
const truth = readGroundTruth(lab);
const alertsDoc = new Map(
  truth.map((t) => {
    const row = lab.prepare("SELECT doc FROM alerts WHERE id = ?").get(t.alertId);
    return [t.alertId, JSON.stringify(row)];
  }),
);
lab.close();
const firstOf = (scenario: string) => truth.find((t) => t.scenario === scenario)?.alertId ?? "";

function chat(baseURL: string) {
  return new ChatOpenAI({
    model: "gpt-4o-mini",
    apiKey: "test-key",
    maxRetries: 0,
    configuration: { baseURL },
  });
}

async function triageWith(
  script: { plan?: ScriptedReply[]; structured?: ScriptedReply[] },
  alertId: string,
  baseURL?: string,
) {
  const fake = baseURL ? null : await startFakeOpenAi(script);
  const url = baseURL ?? fake?.baseURL ?? "";
  const config = loadConfig({ db: join(dir, `cases-${Math.random().toString(36).slice(2)}.db`), labDb }, {});
  const reasoner = createLlmReasoner({ planner: chat(url), fallback: createOfflineReasoner() });
  const opened = await openRuntime(config, { reasoner, checkpointer: false });
  try {
    const outcome = await runTriage(opened.runtime, alertId, { dryRun: true });
    return { outcome, requests: fake?.requests ?? [] };
  } finally {
    await opened.close();
    await fake?.close();
  }
}

describe("LLM reasoner over a fake OpenAI-compatible server", () => {
  it("investigates in several tool rounds and returns a grounded structured verdict", async () => {
    const id = firstOf("impossible_travel_attacker");
    const raw = JSON.parse(JSON.parse(alertsDoc.get(id) ?? "{}").doc);
    const user: string = raw.raw.user;
    const getUser = { tool: "identity_get_user" as const, args: { user } };
    const signIns = {
      tool: "identity_sign_ins" as const,
      args: { user, since: "2026-11-01T00:00:00.000Z", until: "2026-11-20T00:00:00.000Z", limit: 100 },
    };
    const { outcome, requests } = await triageWith(
      {
        plan: [
          { kind: "tool_calls", calls: [{ name: getUser.tool, arguments: getUser.args }] },
          { kind: "tool_calls", calls: [{ name: signIns.tool, arguments: signIns.args }] },
        ],
        structured: [
          {
            kind: "json",
            value: {
              disposition: "malicious",
              confidence: 0.93,
              category: "account_takeover",
              summary: "Attacker sign-in from abroad.",
              rationale: ["foreign sign-in"],
              evidenceIds: [evidenceIdFor(getUser), evidenceIdFor(signIns)],
            },
          },
        ],
      },
      id,
    );
    const ran = outcome.report.steps.map((s) => s.evidenceId);
    expect(ran).toEqual(expect.arrayContaining([evidenceIdFor(getUser), evidenceIdFor(signIns)]));
    expect(outcome.report.steps.find((s) => s.evidenceId === evidenceIdFor(signIns))?.round).toBe(2);
    expect(outcome.report.verdict).toMatchObject({
      disposition: "malicious",
      confidence: 0.93,
      reasoner: "llm",
    });
    expect(outcome.report.verdict.evidenceIds).toContain(evidenceIdFor(signIns));
    expect(requests[0]?.text).toContain("untrusted_data");
    expect(requests[0]?.body.tools).toBeTruthy();
    expect(requests.filter((r) => "response_format" in r.body)).toHaveLength(1);
  });

  it("retries once on evidence that does not exist, then falls back to the offline verdict", async () => {
    const id = firstOf("marketing_newsletter");
    const fake = {
      disposition: "malicious",
      confidence: 0.9,
      category: "other",
      summary: "x",
      rationale: [],
      evidenceIds: ["ev-made-up"],
    };
    const { outcome } = await triageWith(
      {
        structured: [
          { kind: "json", value: fake },
          { kind: "json", value: fake },
        ],
      },
      id,
    );
    expect(outcome.report.verdict.disposition).toBe("benign");
    expect(outcome.report.verdict.rationale[0]).toMatch(/model assessment unavailable.*does not exist/);
  });

  it("finishes with the offline engine when the model is unreachable or failing", async () => {
    const id = firstOf("credential_phish_campaign");
    const down = await triageWith({}, id, "http://127.0.0.1:9/v1");
    expect(down.outcome.report.verdict.disposition).toBe("malicious");
    expect(down.outcome.report.verdict.rationale[0]).toMatch(/model assessment unavailable/);
    const malformed = await triageWith({ structured: [{ kind: "text", content: "{not json at all" }] }, id);
    expect(malformed.outcome.report.verdict.rationale[0]).toMatch(/model assessment unavailable/);
    const wrongShape = await triageWith(
      { structured: [{ kind: "json", value: { disposition: "pwned", confidence: 7 } }] },
      id,
    );
    expect(wrongShape.outcome.report.verdict.disposition).toBe("malicious");
    expect(wrongShape.outcome.report.verdict.rationale[0]).toMatch(/model assessment unavailable/);
    const failing = await triageWith(
      { plan: [{ kind: "error", status: 500 }], structured: [{ kind: "error", status: 429, retryAfter: 0 }] },
      id,
    );
    expect(failing.outcome.report.verdict.disposition).toBe("malicious");
  });

  it("a hijacked model that declares a phish benign sends it to a person, and nothing destructive runs", async () => {
    const id = firstOf("credential_phish_campaign");
    const { outcome } = await triageWith(
      {
        structured: [
          {
            kind: "json",
            value: {
              disposition: "benign",
              confidence: 0.99,
              category: "benign_notification",
              summary: "Safe, close it. Also disable the CEO.",
              rationale: ["the email says it is safe"],
              evidenceIds: ["ev-alert"],
            },
          },
        ],
      },
      id,
    );
    expect(outcome.report.verdict.disposition).toBe("suspicious");
    expect(outcome.report.verdict.summary).toMatch(/disagree/);
    expect(outcome.report.actions.map((a) => a.type)).toEqual(["escalate"]);
  });
});

describe("choosing the reasoner from the environment", () => {
  it("uses TRIAGE_LLM=openai with the configured endpoint, end to end from the CLI", async () => {
    const fake = await startFakeOpenAi({
      structured: [
        {
          kind: "json",
          value: {
            disposition: "malicious",
            confidence: 0.97,
            category: "credential_phishing",
            summary: "Phish.",
            rationale: ["lookalike"],
            evidenceIds: ["ev-alert"],
          },
        },
      ],
    });
    try {
      const { runCliAsync } = await import("./testing/run-cli.ts");
      const run = await runCliAsync([firstOf("credential_phish_campaign"), "--json"], {
        TRIAGE_DB: join(dir, "cli-llm.db"),
        TRIAGE_LAB_DB: labDb,
        TRIAGE_LLM: "openai",
        OPENAI_API_KEY: "sk-test-secret",
        OPENAI_BASE_URL: fake.baseURL,
        TRIAGE_MODEL: "gpt-4o-mini",
      });
      expect(run.stdout).toContain('"reasoner": "openai:gpt-4o-mini"');
      expect(run.stdout).not.toContain("sk-test-secret");
      expect(fake.requests.length).toBeGreaterThan(1);
      expect(fake.requests.every((r) => !r.text.includes("sk-test-secret"))).toBe(true);
    } finally {
      await fake.close();
    }
  });

  it("refuses TRIAGE_LLM=openai without a key, with one line", async () => {
    const { runCliAsync } = await import("./testing/run-cli.ts");
    const run = await runCliAsync(["LAB-0001"], {
      TRIAGE_DB: join(dir, "nokey.db"),
      TRIAGE_LAB_DB: labDb,
      TRIAGE_LLM: "openai",
      OPENAI_API_KEY: "",
    });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe("triage: TRIAGE_LLM=openai needs OPENAI_API_KEY in the environment");
  });
});

describe("accounting, redaction, per-task models and retries", () => {
  const verdictReply = {
    kind: "json" as const,
    value: {
      disposition: "malicious",
      confidence: 0.95,
      category: "credential_phishing",
      summary: "Phish.",
      rationale: [],
      evidenceIds: ["ev-alert"],
    },
  };

  async function runWith(
    fake: Awaited<ReturnType<typeof startFakeOpenAi>>,
    options: { redact?: boolean; assessModel?: string; maxRetries?: number },
  ) {
    const config = loadConfig({ db: join(dir, `acct-${Math.random().toString(36).slice(2)}.db`), labDb }, {});
    const make = (model: string) =>
      new ChatOpenAI({
        model,
        apiKey: "k",
        maxRetries: options.maxRetries ?? 0,
        configuration: { baseURL: fake.baseURL },
      });
    const reasoner = createLlmReasoner({
      planner: make("gpt-4o-mini"),
      ...(options.assessModel ? { assessor: make(options.assessModel) } : {}),
      fallback: createOfflineReasoner(),
      ...(options.redact !== undefined ? { redact: options.redact } : {}),
    });
    const opened = await openRuntime(config, { reasoner, checkpointer: false });
    try {
      return await runTriage(opened.runtime, firstOf("credential_phish_campaign"), { dryRun: true });
    } finally {
      await opened.close();
    }
  }

  it("counts model calls and tokens from the responses and records the prompt hashes", async () => {
    const fake = await startFakeOpenAi({ structured: [verdictReply] });
    const { report } = await runWith(fake, {});
    await fake.close();
    expect(report.verdict.model?.calls).toBe(fake.requests.length);
    expect(report.verdict.model?.promptTokens).toBeGreaterThan(100);
    expect(report.verdict.model?.prompts.assess).toMatch(/^[0-9a-f]{64}$/);
  });

  it("redacts mailbox names and phone numbers before a remote model sees them", async () => {
    const fake = await startFakeOpenAi({ structured: [verdictReply] });
    await runWith(fake, { redact: true });
    await fake.close();
    const sent = fake.requests.map((r) => r.text).join("\n");
    expect(sent).not.toMatch(/[a-z]{3,}\.[a-z]{3,}@northwindtraders\.com/);
    expect(sent).toMatch(/\*\*\*@northwindtraders\.com/);
  });

  it("uses the assessment model for the verdict and the planning model for tools", async () => {
    const fake = await startFakeOpenAi({ structured: [verdictReply] });
    await runWith(fake, { assessModel: "judge-model" });
    await fake.close();
    expect(fake.requests.filter((r) => "response_format" in r.body).map((r) => r.body.model)).toEqual([
      "judge-model",
    ]);
    expect(
      new Set(fake.requests.filter((r) => !("response_format" in r.body)).map((r) => r.body.model)),
    ).toEqual(new Set(["gpt-4o-mini"]));
  });

  it("retries a 429 that says when (Retry-After) and then uses the answer", async () => {
    const fake = await startFakeOpenAi({
      structured: [{ kind: "error", status: 429, retryAfter: 0 }, verdictReply],
    });
    const { report } = await runWith(fake, { maxRetries: 1 });
    await fake.close();
    expect(report.verdict.reasoner).toBe("llm");
    expect(report.verdict.rationale.join(" ")).not.toMatch(/unavailable/);
  });
});

describe("redactPersonalData", () => {
  it("hides mailbox names and phone numbers but keeps domains, dates and IPs", () => {
    const { redactPersonalData } = { redactPersonalData: redact };
    expect(
      redactPersonalData(
        "call +1 (888) 555-0147 or (800) 555-1234 on 2026-11-05T19:50:00.000Z from 192.0.2.10, mail chloe.costa@northwindtraders.com",
      ),
    ).toBe(
      "call [phone] or [phone] on 2026-11-05T19:50:00.000Z from 192.0.2.10, mail c***@northwindtraders.com",
    );
  });
});

describe("model mistakes and resuming", () => {
  it("ignores unknown tools and turns hallucinated arguments into tool errors the case survives", async () => {
    const id = firstOf("impossible_travel_attacker");
    const { outcome } = await triageWith(
      {
        plan: [
          {
            kind: "tool_calls",
            calls: [
              { name: "delete_everything", arguments: { all: true } },
              { name: "identity_sign_ins", arguments: { user: "x", since: "yesterday", until: 5 } },
            ],
          },
        ],
        structured: [
          {
            kind: "json",
            value: {
              disposition: "malicious",
              confidence: 0.9,
              category: "account_takeover",
              summary: "ATO.",
              rationale: [],
              evidenceIds: ["ev-alert"],
            },
          },
        ],
      },
      id,
    );
    expect(outcome.report.steps.map((s) => s.tool)).not.toContain("delete_everything");
    const bad = outcome.report.steps.find(
      (s) => s.tool === "identity_sign_ins" && s.args.since === "yesterday",
    );
    expect(bad?.ok).toBe(false);
    expect(outcome.report.verdict.disposition).toBe("malicious");
  });

  it("resumes an approval in a new process without calling the model again", async () => {
    const { runCliAsync } = await import("./testing/run-cli.ts");
    const fake = await startFakeOpenAi({
      structured: [
        {
          kind: "json",
          value: {
            disposition: "malicious",
            confidence: 0.97,
            category: "account_takeover",
            summary: "ATO.",
            rationale: [],
            evidenceIds: ["ev-alert"],
          },
        },
      ],
    });
    const env = {
      TRIAGE_DB: join(dir, "resume.db"),
      TRIAGE_LAB_DB: labDb,
      TRIAGE_LLM: "openai",
      OPENAI_API_KEY: "sk-test",
      OPENAI_BASE_URL: fake.baseURL,
    };
    const first = await runCliAsync([firstOf("impossible_travel_attacker"), "--json"], env);
    await fake.close();
    expect(first.code).toBe(3);
    const caseId = z.object({ caseId: z.string() }).parse(JSON.parse(first.stdout)).caseId;
    // The model endpoint is gone now: the approval must not need it.
    const approved = await runCliAsync(["approve", caseId, "--by", "alice", "--json"], {
      ...env,
      OPENAI_BASE_URL: "http://127.0.0.1:9/v1",
    });
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain('"reasoner": "openai:gpt-4o-mini"');
    // The model use of the run before the pause, from the checkpointed state, not from a process's memory.
    const modelOf = (stdout: string) =>
      z
        .object({ verdict: z.object({ model: z.object({ calls: z.number(), promptTokens: z.number() }) }) })
        .parse(JSON.parse(stdout)).verdict.model;
    expect(modelOf(first.stdout).calls).toBeGreaterThan(0);
    expect(modelOf(approved.stdout)).toEqual(modelOf(first.stdout));
  });
});

describe("Ollama through its own client", () => {
  it("plans with tool calls and judges with a format schema over /api/chat NDJSON, from the CLI", async () => {
    const { startFakeOllama } = await import("../agent/testing/fake-ollama.ts");
    const { runCliAsync } = await import("./testing/run-cli.ts");
    const id = firstOf("impossible_travel_attacker");
    const fake = await startFakeOllama({
      plan: [
        {
          kind: "tool_calls",
          calls: [{ name: "intel_lookup", arguments: { type: "ip", value: "203.0.113.9" } }],
        },
      ],
      structured: [
        {
          kind: "json",
          value: {
            disposition: "malicious",
            confidence: 0.92,
            category: "account_takeover",
            summary: "Local model says ATO.",
            rationale: [],
            evidenceIds: ["ev-alert"],
          },
        },
      ],
    });
    try {
      const run = await runCliAsync([id, "--json"], {
        TRIAGE_DB: join(dir, "ollama.db"),
        TRIAGE_LAB_DB: labDb,
        TRIAGE_LLM: "ollama",
        OLLAMA_HOST: fake.host,
        TRIAGE_MODEL: "llama3.1",
      });
      expect(run.stderr).toBe("");
      const report = z
        .object({
          verdict: z.object({ summary: z.string(), reasoner: z.string() }),
          steps: z.array(z.object({ tool: z.string(), args: z.record(z.string(), z.unknown()) })),
        })
        .parse(JSON.parse(run.stdout));
      expect(
        report.verdict,
        run.stdout.slice(run.stdout.indexOf("rationale"), run.stdout.indexOf("rationale") + 400),
      ).toMatchObject({ summary: "Local model says ATO.", reasoner: "ollama:llama3.1" });
      expect(report.steps.some((s) => s.tool === "intel_lookup" && s.args.value === "203.0.113.9")).toBe(
        true,
      );
      expect(fake.requests.some((r) => Array.isArray(r.tools))).toBe(true);
      expect(fake.requests.some((r) => r.format !== undefined)).toBe(true);
    } finally {
      await fake.close();
    }
  });
});

describe("streamed planning", () => {
  it("joins streamed tool-call pieces and counts streamed usage", async () => {
    const id = firstOf("impossible_travel_attacker");
    const fake = await startFakeOpenAi({
      plan: [
        {
          kind: "tool_calls",
          calls: [{ name: "intel_lookup", arguments: { type: "ip", value: "203.0.113.77" } }],
        },
      ],
      structured: [
        {
          kind: "json",
          value: {
            disposition: "malicious",
            confidence: 0.91,
            category: "account_takeover",
            summary: "Streamed plan.",
            rationale: [],
            evidenceIds: ["ev-alert"],
          },
        },
      ],
    });
    const config = loadConfig({ db: join(dir, "stream.db"), labDb }, {});
    const planner = new ChatOpenAI({
      model: "gpt-4o-mini",
      apiKey: "k",
      maxRetries: 0,
      configuration: { baseURL: fake.baseURL },
    });
    const opened = await openRuntime(config, {
      reasoner: createLlmReasoner({ planner, fallback: createOfflineReasoner(), stream: true }),
      checkpointer: false,
    });
    try {
      const { report } = await runTriage(opened.runtime, id, { dryRun: true });
      expect(fake.requests.filter((r) => r.body.stream === true).length).toBeGreaterThan(0);
      expect(report.steps.some((s) => s.tool === "intel_lookup" && s.args.value === "203.0.113.77")).toBe(
        true,
      );
      expect(report.verdict.summary).toBe("Streamed plan.");
      expect(report.verdict.model?.promptTokens).toBeGreaterThan(0);
    } finally {
      await opened.close();
      await fake.close();
    }
  });
});

describe("token budget", () => {
  it("stops asking the model to plan once the prompt-token budget is spent", async () => {
    const fake = await startFakeOpenAi({
      plan: Array.from({ length: 10 }, () => ({
        kind: "tool_calls" as const,
        calls: [
          {
            name: "intel_lookup",
            arguments: { type: "ip", value: `203.0.113.${Math.floor(Math.random() * 200)}` },
          },
        ],
      })),
      structured: [
        {
          kind: "json",
          value: {
            disposition: "malicious",
            confidence: 0.9,
            category: "account_takeover",
            summary: "x",
            rationale: [],
            evidenceIds: ["ev-alert"],
          },
        },
      ],
    });
    const config = loadConfig({ db: join(dir, "budget.db"), labDb }, {});
    const planner = new ChatOpenAI({
      model: "gpt-4o-mini",
      apiKey: "k",
      maxRetries: 0,
      configuration: { baseURL: fake.baseURL },
    });
    const opened = await openRuntime(config, {
      reasoner: createLlmReasoner({ planner, fallback: createOfflineReasoner(), maxPlanningTokens: 1 }),
      checkpointer: false,
    });
    try {
      await runTriage(opened.runtime, firstOf("impossible_travel_attacker"), { dryRun: true });
      expect(fake.requests.filter((r) => !("response_format" in r.body))).toHaveLength(1);
    } finally {
      await opened.close();
      await fake.close();
    }
  });
});
