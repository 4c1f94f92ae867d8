// Going back to a step's starting state (the driver's fresh sandbox with the earlier steps replayed),
// as the walkthrough says it: what is happening, the replayed steps whose commands failed, how long it took.
import type { Replayed } from '../../engine/driver.js';
import type { WalkContext } from './context.js';
import { paint, say, wrap } from '../shared/text.js';

// A line per replayed step (`all`), or per replayed step whose commands failed.
export function replayLines(rows: Replayed[], all: boolean): string[] {
  return rows
    .filter((r) => all || r.failed.length)
    .map(
      (r) =>
        `  ${r.failed.length ? paint('red', '!') : paint('green', '✓')} ${r.info.index + 1}. ${r.info.title} (${r.commands} command${r.commands === 1 ? '' : 's'}${r.failed.length ? `, ${r.failed.length} failed: ${r.failed.join('; ')}` : ''})`,
    );
}

// Said when the walk starts going back to step `index`.
export function goingBack(ctx: WalkContext, index: number): void {
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
}

// Said once the walk is back at the start of step `index`.
export function backAt(index: number, rows: Replayed[], ms: number): void {
  say(...replayLines(rows, false));
  say(
    ...wrap(
      paint(
        'dim',
        `(back at the start of step ${index + 1} in ${(ms / 1000).toFixed(1)} s: your earlier changes in this step are gone)`,
      ),
      '  ',
    ),
  );
}
