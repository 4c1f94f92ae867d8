// Going back to a step's starting state: a fresh sandbox with the earlier steps' commands replayed
// (without their checks), so a retry never runs on top of a wrong attempt. The fresh sandbox is made
// ahead, while the student reads a failed check, so going back costs only the swap.
import type { LabSession } from '../../engine/session.js';
import { InterruptedError } from '../../errors.js';
import type { WalkContext } from './context.js';
import { paint, say, wrap } from '../shared/text.js';

export interface Spare {
  index: number; // the step whose start it is at
  ready: Promise<Fresh | undefined>; // undefined: it could not be made (the swap then builds one)
  stop: AbortController;
}

interface Fresh {
  session: LabSession;
  failed: string[]; // lines for the replayed steps whose commands failed, said at the swap
}

// Replays steps [0, upTo) in a session; a line per step (`all`) or per step whose commands failed.
async function replayIn(session: LabSession, upTo: number, signal: AbortSignal, all: boolean): Promise<string[]> {
  const lines: string[] = [];
  for (const info of session.steps.slice(0, upTo)) {
    const cmds = await session.runCommands(info.id, { signal });
    if (signal.aborted) throw new InterruptedError(String(signal.reason ?? 'SIGINT'));
    const bad = cmds.filter((c) => !c.ok);
    if (!all && !bad.length) continue;
    lines.push(
      `  ${bad.length ? paint('red', '!') : paint('green', '✓')} ${info.index + 1}. ${info.title} (${cmds.length} command${cmds.length === 1 ? '' : 's'}${bad.length ? `, ${bad.length} failed: ${bad.map((c) => c.display).join('; ')}` : ''})`,
    );
  }
  return lines;
}

// Replays steps [0, upTo) in the current session (a resumed run), a line per step.
export async function replay(ctx: WalkContext, upTo: number): Promise<void> {
  say(...(await replayIn(ctx.session, upTo, ctx.signal, true)));
}

// A session at the start of step `index`, built from scratch; it prints nothing.
async function freshAt(ctx: WalkContext, index: number, signal: AbortSignal): Promise<Fresh> {
  const session = await ctx.reopen(signal);
  try {
    const failed = await replayIn(session, index, signal, false);
    const info = session.steps[index];
    if (info) await session.arrange(info.id);
    return { session, failed };
  } catch (err) {
    await session.close();
    throw err;
  }
}

// Starts making the start of step `index` in the background (nothing if one is on its way).
export function prepareStart(ctx: WalkContext, index: number): void {
  if (ctx.spare?.index === index) return;
  void dropSpare(ctx);
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const ready = freshAt(ctx, index, stop.signal)
    .catch(() => undefined)
    .finally(() => ctx.signal.removeEventListener('abort', onAbort));
  ctx.spare = { index, ready, stop };
}

// Removes a spare sandbox nobody will use.
export async function dropSpare(ctx: WalkContext): Promise<void> {
  const spare = ctx.spare;
  ctx.spare = undefined;
  if (!spare) return;
  spare.stop.abort('unused');
  await (await spare.ready)?.session.close();
}

// Puts the student back at the start of step `index`: the spare made for it (or a new one) takes the
// old sandbox's place, and the old one is removed; says how long the student waited.
export async function backToStart(ctx: WalkContext, index: number): Promise<void> {
  const t0 = performance.now();
  const info = ctx.session.steps[index];
  if (!info) return;
  say(
    '',
    ...wrap(
      paint(
        'dim',
        `Going back to the start of step ${index + 1} (${info.id}): a fresh sandbox${index ? `, steps 1 to ${index} replayed` : ''}...`,
      ),
      '  ',
    ),
  );
  const spare = ctx.spare?.index === index ? ctx.spare : undefined;
  if (spare) ctx.spare = undefined;
  else await dropSpare(ctx);
  let fresh = await spare?.ready;
  if (ctx.signal.aborted) {
    await fresh?.session.close();
    throw new InterruptedError(String(ctx.signal.reason ?? 'SIGINT'));
  }
  const old = ctx.session;
  if (fresh) ctx.retired.push(old.close());
  else {
    await old.close(); // first: the machine's sandbox slots are shared
    fresh = await freshAt(ctx, index, ctx.signal);
  }
  ctx.session = fresh.session;
  say(...fresh.failed);
  say(
    ...wrap(
      paint(
        'dim',
        `(back at the start of step ${index + 1} in ${((performance.now() - t0) / 1000).toFixed(1)} s: your earlier changes in this step are gone)`,
      ),
      '  ',
    ),
  );
}
