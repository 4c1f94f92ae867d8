// Picks the one hint a student sees after a failed check, from what the packets showed: the lab's
// hint for the way an expectation failed, else the near-miss line, else the failure itself. Pure.
import type { CheckResult, ExpectationResult, Hint, LookResult } from '../check/types.js';

export interface PickedHint {
  text: string;
  from: 'lab' | 'near-miss' | 'failure'; // declared by the lab, the nearest packet's differing fields, or the verdict
  about: string; // the verdict line it explains
}

// How well a declared hint fits a failed expectation: 0 does not fit; higher is more specific.
export function hintFit(h: Hint, x: ExpectationResult): number {
  if (x.pass) return 0;
  if (h.when === 'failed') return 1;
  if (h.when === 'not-seen') return x.expectation.kind === 'expect' && x.matched === 0 && x.nearMisses.length === 0 ? 2 : 0;
  const diffs = x.nearMisses.flatMap((n) => n.diffs).filter((d) => d.field === h.field);
  if (!diffs.length) return 0;
  if (h.seen === undefined) return 2;
  return diffs.some((d) => d.seen === h.seen) ? 3 : 0;
}

// "src: expected 10.0.2.15, seen 172.17.0.100" for the nearest packet of a failed expectation.
export function nearMissLine(x: ExpectationResult): string | undefined {
  const n = x.nearMisses.find((m) => m.diffs.length);
  return n ? n.diffs.map((d) => `${d.field}: expected ${d.expected}, seen ${d.seen}`).join('; ') : undefined;
}

// The hint for a check's result, or undefined when it passed.
export function pickHint(result: CheckResult): PickedHint | undefined {
  if (result.pass) return undefined;
  // A point that could not be captured explains its own failures: no lab hint about packets fits them.
  const blind = result.points.find((p) => p.error);
  if (blind?.error) return { text: blind.error, from: 'failure', about: blind.error };
  const failed = result.expectations.filter((x) => !x.pass);
  const looks = result.looks.filter((l) => !l.pass);
  let best: { fit: number; hint: PickedHint } | undefined;
  for (const x of failed) {
    for (const h of x.expectation.hints ?? []) {
      const fit = hintFit(h, x);
      if (fit > (best?.fit ?? 0)) best = { fit, hint: { text: h.text, from: 'lab', about: x.message } };
    }
  }
  for (const l of looks) best ??= lookHint(l);
  if (best) return best.hint;
  for (const x of failed) {
    const line = nearMissLine(x);
    if (line) return { text: line, from: 'near-miss', about: x.message };
  }
  const probe = result.probes.find((p) => !p.ok);
  const first = failed[0]?.message ?? looks[0]?.message ?? (probe ? `[${probe.node}] ${probe.command}: exited ${probe.exitCode}` : result.points.find((p) => p.error)?.error);
  return first ? { text: first, from: 'failure', about: first } : undefined;
}

// A failed look's first declared hint.
function lookHint(l: LookResult): { fit: number; hint: PickedHint } | undefined {
  const h = l.look.hints?.[0];
  return h ? { fit: 1, hint: { text: h.text, from: 'lab', about: l.message } } : undefined;
}

// Hints a step declares on its checks (before and after), for authors and tests.
export function declaredHints(check: { expectations: { hints?: Hint[] }[]; looks?: { hints?: Hint[] }[] } | undefined): Hint[] {
  if (!check) return [];
  return [...check.expectations.flatMap((e) => e.hints ?? []), ...(check.looks ?? []).flatMap((l) => l.hints ?? [])];
}
