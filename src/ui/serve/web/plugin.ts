// The browser half of `lab serve`: the student's page, the teacher's board and projector, and their
// WebSockets (terminals, live checks, packets, the board's updates); the board's export is the API's. The server
// registers it with `registerWeb(app, backend)`; everything the pages load comes from here.
import { randomBytes } from 'node:crypto';
import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServeContext } from '../context.js';
import { loadAssets } from './assets.js';
import { Person } from './person.js';
import { acceptSocket, originCheck, type Socket } from './sockets.js';
import { onBoardMessage, BoardFeed } from './board-socket.js';
import { onLabMessage } from './lab-socket.js';

// No script but the server's own files, nothing loaded from elsewhere, no framing, no inline style: a
// page's own <style> elements (xterm.js makes some) carry the nonce of that response, which only the
// page's scripts read (client/csp.ts).
export function cspFor(nonce?: string): string {
  const style = nonce ? `style-src 'self' 'nonce-${nonce}'` : "style-src 'self'";
  return (
    `default-src 'none'; script-src 'self'; ${style}; img-src 'self' data: blob:; ` +
    "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
  );
}
export const CSP = cspFor();

export interface WebState {
  ctx: ServeContext;
  people: Map<string, Person>;
  board: BoardFeed;
}

// Registers the pages, their assets and sockets on the server's app.
export async function registerWeb(app: FastifyInstance, ctx: ServeContext): Promise<void> {
  await registerWebState(app, ctx);
}

// The same, giving its state (tests look at it).
export async function registerWebState(app: FastifyInstance, ctx: ServeContext): Promise<WebState> {
  const assets = loadAssets();
  const people = new Map<string, Person>();
  const board = new BoardFeed(ctx, people);
  const state: WebState = { ctx, people, board };
  const unlisten = ctx.onChange(() => board.changed());
  await app.register(async (web) => {
    if (!web.hasDecorator('websocketServer')) await web.register(websocket, { options: { maxPayload: 64 * 1024 } });
    const nonces = new WeakMap<FastifyReply, string>();
    web.addHook('onSend', async (_req, reply, payload) => {
      reply.header('content-security-policy', cspFor(nonces.get(reply)));
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
      reply.header('x-frame-options', 'DENY');
      return payload;
    });
    const page = (name: string) => async (_req: FastifyRequest, reply: FastifyReply) => {
      const a = assets.get(name);
      if (!a) return reply.code(500).send('the page was not built: run npm run build');
      const nonce = randomBytes(16).toString('base64');
      nonces.set(reply, nonce);
      return reply
        .type(a.type)
        .header('cache-control', 'no-store')
        .send(a.body.toString('utf8').replaceAll('{{nonce}}', nonce));
    };
    web.get('/', page('student.html'));
    web.get('/teacher', page('teacher.html'));
    web.get('/projector', page('projector.html'));
    web.get('/favicon.ico', async (_req, reply) => reply.code(204).send());
    web.get<{ Params: { name: string } }>('/assets/:name', async (req, reply) => {
      const a = assets.get(req.params.name);
      if (!a || a.type.startsWith('text/html')) return reply.code(404).send({ error: 'not found' });
      return reply.type(a.type).header('cache-control', 'no-cache').send(a.body);
    });
    web.get('/ws/lab', { websocket: true, preValidation: originCheck(ctx) }, (socket: Socket, req) =>
      acceptSocket(socket, req, ctx, (who, send) => {
        const id = who.kind === 'teacher' ? 'teacher' : who.id;
        let person = people.get(id);
        if (!person) {
          person = new Person(id, ctx, () => board.changed());
          people.set(id, person);
        }
        return onLabMessage(state, person, send);
      }),
    );
    web.get('/ws/board', { websocket: true, preValidation: originCheck(ctx) }, (socket: Socket, req) =>
      acceptSocket(socket, req, ctx, (who, send) => {
        if (who.kind !== 'teacher') return undefined;
        return onBoardMessage(state, send);
      }),
    );
  });
  app.addHook('preClose', async () => {
    unlisten();
    board.stop();
    for (const p of people.values()) {
      await p.checker.stop();
      p.terminals?.closeAll();
    }
  });
  return state;
}
