/**
 * Builds a ready-to-run triage runtime from the configuration: policy, lab tools, case memory, reasoner,
 * graph and checkpointer. Opening order matters: everything that can be rejected (the policy file, the lab
 * database) is checked before the case database is touched, so bad input writes nothing.
 */
import { SqlCaseMemory } from "../memory/case-store.ts";
import { openCaseDatabaseDriver, type CaseDatabaseDriver } from "../memory/sql/open.ts";
import { BatchClaims } from "../memory/batch-claims.ts";
import { createLabToolset, openLab } from "../tools/lab/index.ts";
import type { TriageConfig } from "./config.ts";
import type { TriageDeps } from "./deps.ts";
import { buildTriageGraph } from "./graph.ts";
import { killAfterCheckpoints, testHooksFrom } from "./test-hooks.ts";
import { openCheckpointSaver } from "../memory/checkpoint-saver.ts";
import { loadPolicy } from "./policy/loader.ts";
import { createOfflineReasoner } from "./reasoners/offline/index.ts";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { Reasoner } from "./reasoners/types.ts";
import type { TriageRuntime } from "./run-triage.ts";
import type { Toolset, IntelCacheStore } from "../core/ports.ts";
import { createToolset, namedVendors, type ComposedToolset } from "../tools/registry.ts";
import type { VendorModule, VendorContext } from "../tools/vendors/types.ts";
import { loadVendorModules, vendorNames } from "../tools/vendors/index.ts";
import { SqlIntelCache } from "../memory/intel-cache.ts";
import { CampaignStore } from "../memory/campaigns.ts";

export interface OpenedRuntime {
  runtime: TriageRuntime;
  memory: SqlCaseMemory;
  /** Batch claims: one worker per alert in a batch, on the case database. */
  claims: BatchClaims;
  /** Reports grouped into campaigns (agent/campaigns/triage-report.ts). */
  campaigns: CampaignStore;
  /**
   * Closes the tools and the case database, once the audit head file and stream have every committed row.
   * Await it before removing the database's directory.
   */
  close: () => Promise<void>;
}

export interface RuntimeOptions {
  /** Keep LangGraph checkpoints in the case database so paused cases resume from any process (default). */
  checkpointer?: boolean;
  reasoner?: Reasoner;
  now?: () => Date;
  /** Wraps the configured tools, e.g. to serve a reported message from a file. */
  wrapTools?: (tools: Toolset) => Toolset;
  /** Vendor integrations to choose from (tests pass their own); default: every shipped vendor. */
  modules?: readonly VendorModule[];
  /** HTTP settings for every vendor client (tests and benchmarks). */
  http?: VendorContext["http"];
}

/** The intel cache lives in case memory, which opens after the tools; lookups only happen later. */
function deferredIntelCache(): IntelCacheStore & { bind(store: IntelCacheStore): void } {
  let bound: IntelCacheStore | null = null;
  return {
    bind: (store) => void (bound = store),
    get: async (...args) => (bound ? bound.get(...args) : null),
    put: async (...args) => bound?.put(...args),
  };
}

/**
 * The configured tools: each port from the lab or a vendor. The lab database is opened only when a port
 * uses it. Throws TriageError BAD_INPUT for a configuration mistake, before anything is written.
 */
export async function composeTools(
  config: TriageConfig,
  options: {
    now: () => Date;
    intelCache?: IntelCacheStore;
    modules?: readonly VendorModule[];
    http?: VendorContext["http"];
  },
): Promise<ComposedToolset> {
  const modules = options.modules ?? (await loadVendorModules(namedVendors(config.integrations)));
  return createToolset(config.integrations, {
    lab: () => {
      const lab = openLab(config.labDatabasePath, { seed: config.labSeed });
      const { actionDelayMs } = testHooksFrom(config.env);
      return {
        ...createLabToolset(lab, {
          now: options.now,
          ...(actionDelayMs === undefined ? {} : { actionDelayMs }),
        }),
        close: () => lab.close(),
      };
    },
    modules,
    knownVendors: vendorNames,
    context: {
      env: config.env,
      now: options.now,
      // The budget's retries are the HTTP client's: one layer retries, so a call is tried toolRetries + 1 times at most.
      http: { ...options.http, retry: { retries: config.budget.toolRetries, ...options.http?.retry } },
    },
    ...(options.intelCache ? { intelCache: options.intelCache } : {}),
  });
}

/** The configured reasoner: the offline engine, or a model with the offline engine as its fallback. */
export async function reasonerFor(config: TriageConfig): Promise<Reasoner> {
  const offline = createOfflineReasoner();
  if (config.llm.provider === "offline") return offline;
  // The model clients cost ~0.2 s of start-up, so they load only when a model is configured.
  const [{ createLlmReasoner }, chat] = await Promise.all([
    import("./reasoners/llm/index.ts"),
    chatModels(config.llm),
  ]);
  return createLlmReasoner({
    planner: chat(config.llm.model),
    ...(config.llm.assessModel ? { assessor: chat(config.llm.assessModel) } : {}),
    fallback: offline,
    redact: config.llm.redact,
    stream: config.llm.stream,
    name: `${config.llm.provider}:${config.llm.model}`,
  });
}

async function chatModels(llm: TriageConfig["llm"]): Promise<(model: string) => BaseChatModel> {
  if (llm.provider === "ollama") {
    const { ChatOllama } = await import("@langchain/ollama");
    return (model) => new ChatOllama({ model, baseUrl: llm.baseURL ?? "http://127.0.0.1:11434" });
  }
  const { ChatOpenAI } = await import("@langchain/openai");
  return (model) =>
    new ChatOpenAI({
      model,
      apiKey: llm.apiKey ?? "",
      // The OpenAI client retries 429 and 5xx with backoff and honours Retry-After.
      maxRetries: 2,
      timeout: 60_000,
      ...(llm.baseURL ? { configuration: { baseURL: llm.baseURL } } : {}),
    });
}

export async function openRuntime(
  config: TriageConfig,
  options: RuntimeOptions = {},
): Promise<OpenedRuntime> {
  const policy = loadPolicy(config.policyPath);
  const now = options.now ?? (() => new Date());
  const intelCache = deferredIntelCache();
  const composed = await composeTools(config, {
    now,
    intelCache,
    ...(options.modules ? { modules: options.modules } : {}),
    ...(options.http ? { http: options.http } : {}),
  });
  let driver: CaseDatabaseDriver;
  try {
    driver = await openCaseDatabaseDriver(config.databasePath);
  } catch (error) {
    composed.tools.close?.();
    throw error;
  }
  // One driver: case memory, the saver, the intel cache and pruning share its transactions.
  intelCache.bind(new SqlIntelCache(driver));
  const memory = new SqlCaseMemory(driver, { now, audit: config.audit });
  const checkpointer = options.checkpointer ?? true;
  const deps: TriageDeps = {
    tools: (options.wrapTools ?? ((t: Toolset) => t))(composed.tools),
    reasoner: options.reasoner ?? (await reasonerFor(config)),
    memory,
    policy,
    organization: config.organization,
    budget: config.budget,
    now,
    interactiveApprovals: checkpointer,
  };
  // The saver shares the case database's connection: one file holds cases, audit log and checkpoints.
  // The kill hook is for the reliability suite, over the lab only: never with a real responder.
  const hooks = composed.usesLab && deps.tools.actions.vendor === "lab" ? testHooksFrom(config.env) : {};
  const saver = checkpointer ? await openCheckpointSaver(driver, killAfterCheckpoints(hooks)) : null;
  const graph = buildTriageGraph(
    deps,
    saver
      ? {
          checkpointer: saver,
          // The kill trials die right after a node boundary's checkpoint: there must be some to die at.
          ...(hooks.killAfterCheckpoints === undefined ? {} : { durability: "sync" as const }),
        }
      : {},
  );
  return {
    runtime: { deps, graph, leaseMs: config.leaseMs },
    memory,
    claims: new BatchClaims(driver, { now, leaseMs: config.leaseMs }),
    campaigns: new CampaignStore(driver, { auditor: memory.auditor(), now }),
    close: async () => {
      composed.tools.close?.();
      // After the audit head file has the last rows (the head interval holds some back).
      await memory
        .settled()
        .then(() => driver.close())
        .catch(() => undefined);
    },
  };
}
