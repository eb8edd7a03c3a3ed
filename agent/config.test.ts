import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";

describe("model configuration", () => {
  const base = { TRIAGE_DB: "/tmp/x/cases.db" };
  it("stays offline unless asked, and needs a key for OpenAI", () => {
    expect(loadConfig({}, base).llm.provider).toBe("offline");
    expect(() => loadConfig({}, { ...base, TRIAGE_LLM: "openai" })).toThrow(/OPENAI_API_KEY/);
    expect(() => loadConfig({}, { ...base, TRIAGE_LLM: "gpt" })).toThrow(/offline, openai or ollama/);
  });

  it("redacts for remote endpoints by default, not for local ones, and obeys TRIAGE_REDACT", () => {
    const openai = { ...base, TRIAGE_LLM: "openai", OPENAI_API_KEY: "sk-x" };
    expect(loadConfig({}, openai).llm.redact).toBe(true);
    expect(loadConfig({}, { ...openai, OPENAI_BASE_URL: "http://127.0.0.1:8000/v1" }).llm.redact).toBe(false);
    expect(loadConfig({}, { ...base, TRIAGE_LLM: "ollama" }).llm).toMatchObject({
      redact: false,
      baseURL: "http://127.0.0.1:11434",
    });
    expect(
      loadConfig({}, { ...base, TRIAGE_LLM: "ollama", OLLAMA_HOST: "https://gpu.example.org/" }).llm.redact,
    ).toBe(true);
    expect(loadConfig({}, { ...openai, TRIAGE_REDACT: "0" }).llm.redact).toBe(false);
    expect(loadConfig({}, { ...openai, TRIAGE_ASSESS_MODEL: "big" }).llm.assessModel).toBe("big");
  });
});
