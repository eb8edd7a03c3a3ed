/**
 * The base of every fake vendor server: node:http on 127.0.0.1, port 0, a route table, and a record of every
 * request (method, path, query, headers, raw body) so tests assert what was sent as well as what came back.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isToolError, type ToolError } from "../../core/errors.ts";

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: string;
  /** Path parameters captured by the route (`:name`). */
  params: Record<string, string>;
}

export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as is. */
  body?: unknown;
}

export type FakeHandler = (request: FakeRequest) => FakeReply | Promise<FakeReply>;

export interface FakeRoute {
  method: string;
  /** `/api/machines/:id` style; `*` at the end matches the rest. */
  path: string;
  handler: FakeHandler;
}

export interface FakeServer {
  url: string;
  requests: FakeRequest[];
  /** Answer the next N requests matching the predicate with this reply instead (throttling, outages, echoes). */
  inject(
    reply: FakeReply | FakeHandler,
    options?: { times?: number; when?: (request: FakeRequest) => boolean },
  ): void;
  close(): Promise<void>;
}

/** JSON body of a recorded request; {} when empty or not JSON. */
export function jsonOf(request: FakeRequest): unknown {
  try {
    return request.body ? (JSON.parse(request.body) as unknown) : {};
  } catch {
    return {};
  }
}

/** Form fields of a recorded request. */
export function formOf(request: FakeRequest): URLSearchParams {
  return new URLSearchParams(request.body);
}

function matchRoute(route: FakeRoute, method: string, path: string): Record<string, string> | null {
  if (route.method !== method && route.method !== "*") return null;
  const want = route.path.split("/");
  const got = path.split("/");
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] ?? "";
    if (w === "*") return params;
    const g = got[i];
    if (g === undefined) return null;
    if (w.startsWith(":")) params[w.slice(1)] = decodeURIComponent(g);
    else if (w !== g) return null;
  }
  return got.length === want.length ? params : null;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function send(response: ServerResponse, reply: FakeReply): void {
  const isText = typeof reply.body === "string";
  const body = reply.body === undefined ? "" : isText ? String(reply.body) : JSON.stringify(reply.body);
  response.writeHead(reply.status ?? 200, {
    ...(reply.body === undefined ? {} : { "content-type": isText ? "text/plain" : "application/json" }),
    ...reply.headers,
  });
  response.end(body);
}

/** Starts a fake server; unmatched requests get 404 with a JSON error so adapters see a vendor-like miss. */
export async function startFakeServer(routes: FakeRoute[]): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  const injected: Array<{
    reply: FakeReply | FakeHandler;
    times: number;
    when: (request: FakeRequest) => boolean;
  }> = [];
  const server = createServer((incoming, response) => {
    void (async () => {
      const url = new URL(incoming.url ?? "/", "http://127.0.0.1");
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(incoming.headers)) {
        if (typeof value === "string") headers[key] = value;
        else if (Array.isArray(value)) headers[key] = value.join(", ");
      }
      const request: FakeRequest = {
        method: incoming.method ?? "GET",
        path: url.pathname,
        query: url.searchParams,
        headers,
        body: await readBody(incoming),
        params: {},
      };
      requests.push(request);
      const override = injected.find((i) => i.times > 0 && i.when(request));
      if (override) {
        override.times--;
        const { reply } = override;
        return send(response, typeof reply === "function" ? await reply(request) : reply);
      }
      for (const route of routes) {
        const params = matchRoute(route, request.method, request.path);
        if (!params) continue;
        request.params = params;
        return send(response, await route.handler(request));
      }
      send(response, {
        status: 404,
        body: { error: { code: "NotFound", message: `no route ${request.method} ${request.path}` } },
      });
    })().catch((error: unknown) => {
      send(response, { status: 500, body: { error: { message: String(error) } } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    inject(reply, options = {}) {
      injected.push({ reply, times: options.times ?? 1, when: options.when ?? (() => true) });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A misbehaving vendor or proxy that echoes the request (headers, query, form body) in an error body, in
 * every shape adapters read error text from, so a test can prove no credential survives into a message.
 */
export function echoRequest(status: number): FakeHandler {
  return (request) => {
    const headers = Object.entries(request.headers)
      .map(([name, value]) => `${name}: ${value}`)
      .join("; ");
    const said = `request rejected; you sent ${request.method} ${request.path}?${request.query.toString()} with ${headers} and body ${request.body}`;
    return {
      status,
      body: {
        error: { code: "Echo", message: said, headers: request.headers },
        error_description: said,
        message: said,
        messages: [{ type: "ERROR", text: said }],
        errors: [{ code: 400, message: said, detail: said }],
        query: Object.fromEntries(request.query),
        body: request.body,
      },
    };
  };
}

/** A sleep for HTTP clients under test: records the waits and returns at once. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

/** The ToolError a promise rejects with; fails the test if it resolves or rejects with anything else. */
export function toolErrorOf(promise: Promise<unknown>): Promise<ToolError> {
  return promise.then(
    () => {
      throw new Error("expected a failure");
    },
    (error: unknown) => {
      if (!isToolError(error)) throw error;
      return error;
    },
  );
}
