// Going back to a step's starting state: the sandbox is built afresh and the earlier steps' commands
// are replayed without their checks, so a retry never runs on top of a wrong attempt.
import { InterruptedError } from '../errors.js';
import type { WalkContext } from './walk-context.js';
import { paint, say, wrap } from './walk-text.js';

// Replays steps [0, upTo) in the current session; one line per step, or none when quiet.
export async function replay(ctx: WalkContext, upTo: number, quiet = false): Promise<void> {
  for (const info of ctx.session.steps.slice(0, upTo)) {
    const cmds = await ctx.session.runCommands(info.id, { signal: ctx.signal });
    if (ctx.signal.aborted) throw new InterruptedError(String(ctx.signal.reason ?? 'SIGINT'));
    const bad = cmds.filter((c) => !c.ok);
    if (quiet && !bad.length) continue;
    say(`  ${bad.length ? paint('red', '!') : paint('green', '✓')} ${info.index + 1}. ${info.title} (${cmds.length} command${cmds.length === 1 ? '' : 's'}${bad.length ? `, ${bad.length} failed: ${bad.map((c) => c.display).join('; ')}` : ''})`);
  }
}

// Puts the student back at the start of step `index`: the old sandbox removed, a new one built, the
// steps before it replayed and its scene set; says how long that took.
export async function backToStart(ctx: WalkContext, index: number): Promise<void> {
  const t0 = performance.now();
  const info = ctx.session.steps[index];
  if (!info) return;
  say('', ...wrap(paint('dim', `Going back to the start of step ${index + 1} (${info.id}): a fresh sandbox${index ? `, steps 1 to ${index} replayed` : ''}...`), '  '));
  ctx.quiet = true;
  try {
    await ctx.session.close(); // first: the machine's sandbox slots are shared
    ctx.session = await ctx.reopen();
    await replay(ctx, index, true);
    await ctx.session.arrange(info.id);
  } finally {
    ctx.quiet = false;
  }
  say(...wrap(paint('dim', `(back at the start of step ${index + 1} in ${((performance.now() - t0) / 1000).toFixed(1)} s: your earlier changes in this step are gone)`), '  '));
}
