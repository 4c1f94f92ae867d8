// "I will type it myself": the step's commands as the goal, a shell in each node they run in, then
// the engine's check; on failure the packets, the hint, and retry / solution / have it run.
import type { LabCommand } from '../../model/lab.js';
import { spawnOnTerminal } from '../../engine/terminal.js';
import { InterruptedError } from '../../errors.js';
import type { WalkContext } from './context.js';
import { LIVE_SHELL_ENV, LiveCheck } from './live.js';
import { commandLines, paint, say, wrap } from '../shared/text.js';

export interface CommandGroup {
  node: string;
  indexes: number[]; // into the step's run
  start: boolean; // the engine starts a container here (the runbook's unshare line)
}

// Consecutive commands in the same node share one shell; a container start is the engine's.
export function commandGroups(run: LabCommand[]): CommandGroup[] {
  const groups: CommandGroup[] = [];
  run.forEach((c, i) => {
    const last = groups.at(-1);
    if (c.kind === 'start') groups.push({ node: c.node, indexes: [i], start: true });
    else if (last && !last.start && last.node === c.node) last.indexes.push(i);
    else groups.push({ node: c.node, indexes: [i], start: false });
  });
  return groups;
}

// Opens the session's shell in a node on this terminal. Ctrl-C there is bash's (it clears the line or
// stops the running command); leaving is `exit` or Ctrl-D. With `live`, the step is checked as the student types.
export async function openShell(ctx: WalkContext, node: string, cmds: string[], live?: LiveCheck): Promise<void> {
  const spec = ctx.session.shell(node);
  say(
    '',
    ...wrap(
      `A shell opens in ${node} (prompt [${node}]#). Type ${cmds.length === 1 ? 'this command' : 'these commands'}${live ? '; the lab checks the step after each one' : ''}:`,
      '  ',
    ),
  );
  for (const c of cmds) say(...commandLines(node, c, '    '));
  say(
    ...wrap(
      `Ctrl-C clears the line or stops a running command. When you are done: \`exit\` (or Ctrl-D), and the lab checks the step.`,
      '  ',
    ),
    '',
  );
  const env = { ...spec.env, ...(live ? LIVE_SHELL_ENV : {}) };
  const exit = await spawnOnTerminal({
    argv: spec.argv,
    env,
    ...(live ? { onSignal: (d: string) => live.onSignal(d) } : {}),
  });
  await live?.stop();
  if (ctx.signal.aborted) throw new InterruptedError(String(ctx.signal.reason ?? 'SIGINT'));
  say(paint('dim', `  (left the shell in ${node}${exit.signal ? `: it ended on ${exit.signal}` : ''})`));
}

// Runs the engine's container starts of a step, then a shell per group of the student's commands.
export async function typeCommands(
  ctx: WalkContext,
  stepId: string,
  groups: CommandGroup[],
  firstTime: boolean,
): Promise<void> {
  const run = ctx.session.step(stepId).run;
  for (const g of groups) {
    if (g.start) {
      if (!firstTime) continue;
      say(...wrap('The lab starts the container for you (this line would take over your shell):', '  '));
      const omit = run.map((_, i) => i).filter((i) => !g.indexes.includes(i));
      ctx.showCommands = true;
      await ctx.session.runCommands(stepId, { omit, signal: ctx.signal });
      ctx.showCommands = false;
      continue;
    }
    await openShell(
      ctx,
      g.node,
      g.indexes.map((i) => run[i]?.cmd ?? ''),
      new LiveCheck(ctx, stepId),
    );
  }
}
