// Hints for the checks whose builder methods take none (sameFlow, stopsAt's two halves).
import type { Hint, Observation } from '../../src/lab.js';

// Attaches hints to the check's last expectation, e.g. hinted(observe(...).sameFlow(...), [hint.near(...)]).
export function hinted<T extends Observation>(check: T, hints: Hint[]): T {
  const i = check.expectations.length - 1;
  const last = check.expectations[i];
  if (!last) throw new Error('hinted: the check has no expectation yet');
  check.expectations[i] = { ...last, hints: [...(last.hints ?? []), ...hints] };
  return check;
}
