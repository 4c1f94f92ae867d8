// A stable line-by-line reporter: the walkthrough's output, and a renderer tests can read.
import type { LabEvents } from '../../engine/events.js';
import { stepLines, teardownLine } from '../shared/lines.js';
import type { Reporter } from '../shared/reporter.js';

export interface PlainOptions {
  write?: (line: string) => void;
  explain?: boolean;
  verbose?: boolean;
}

// Prints every step, command and verdict as it happens.
export function attachPlainReporter(events: LabEvents, opts: PlainOptions = {}): Reporter {
  const withBefore = new Set<string>();
  const out = opts.write ?? ((l: string) => process.stdout.write(`${l}\n`));
  events.on('lab-start', (e) => out(`== ${e.lab.id}: ${e.lab.title}`));
  events.on('rootfs-progress', (e) => out(`rootfs: ${e.line}`));
  events.on('sandbox-waiting', (e) => out(e.line));
  events.on('rootfs-ready', (e) =>
    out(`root filesystem ${e.hash} ${e.built ? `built in ${(e.buildMs / 1000).toFixed(0)} s` : 'cached'}`),
  );
  events.on('sandbox-ready', (e) =>
    out(`sandbox ${e.runId} ready in ${Math.round(e.durationMs)} ms (nodes: ${e.nodes.join(', ')})`),
  );
  events.on('step-start', (e) => {
    out('');
    out(
      `-- step ${e.step.index + 1}/${e.step.total} ${e.step.id}: ${e.step.title}${e.skipped ? '   [commands skipped]' : ''}`,
    );
    if (opts.explain) out(`   ${e.step.explain}`);
  });
  events.onAny((e) => {
    for (const l of stepLines(e, Boolean(opts.verbose), withBefore)?.lines ?? []) out(`  ${l}`);
  });
  let ready = false; // containers started with the sandbox are not news
  events.on('sandbox-ready', () => (ready = true));
  events.on(
    'container',
    (e) =>
      ready && out(`  (container ${e.container} ${e.event}${e.addresses.length ? `: ${e.addresses.join(', ')}` : ''})`),
  );
  events.on('step-end', (e) => out(`  => ${e.stepId}: ${e.status}`));
  events.on('teardown-end', (e) => out(teardownLine(e)));
  return { done: async () => undefined };
}
