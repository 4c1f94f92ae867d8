// The messages of a lab page (a student's, or the teacher's projector): open a lab, move between steps,
// predict, run, check, trace, and type in the terminals. Only the person's own sandbox is reachable:
// nothing in a message names a person.
import type { Person } from './person.js';
import { predictions, stepViews } from './person.js';
import type { WebState } from './plugin.js';
import { int, str, type Handler, type Send } from './sockets.js';

const INPUT_MAX = 4096; // characters a page may type in one message (the page splits a paste)

export function onLabMessage(state: WebState, person: Person, send: Send): Handler {
  const { ctx } = state;
  const student = person.id !== 'teacher';
  const unwatch = new Map<string, () => void>();
  person.pages.add(send);
  state.board.changed();

  // The work's failure is the page's to show; the socket stays.
  const run = (what: Promise<unknown>): void => {
    what.catch((err: Error) => send({ t: 'error', message: err.message }));
  };

  // The lab as this page shows it, and the step the person is at.
  const tellLab = async (): Promise<void> => {
    const live = person.current();
    if (!live) return;
    const row = student ? ctx.student(person.id) : undefined;
    const progress = (row?.lab === live.lab ? row.steps : []).map((s) => ({
      id: s.id,
      passed: s.passed,
      prediction: s.prediction?.choice ?? null,
    }));
    const chosen = (step: string) => progress.find((p) => p.id === step)?.prediction ?? null;
    send({
      t: 'lab',
      lab: { id: live.lab, title: ctx.labs().find((l) => l.id === live.lab)?.title ?? live.lab },
      steps: await stepViews(live, chosen),
      nodes: live.nodes,
      step: person.step,
      progress,
    });
  };

  const goto = async (step: string): Promise<void> => {
    const live = person.need();
    if (!live.steps.some((s) => s.id === step)) throw new Error(`this lab has no step "${step}"`);
    if (person.step !== step) person.checker.moved();
    person.step = step;
    if (student) ctx.view(person.id, live.lab, step);
    person.touch(true);
    send({ t: 'step', step });
    state.board.changed();
    await person.topology(step);
  };

  const open = async (lab: string): Promise<void> => {
    if (!ctx.labs().some((l) => l.id === lab)) throw new Error(`this class has no lab "${lab}"`);
    send({ t: 'busy', on: true, what: `building your sandbox for ${lab}` });
    try {
      const live = await person.open(lab);
      const stored = student ? ctx.student(person.id) : undefined;
      if (!person.step || !live.steps.some((s) => s.id === person.step))
        person.step = (stored?.lab === lab ? stored.step : null) ?? live.steps[0]?.id;
      await tellLab();
      if (person.step) await goto(person.step);
    } finally {
      send({ t: 'busy', on: false });
    }
  };

  const predict = async (step: string, choice: number): Promise<void> => {
    const live = person.need();
    const p = (await predictions(live.lab)).get(step);
    if (!p || choice >= p.choices.length) throw new Error(`step ${step} has no choice ${choice}`);
    if (student) ctx.predict(person.id, live.lab, step, choice, choice === p.answer);
    state.board.changed();
    send({ t: 'predicted', step, choice, answer: p.answer, why: p.why });
  };

  const row = student ? ctx.student(person.id) : undefined;
  send({
    t: 'hello',
    role: student ? 'student' : 'teacher',
    name: student ? (row?.name ?? '') : 'teacher',
    labs: ctx.labs(),
    lab: person.current()?.lab ?? row?.lab ?? null,
  });
  run(tellLab());

  const handler: Handler = (msg) => {
    switch (msg.t) {
      case 'open':
        return run(open(str(msg, 'lab')));
      case 'goto':
        return run(goto(str(msg, 'step')));
      case 'predict':
        return run(predict(str(msg, 'step'), int(msg, 'choice', 0, 20)));
      case 'run': {
        // Run from the step's starting state may give a new sandbox: the page then re-attaches its terminals.
        const had = person.terminals;
        return run(person.runStep(str(msg, 'step')).then(() => (person.terminals !== had ? tellLab() : undefined)));
      }
      case 'check':
      case 'hint':
        return run(person.checkNow(str(msg, 'step')));
      case 'trace':
        return run(person.trace(str(msg, 'step')));
      case 'term-open': {
        const node = str(msg, 'node', 64);
        const size = { cols: int(msg, 'cols', 1, 1000), rows: int(msg, 'rows', 1, 1000) };
        person.need();
        const t = person.terminals?.get(node, size);
        if (!t) throw new Error('no lab is running: open one first');
        unwatch.get(node)?.();
        unwatch.set(
          node,
          t.watch(
            (data) => send({ t: 'term', node, data }),
            () => send({ t: 'term-exit', node }),
          ),
        );
        state.board.changed();
        return;
      }
      case 'term-in': {
        const data = str(msg, 'data', INPUT_MAX);
        person.terminals?.find(str(msg, 'node', 64))?.write(data);
        person.live?.typed();
        person.touch();
        return;
      }
      case 'term-resize':
        person.terminals?.find(str(msg, 'node', 64))?.resize(int(msg, 'cols', 1, 1000), int(msg, 'rows', 1, 1000));
        return;
      default:
        throw new Error(`unknown message "${String(msg.t)}"`);
    }
  };
  handler.close = () => {
    for (const u of unwatch.values()) u();
    person.pages.delete(send);
    state.board.changed();
  };
  return handler;
}
