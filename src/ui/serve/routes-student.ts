// A student's own lab: start it, run or check a step, run a command in a node, predict, stop.
// Every route reaches only the caller's sandbox: the student is the token's, never a parameter.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { LabRunnerError } from '../../errors.js';
import { execBody, labParams, predictBody, stepParams } from './api-schemas.js';
import { fail, studentOf } from './app.js';
import type { Classroom } from './classroom.js';

type LabP = { lab: string };
type StepP = { lab: string; step: string };

const RETRY_AFTER_S = 30; // a sandbox comes free when a student stops, is reclaimed idle, or another run ends

export function studentRoutes(app: FastifyInstance, classroom: Classroom): void {
  void app.register(async (scope) => {
    // No sandbox free on the machine: 503 with why and when to try again; any other error is the app's.
    scope.setErrorHandler((err, _req, reply) => {
      if (!(err instanceof LabRunnerError && err.code === 'MACHINE_FULL')) throw err;
      return reply.code(503).header('retry-after', String(RETRY_AFTER_S)).send({ error: err.message, hint: err.hint });
    });
    routes(scope, classroom);
  });
}

function routes(app: FastifyInstance, classroom: Classroom): void {
  const config = { access: 'student' as const };

  // 404 unless the lab is served here (and the step is one of its own).
  const unknown = (reply: FastifyReply, p: { lab: string; step?: string }): FastifyReply | undefined => {
    if (!classroom.hasLab(p.lab)) return fail(reply, 404, `no lab ${p.lab} in this class`);
    return undefined;
  };

  app.get('/api/me', { config }, async (req) => classroom.student(studentOf(req).id));

  app.post('/api/labs/:lab/start', { config, schema: { params: labParams } }, async (req, reply) => {
    const p = req.params as LabP;
    if (unknown(reply, p)) return reply;
    const me = studentOf(req);
    const started = await classroom.use(me.id, p.lab, async (s) => ({
      lab: s.lab,
      nodes: s.nodes,
      steps: s.stepViews(),
    }));
    return { ...started, step: classroom.student(me.id)?.step ?? started.steps[0]?.id ?? null };
  });

  // The step the student looks at (kept: a reload or a restarted server comes back to it); no sandbox is built.
  app.post('/api/labs/:lab/steps/:step/view', { config, schema: { params: stepParams } }, async (req, reply) => {
    const p = req.params as StepP;
    if (unknown(reply, p)) return reply;
    if (!classroom.hasStep(p.lab, p.step)) return fail(reply, 404, `lab ${p.lab} has no step ${p.step}`);
    classroom.view(studentOf(req).id, p.lab, p.step);
    return { lab: p.lab, step: p.step };
  });

  // Runs fn on a step that exists in the student's sandbox of the lab, else 404.
  const onStep = <T>(
    id: string,
    p: StepP,
    reply: FastifyReply,
    fn: (s: import('./student-session.js').StudentSession) => Promise<T>,
  ): Promise<T | FastifyReply> =>
    classroom.use(
      id,
      p.lab,
      async (s) => (s.hasStep(p.step) ? fn(s) : fail(reply, 404, `lab ${p.lab} has no step ${p.step}`)),
      p.step,
    );

  app.post('/api/labs/:lab/steps/:step/run', { config, schema: { params: stepParams } }, async (req, reply) => {
    const p = req.params as StepP;
    if (unknown(reply, p)) return reply;
    if (!classroom.hasStep(p.lab, p.step)) return fail(reply, 404, `lab ${p.lab} has no step ${p.step}`);
    return classroom.runStep(studentOf(req).id, p.lab, p.step);
  });

  app.post('/api/labs/:lab/steps/:step/check', { config, schema: { params: stepParams } }, async (req, reply) => {
    const p = req.params as StepP;
    if (unknown(reply, p)) return reply;
    const me = studentOf(req);
    const known = await onStep(me.id, p, reply, async () => true);
    if (known !== true) return reply;
    return classroom.check(me.id, p.lab, p.step);
  });

  app.post('/api/labs/:lab/steps/:step/trace', { config, schema: { params: stepParams } }, async (req, reply) => {
    const p = req.params as StepP;
    if (unknown(reply, p)) return reply;
    return onStep(studentOf(req).id, p, reply, (s) => s.trace(p.step));
  });

  app.post(
    '/api/labs/:lab/steps/:step/prediction',
    { config, schema: { params: stepParams, body: predictBody } },
    async (req, reply) => {
      const p = req.params as StepP;
      if (unknown(reply, p)) return reply;
      const me = studentOf(req);
      const { choice } = req.body as { choice: number };
      const answer = await onStep(me.id, p, reply, async (s) => s.answer(p.step) ?? null);
      if (answer !== null && typeof answer !== 'number') return reply;
      if (answer === null) return fail(reply, 404, `step ${p.step} asks no prediction`);
      classroom.predict(me.id, p.lab, p.step, choice, choice === answer);
      return { right: choice === answer, answer };
    },
  );

  app.post('/api/labs/:lab/exec', { config, schema: { params: labParams, body: execBody } }, async (req, reply) => {
    const p = req.params as LabP;
    if (unknown(reply, p)) return reply;
    const { node, argv } = req.body as { node: string; argv: string[] };
    return classroom.use(studentOf(req).id, p.lab, async (s) =>
      s.nodes.includes(node)
        ? s.exec(node, argv)
        : fail(reply, 400, `no node ${node}: the nodes are ${s.nodes.join(', ')}`),
    );
  });

  app.post('/api/labs/:lab/stop', { config, schema: { params: labParams } }, async (req, reply) => {
    const p = req.params as LabP;
    if (unknown(reply, p)) return reply;
    const me = studentOf(req);
    if (classroom.spawner.current(me.id)?.lab === p.lab) await classroom.spawner.drop(me.id, true);
    return { stopped: true };
  });
}
