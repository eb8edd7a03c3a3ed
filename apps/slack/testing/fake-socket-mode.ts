/**
 * A fake Slack Socket Mode endpoint on 127.0.0.1: a minimal WebSocket server (RFC 6455 handshake, text,
 * ping and close frames; no extensions) written on node:http so tests need no extra package. It greets a
 * client with `hello` as Slack does, delivers envelopes (`slash_commands`, `interactive`) and resolves with
 * the client's acknowledgement `{envelope_id, payload?}`.
 * https://api.slack.com/apis/socket-mode
 */
import { createHash, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { Duplex } from "node:stream";
import { z } from "zod";

const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const ackSchema = z.object({ envelope_id: z.string(), payload: z.unknown().optional() });
export type SocketAck = z.infer<typeof ackSchema>;

export interface FakeSocketMode {
  url: string;
  /** Resolves once a client has connected and been greeted. */
  connected: () => Promise<void>;
  /** Sends an envelope to the connected client; resolves with its acknowledgement. */
  deliver: (type: "slash_commands" | "interactive", payload: Record<string, unknown>) => Promise<SocketAck>;
  close: () => Promise<void>;
}

function frame(opcode: number, payload: Buffer): Buffer {
  let head: Buffer;
  if (payload.length < 126) head = Buffer.from([0x80 | opcode, payload.length]);
  else if (payload.length < 65536) {
    head = Buffer.from([0x80 | opcode, 126, 0, 0]);
    head.writeUInt16BE(payload.length, 2);
  } else {
    head = Buffer.alloc(10);
    head.writeUInt8(0x80 | opcode, 0);
    head.writeUInt8(127, 1);
    head.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  return Buffer.concat([head, payload]);
}

/** Splits client frames (always masked) off the front of `buffer`; returns complete ones and the rest. */
function readFrames(buffer: Buffer): { frames: Array<{ opcode: number; payload: Buffer }>; rest: Buffer } {
  const frames: Array<{ opcode: number; payload: Buffer }> = [];
  let offset = 0;
  for (;;) {
    if (buffer.length - offset < 2) break;
    const opcode = (buffer[offset] ?? 0) & 0x0f;
    let length = (buffer[offset + 1] ?? 0) & 0x7f;
    let at = offset + 2;
    if (length === 126) {
      if (buffer.length < at + 2) break;
      length = buffer.readUInt16BE(at);
      at += 2;
    } else if (length === 127) {
      if (buffer.length < at + 8) break;
      length = Number(buffer.readBigUInt64BE(at));
      at += 8;
    }
    if (buffer.length < at + 4 + length) break;
    const mask = buffer.subarray(at, at + 4);
    const payload = Buffer.from(buffer.subarray(at + 4, at + 4 + length));
    for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (mask[i % 4] ?? 0);
    frames.push({ opcode, payload });
    offset = at + 4 + length;
  }
  return { frames, rest: buffer.subarray(offset) };
}

export async function startFakeSocketMode(): Promise<FakeSocketMode> {
  const sockets = new Set<Duplex>();
  const pending = new Map<string, (ack: SocketAck) => void>();
  let current: Duplex | null = null;
  let greeted: () => void = () => undefined;
  const greeting = new Promise<void>((resolve) => (greeted = resolve));
  const send = (socket: Duplex, value: unknown) =>
    socket.write(frame(0x1, Buffer.from(JSON.stringify(value))));

  const server: Server = createServer((_request, response) => response.writeHead(426).end());
  server.on("upgrade", (request, socket) => {
    const key = request.headers["sec-websocket-key"];
    if (typeof key !== "string") {
      socket.destroy();
      return;
    }
    const accept = createHash("sha1").update(`${key}${WS_GUID}`).digest("base64");
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    sockets.add(socket);
    current = socket;
    let buffered: Buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      const { frames, rest } = readFrames(Buffer.concat([buffered, chunk]));
      buffered = rest;
      for (const { opcode, payload } of frames) {
        if (opcode === 0x9) socket.write(frame(0xa, payload));
        else if (opcode === 0x8) socket.end(frame(0x8, Buffer.alloc(0)));
        else if (opcode === 0x1) {
          const ack = ackSchema.safeParse(JSON.parse(payload.toString("utf8")));
          if (ack.success) pending.get(ack.data.envelope_id)?.(ack.data);
        }
      }
    });
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => sockets.delete(socket));
    send(socket, { type: "hello", num_connections: 1, connection_info: { app_id: "A0APP" } });
    greeted();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("fake Socket Mode has no TCP address");
  return {
    url: `ws://127.0.0.1:${address.port}/link/?ticket=fake`,
    connected: () => greeting,
    deliver: (type, payload) => {
      const socket = current;
      if (!socket) return Promise.reject(new Error("no Socket Mode client is connected"));
      const envelopeId = randomUUID();
      const acked = new Promise<SocketAck>((resolve) => pending.set(envelopeId, resolve));
      send(socket, {
        envelope_id: envelopeId,
        type,
        payload,
        accepts_response_payload: type === "slash_commands",
      });
      return acked;
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
