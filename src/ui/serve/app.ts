// The HTTP API (fastify): join with the class code, a student's own lab, the teacher's view of the
// class. Every route says who may call it; a missing or unknown token is 401, the wrong person 403.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Classroom } from './classroom.js';
import type { Who } from './context.js';
import { BODY_LIMIT, joinBody } from './api-schemas.js';
import { JoinLimit } from './join-limit.js';
import { securityHeaders } from './security.js';
import { bearer } from './tokens.js';
import { studentRoutes } from './routes-student.js';
import { teacherRoutes } from './routes-teacher.js';

export type Access = 'none' | 'student' | 'teacher' | 'any';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    who?: Who;
  }
}

export interface AppOptions {
  classroom: Classroom;
  tls?: { cert: Buffer; key: Buffer };
  wrongCodesPerMinute?: number;
}

// The student a request is from (the route's access rule already said it is one).
export function studentOf(req: FastifyRequest): { id: string; name: string } {
  const w = req.who;
  if (w?.kind !== 'student') throw new Error('a student route reached without a student');
  return w;
}

// Replies with a status and a one-line reason.
export function fail(reply: FastifyReply, status: number, error: string): FastifyReply {
  return reply.code(status).send({ error });
}

// The app with every API route; the web front end registers its pages and sockets on it after.
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false, // nothing logs a request: no address, token or name ends up in a file
    bodyLimit: BODY_LIMIT,
    ...(opts.tls ? { https: opts.tls } : {}),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    return503OnClosing: true,
  }) as unknown as FastifyInstance;
  securityHeaders(app, Boolean(opts.tls));
  const { classroom } = opts;

  // Who is calling, before the body is even read.
  app.addHook('onRequest', async (req, reply) => {
    const access = req.routeOptions.config?.access ?? 'none';
    if (access === 'none') return;
    const who = classroom.who(bearer(req.headers.authorization));
    if (!who) return fail(reply, 401, 'a valid token is needed: Authorization: Bearer <token>');
    if (access !== 'any' && who.kind !== access) return fail(reply, 403, `this route is for the ${access}`);
    req.who = who;
    if (who.kind === 'student') classroom.store.touch(who.id);
  });

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, _req, reply) => {
    if (err.validation) return fail(reply, 400, err.message);
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    return fail(reply, status, status === 500 ? `the server failed: ${err.message.split('\n')[0]}` : err.message);
  });

  app.setNotFoundHandler((_req, reply) => fail(reply, 404, 'no such route'));

  const limit = new JoinLimit(opts.wrongCodesPerMinute ?? 10);
  app.post('/api/join', { schema: { body: joinBody }, config: { access: 'none' } }, async (req, reply) => {
    if (limit.blocked(req.ip)) return fail(reply, 429, 'too many wrong codes from this address: wait a minute');
    const { code, name } = req.body as { code: string; name: string };
    const r = classroom.join(code, name.trim() || name);
    if (!r.ok && r.why === 'code') limit.missed(req.ip);
    if (!r.ok) return r.why === 'code' ? fail(reply, 403, 'wrong class code') : fail(reply, 503, 'the class is full');
    return reply.code(201).send({ student: { id: r.student.id, name: r.student.name }, token: r.token });
  });

  app.get('/api/labs', { config: { access: 'any' } }, async () => ({ labs: classroom.labs() }));

  studentRoutes(app, classroom);
  teacherRoutes(app, classroom);
  return app;
}
