/**
 * Issue #12 item 4: whatever a model endpoint answers when it fails (an HTML 502 page, a 5 KB JSON error,
 * truncated JSON, a reset connection, an echo of our API key), the triage ends with the offline verdict and
 * one short note naming the failure, through both real clients (OpenAI-compatible and Ollama) and the CLI.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChatOllama } from "@langchain/ollama";
import { ChatOpenAI } from "@langchain/openai";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startFakeOllama } from "../agent/testing/fake-ollama.ts";
import { startFakeOpenAi } from "../agent/testing/fake-openai.ts";
import type { FailureReply } from "../agent/testing/http.ts";
import { runCliAsync } from "./testing/run-cli.ts";
import { readGroundTruth } from "../tools/lab/ground-truth.ts";
import { openLab } from "../tools/lab/index.ts";
import { loadConfig } from "../agent/config.ts";
import { runTriage } from "../agent/run-triage.ts";
import { openRuntime } from "../agent/setup.ts";
import { createOfflineReasoner } from "../agent/reasoners/offline/index.ts";
import { createLlmReasoner } from "../agent/reasoners/llm/index.ts";

const dir = mkdtempSync(join(tmpdir(), "soc-triage-llm-failures-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const labDb = join(dir, "lab.db");
const lab = openLab(labDb, { seed: 1337 });
const alertId = readGroundTruth(lab).find((t) => t.scenario === "impossible_travel_attacker")?.alertId ?? "";
lab.close();

const API_KEY = "sk-canary-4c1b9e7d2a8f6e0b3d5c7a9e";
const htmlPage = `<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>\n<h1>Bad Gateway</h1>\n${"<p>The proxy server received an invalid response from an upstream server.</p>\n".repeat(40)}</body></html>`;
const longJson = JSON.stringify({
  error: { message: `upstream overloaded: ${"x".repeat(5000)}`, type: "server_error", code: null },
});

const failures: Record<string, FailureReply> = {
  "an HTML 502 page": { kind: "raw", status: 502, body: htmlPage },
  "a 5 KB JSON error": { kind: "raw", status: 500, body: longJson, contentType: "application/json" },
  "truncated JSON": {
    kind: "raw",
    status: 400,
    body: longJson.slice(0, 1500),
    contentType: "application/json",
  },
  "a reset connection": { kind: "reset" },
  "an echo of the API key": { kind: "echo", status: 401 },
};

const many = (reply: FailureReply) => Array.from({ length: 20 }, () => reply);

async function triageWith(planner: ChatOpenAI | ChatOllama) {
  const config = loadConfig({ db: join(dir, `cases-${Math.random().toString(36).slice(2)}.db`), labDb }, {});
  const reasoner = createLlmReasoner({ planner, fallback: createOfflineReasoner(), name: "model" });
  const opened = await openRuntime(config, { reasoner, checkpointer: false });
  try {
    return await runTriage(opened.runtime, alertId, { dryRun: true });
  } finally {
    await opened.close();
  }
}

function expectOfflineWithNote(outcome: Awaited<ReturnType<typeof triageWith>>): void {
  const { verdict, notes } = outcome.report;
  expect(verdict.reasoner).not.toBe("model");
  const note = verdict.rationale[0] ?? "";
  expect(note).toMatch(/^model assessment unavailable \(.+\); offline verdict used$/);
  expect(note.length).toBeLessThan(240);
  expect(note).not.toContain(API_KEY);
  expect(notes.some((n) => n.startsWith("model planning failed ("))).toBe(true);
  for (const text of [...notes, ...verdict.rationale]) {
    expect(text).not.toContain("\n");
    expect(text).not.toContain(API_KEY);
  }
}

describe.each(Object.entries(failures))("a model endpoint failing with %s", (_, failure) => {
  it("ends in the offline verdict over the OpenAI-compatible client", async () => {
    const fake = await startFakeOpenAi({ plan: many(failure), structured: many(failure) });
    try {
      const planner = new ChatOpenAI({
        model: "gpt-4o-mini",
        apiKey: API_KEY,
        maxRetries: 0,
        configuration: { baseURL: fake.baseURL },
      });
      expectOfflineWithNote(await triageWith(planner));
    } finally {
      await fake.close();
    }
  });

  it("ends in the offline verdict over the Ollama client", async () => {
    const fake = await startFakeOllama({ plan: many(failure), structured: many(failure) });
    try {
      expectOfflineWithNote(await triageWith(new ChatOllama({ model: "llama3.1", baseUrl: fake.host })));
    } finally {
      await fake.close();
    }
  });
});

describe("the CLI with a failing model endpoint", () => {
  it("ends the case with the offline verdict (not exit 1) when a proxy answers an HTML 502 page", async () => {
    const page = failures["an HTML 502 page"] ?? { kind: "reset" };
    // The client tries three times (maxRetries 2); then the model has nothing more to plan.
    const fake = await startFakeOpenAi({
      plan: [page, page, page],
      structured: many({ kind: "raw", status: 400, body: longJson, contentType: "application/json" }),
    });
    try {
      const run = await runCliAsync([alertId, "--json"], {
        TRIAGE_DB: join(dir, "cli.db"),
        TRIAGE_LAB_DB: labDb,
        TRIAGE_LLM: "openai",
        OPENAI_API_KEY: API_KEY,
        OPENAI_BASE_URL: fake.baseURL,
      });
      expect(run.stderr).toBe("");
      // 3: the case waits for a person to approve its actions, as it does offline.
      expect([0, 3]).toContain(run.code);
      expect(run.stdout).not.toContain(API_KEY);
      const report = z
        .object({ verdict: z.object({ rationale: z.array(z.string()) }) })
        .parse(JSON.parse(run.stdout));
      expect(report.verdict.rationale[0]).toMatch(/^model assessment unavailable/);
      expect(fake.requests.length).toBeGreaterThanOrEqual(4);
    } finally {
      await fake.close();
    }
  }, 60_000);
});
