/**
 * A fake Splunk management port: token and session-key auth (401 `call not properly authenticated`),
 * /services/auth/login, authentication/current-context, search jobs (normal: 201 + sid, RUNNING for a few
 * status polls, 204 from /results until DONE, results paged with count/offset under a small server cap;
 * oneshot; control), the NDJSON export stream, `{"messages":[…]}` errors, 400 FATAL for SPL it cannot
 * run, and knobs for doctor tests (refuse auth, no search capability). Throttling comes from `inject`.
 * Seeded with the contract fixture, translated by ./seed.ts.
 */
import {
  formOf,
  startFakeServer,
  type FakeReply,
  type FakeRequest,
  type FakeRoute,
  type FakeServer,
} from "../../../testing/fake-http.ts";
import { runSpl, SplError, type FakeRow } from "./fake-spl.ts";
import { fixtureEvents, fixtureNotables } from "./seed.ts";

export interface FakeSplunkOptions {
  /** The token Bearer auth accepts. */
  token?: string;
  /** The account /services/auth/login accepts. */
  account?: { username: string; password: string };
  events?: FakeRow[];
  notables?: FakeRow[];
  /** Most rows one /results (or oneshot) answer holds, whatever `count` asks for. */
  pageCap?: number;
  /** Status polls answering RUNNING before a job is DONE. */
  pollsBeforeDone?: number;
  /** Jobs never finish (for poll timeouts). */
  neverFinish?: boolean;
  /** Jobs end FAILED with this message. */
  failJobs?: string;
  /** The export stream sends `lastrow` as a row of its own, after preview rows. */
  exportSentinel?: boolean;
  refuseAuth?: boolean;
  /** The role lacks the `search` capability. */
  forbidSearch?: boolean;
}

export interface FakeSplunk extends FakeServer {
  token: string;
  /** Every search dispatched (jobs, oneshots, exports), with its form. */
  searches: URLSearchParams[];
  /** Forget issued session keys, as a restart or session timeout does. */
  expireSessions(): void;
}

interface Job {
  rows: FakeRow[];
  pollsLeft: number;
  state: "RUNNING" | "DONE" | "FAILED";
  cancelled: boolean;
}

const messages = (type: string, text: string) => ({ messages: [{ type, text }] });
const isoTime = (epoch: number) => new Date(epoch * 1000).toISOString().replace("Z", "+00:00");
const out = (row: FakeRow) => ({ _time: isoTime(row.time), ...row.fields });

export async function startFakeSplunk(options: FakeSplunkOptions = {}): Promise<FakeSplunk> {
  const token = options.token ?? "splunk-test-token";
  const account = options.account ?? { username: "triage", password: "s3cret" };
  const rows = [...(options.events ?? fixtureEvents()), ...(options.notables ?? fixtureNotables())];
  const pageCap = options.pageCap ?? 2;
  const sessions = new Set<string>();
  const jobs = new Map<string, Job>();
  const searches: URLSearchParams[] = [];
  let serial = 0;

  const authorized = (request: FakeRequest) => {
    if (options.refuseAuth) return false;
    const header = request.headers.authorization ?? "";
    return header === `Bearer ${token}` || (header.startsWith("Splunk ") && sessions.has(header.slice(7)));
  };
  const unauthorized: FakeReply = { status: 401, body: messages("WARN", "call not properly authenticated") };
  const forbidden: FakeReply = {
    status: 403,
    body: messages(
      "ERROR",
      `You (user=${account.username}) do not have permission to perform this operation.`,
    ),
  };
  const guarded =
    (handler: (request: FakeRequest) => FakeReply, search = false) =>
    (request: FakeRequest): FakeReply => {
      if (!authorized(request)) return unauthorized;
      if (search && options.forbidSearch) return forbidden;
      return handler(request);
    };

  /** Runs the search of a form, or the 400 Splunk gives for one it cannot parse. */
  const dispatch = (form: URLSearchParams): FakeRow[] | FakeReply => {
    searches.push(form);
    const search = form.get("search") ?? "";
    if (!/^\s*(search\s|\|)/.test(search))
      return { status: 400, body: messages("FATAL", "Search must start with 'search' or '|'.") };
    // Epoch seconds; anything else (absent, relative times) is all time here.
    const time = (name: string) => {
      const value = Number(form.get(name) ?? "");
      return form.get(name) && Number.isFinite(value) ? value : undefined;
    };
    try {
      return runSpl(search, rows, { earliest: time("earliest_time"), latest: time("latest_time") });
    } catch (error) {
      if (error instanceof SplError) return { status: 400, body: messages("FATAL", error.message) };
      throw error;
    }
  };

  const page = (list: FakeRow[], count: number, offset: number) => {
    const take = Math.min(count === 0 ? pageCap : count, pageCap);
    const results = list.slice(offset, offset + take).map(out);
    const names = [...new Set(results.flatMap((r) => Object.keys(r)))];
    return {
      preview: false,
      init_offset: offset,
      messages: [],
      fields: names.map((name) => ({ name })),
      results,
      highlighted: {},
    };
  };

  const createJob = (request: FakeRequest): FakeReply => {
    const form = formOf(request);
    const result = dispatch(form);
    if (!Array.isArray(result)) return result;
    const mode = form.get("exec_mode") ?? "normal";
    if (mode === "oneshot") return { body: page(result, Number(form.get("count") ?? 100), 0) };
    const sid = `1793700000.${++serial}`;
    jobs.set(sid, {
      rows: result,
      pollsLeft: mode === "blocking" ? 0 : (options.pollsBeforeDone ?? 2),
      state: "RUNNING",
      cancelled: false,
    });
    return { status: 201, body: { sid } };
  };

  const withJob =
    (handler: (job: Job, sid: string, request: FakeRequest) => FakeReply) => (request: FakeRequest) => {
      const sid = request.params.sid ?? "";
      const job = jobs.get(sid);
      return job ? handler(job, sid, request) : { status: 404, body: messages("ERROR", `Unknown sid.`) };
    };

  const status = withJob((job, sid) => {
    if (job.state === "RUNNING" && !options.neverFinish && !job.cancelled) {
      if (job.pollsLeft > 0) job.pollsLeft--;
      else job.state = options.failJobs ? "FAILED" : "DONE";
    }
    const failed = job.state === "FAILED";
    return {
      body: {
        origin: "https://127.0.0.1:8089/services/search/jobs",
        entry: [
          {
            name: sid,
            content: {
              sid,
              dispatchState: job.state,
              isDone: job.state !== "RUNNING",
              isFailed: failed,
              doneProgress: job.state === "RUNNING" ? 0.5 : 1,
              resultCount: job.state === "DONE" ? job.rows.length : 0,
              messages: failed ? [{ type: "FATAL", text: options.failJobs }] : [],
            },
          },
        ],
        paging: { total: 1, perPage: 0, offset: 0 },
      },
    };
  });

  const results = withJob((job, _sid, request) => {
    if (job.state !== "DONE") return { status: 204 };
    return {
      body: page(
        job.rows,
        Number(request.query.get("count") ?? 100),
        Number(request.query.get("offset") ?? 0),
      ),
    };
  });

  const control = withJob((job, _sid, request) => {
    if (formOf(request).get("action") === "cancel") job.cancelled = true;
    return { body: messages("INFO", "Search job cancelled.") };
  });

  const exportStream = (request: FakeRequest): FakeReply => {
    const result = dispatch(formOf(request));
    if (!Array.isArray(result)) return result;
    const lines: unknown[] = [];
    if (options.exportSentinel)
      lines.push({ preview: true, offset: 0, result: { _time: isoTime(0), junk: "preview" } });
    result.forEach((row, offset) => {
      const last = !options.exportSentinel && offset === result.length - 1;
      lines.push({ preview: false, offset, ...(last ? { lastrow: true } : {}), result: out(row) });
    });
    if (options.exportSentinel || result.length === 0) lines.push({ preview: false, lastrow: true });
    return { body: lines.map((line) => JSON.stringify(line)).join("\n") + "\n" };
  };

  const login = (request: FakeRequest): FakeReply => {
    const form = formOf(request);
    if (
      options.refuseAuth ||
      form.get("username") !== account.username ||
      form.get("password") !== account.password
    )
      return { status: 401, body: messages("WARN", "Login failed") };
    const key = `session-${++serial}`;
    sessions.add(key);
    return form.get("output_mode") === "json"
      ? { body: { sessionKey: key } }
      : {
          body: `<response>\n  <sessionKey>${key}</sessionKey>\n</response>`,
          headers: { "content-type": "text/xml" },
        };
  };

  const currentContext = guarded(() => ({
    body: {
      entry: [{ name: "tokens", content: { username: account.username, roles: ["user", "ess_analyst"] } }],
    },
  }));

  const jobRoutes = (prefix: string): FakeRoute[] => [
    { method: "POST", path: `${prefix}/search/jobs/export`, handler: guarded(exportStream, true) },
    { method: "POST", path: `${prefix}/search/jobs`, handler: guarded(createJob, true) },
    { method: "GET", path: `${prefix}/search/jobs/:sid`, handler: guarded(status, true) },
    { method: "GET", path: `${prefix}/search/jobs/:sid/results`, handler: guarded(results, true) },
    { method: "POST", path: `${prefix}/search/jobs/:sid/control`, handler: guarded(control, true) },
  ];

  const server = await startFakeServer([
    { method: "POST", path: "/services/auth/login", handler: login },
    { method: "GET", path: "/services/authentication/current-context", handler: currentContext },
    ...jobRoutes("/services"),
    ...jobRoutes("/servicesNS/:owner/:app"),
  ]);
  return { ...server, token, searches, expireSessions: () => sessions.clear() };
}
