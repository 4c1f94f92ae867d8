// A page's WebSocket: it must come from a page of this server (Origin), then prove who it is with a
// token in its first message (never in the URL, which servers log); what it is sent is bounded.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { ServeContext, Who } from '../context.js';

export type Socket = WebSocket;
// Sends a message to one page; `close` ends its socket (a student removed from the class).
export type Send = ((msg: object) => void) & { close?: () => void };
export type Handler = ((msg: Record<string, unknown>) => void) & { close?: () => void };

const AUTH_MS = 5_000;
const SEND_BUFFER_MAX = 4 * 1024 * 1024; // a page that stops reading is dropped past this
export const CLOSE = { forbidden: 4403, unauthorized: 4401, bad: 4400, slow: 4408 };
// How often a page's socket is pinged (browsers answer by themselves); one that has not answered by the
// next ping is dropped, so a page whose network went away without a word shows offline on the board and
// stops being sent to. A setting, not a constant, for tests.
export const heartbeat = { ms: 20_000 };

// Before the upgrade: a socket from another site's page (its Origin not this server) is refused outright.
export function originCheck(ctx: ServeContext) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!ctx.originAllowed(req.headers.origin, req.headers.host))
      await reply.code(403).send({ error: 'this socket is for pages of this server' });
  };
}

// Waits for {t:'auth', token}; then `start` gives the message handler (undefined: not allowed here).
export function acceptSocket(
  socket: Socket,
  req: FastifyRequest,
  ctx: ServeContext,
  start: (who: Who, send: Send) => Handler | undefined,
): void {
  if (!ctx.originAllowed(req.headers.origin, req.headers.host)) {
    socket.close(CLOSE.forbidden, 'origin');
    return;
  }
  let handler: Handler | undefined;
  const send: Send = (msg: object): void => {
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > SEND_BUFFER_MAX) {
      socket.close(CLOSE.slow, 'too slow');
      return;
    }
    socket.send(JSON.stringify(msg));
  };
  send.close = () => socket.close(CLOSE.forbidden, 'removed');
  const timer = setTimeout(() => socket.close(CLOSE.unauthorized, 'no token'), AUTH_MS);
  let answered = true;
  socket.on('pong', () => (answered = true));
  const beat = setInterval(() => {
    if (!answered) return socket.terminate();
    answered = false;
    socket.ping();
  }, heartbeat.ms);
  socket.on('message', (raw: Buffer, isBinary: boolean) => {
    let msg: Record<string, unknown>;
    try {
      if (isBinary) throw new Error('binary');
      const v: unknown = JSON.parse(raw.toString('utf8'));
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
      msg = v as Record<string, unknown>;
    } catch {
      socket.close(CLOSE.bad, 'bad message');
      return;
    }
    if (handler) {
      // The page's own heartbeat: it cannot see the pings above, so it asks, and counts the silence.
      if (msg.t === 'ping') return send({ t: 'pong' });
      try {
        handler(msg);
      } catch (err) {
        send({ t: 'error', message: (err as Error).message });
      }
      return;
    }
    clearTimeout(timer);
    const who = msg.t === 'auth' && typeof msg.token === 'string' ? ctx.who(msg.token) : undefined;
    if (!who) {
      socket.close(CLOSE.unauthorized, 'bad token');
      return;
    }
    handler = start(who, send);
    if (!handler) socket.close(CLOSE.forbidden, 'not yours');
    else send({ t: 'beat', ms: heartbeat.ms });
  });
  socket.on('close', () => {
    clearTimeout(timer);
    clearInterval(beat);
    handler?.close?.();
  });
  socket.on('error', () => undefined);
}

// Field readers for messages: a wrong type is an error the page is told.
export function str(msg: Record<string, unknown>, key: string, max = 200): string {
  const v = msg[key];
  if (typeof v !== 'string' || v.length > max)
    throw new Error(`"${key}" must be a string of at most ${max} characters`);
  return v;
}

export function int(msg: Record<string, unknown>, key: string, lo: number, hi: number): number {
  const v = msg[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi)
    throw new Error(`"${key}" must be a whole number from ${lo} to ${hi}`);
  return v;
}
