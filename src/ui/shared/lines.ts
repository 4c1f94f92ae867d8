// Plain text for commands, outputs and verdicts, shared by every text front end.
import { formatCheckReport } from '../../check/format.js';
import type { CheckResult } from '../../check/types.js';
import type { CommandRecord } from '../../sys/exec.js';
import type { LabEvent } from '../../engine/events.js';
import type { LabResult } from '../../engine/result.js';

// "[host] $ ip link add br0 type bridge", with a note when it failed or failed as the lab expected,
// and the sandbox limit it reached (which long output would otherwise hide).
export function commandLine(r: CommandRecord, expectFail: boolean, ok: boolean): string {
  const head = `[${r.node || 'sandbox'}] $ ${r.display}`;
  if (r.exitCode === 0 && !expectFail && !r.limit) return head;
  const how = r.timedOut ? 'timed out' : `exit ${r.exitCode ?? 'signal'}`;
  return `${head}   (${how}${expectFail ? (ok ? ', as expected' : ', expected to fail') : ''}${r.limit ? `: ${r.limit}` : ''})`;
}

// iptables' words for any refusal, which mislead in a container whose root lacks the capability.
const NOT_ROOT = /\(you must be root\)/;
const NOT_ROOT_NOTE =
  '(iptables says "you must be root" whenever the kernel refuses: here the user is root, but without CAP_NET_ADMIN in this namespace, so the kernel says Permission denied)';

// Command output, indented, at most a few lines unless verbose; iptables' "you must be root" explained.
export function outputLines(output: string, max = 8): string[] {
  const lines = output.replace(/\s+$/, '').split('\n');
  const shown = lines.slice(0, max).map((l) => `    ${l}`);
  if (lines.length > max) shown.push(`    ... ${lines.length - max} more lines`);
  if (NOT_ROOT.test(output)) shown.push(`    ${NOT_ROOT_NOTE}`);
  return shown;
}

// The check's verdict lines for a step.
export function checkLines(r: CheckResult, verbose: boolean): string[] {
  return [...formatCheckReport(r, { verbose }), ...causeLines(r), ...hintLines(r)];
}

// The root cause of a failed check, as one line (none when it passed).
export function causeLines(r: CheckResult): string[] {
  return r.cause ? [`Root cause: ${r.cause}`] : [];
}

// The hint the engine picked for a failed check, as one line (none when it passed).
export function hintLines(r: CheckResult): string[] {
  return r.hint ? [`Hint: ${r.hint.text}`] : [];
}

// Lines a step's events add to its story, the same in every text reporter; undefined for other events.
// `withBefore` remembers which steps had a before-check, so their two verdicts are told apart.
export function stepLines(
  e: LabEvent,
  verbose: boolean,
  withBefore: Set<string>,
): { stepId: string; lines: string[] } | undefined {
  if (e.type === 'command-end') {
    if (e.setup) return undefined;
    const out =
      e.record.output && (verbose || !e.ok || e.expectFail || e.shows)
        ? outputLines(e.record.output, e.shows ? 20 : 8)
        : [];
    return { stepId: e.stepId, lines: [commandLine(e.record, e.expectFail, e.ok), ...out] };
  }
  if (e.type === 'check-result') {
    if (e.phase === 'before') withBefore.add(e.stepId);
    const head = withBefore.has(e.stepId)
      ? [e.phase === 'before' ? 'before the commands:' : 'after the commands:']
      : [];
    const pcaps = e.result.points.flatMap((p) => (p.pcapPath ? [`pcap ${p.point}: ${p.pcapPath}`] : []));
    return { stepId: e.stepId, lines: [...head, ...checkLines(e.result, verbose), ...pcaps] };
  }
  if (e.type === 'trace') return { stepId: e.stepId, lines: e.trace.lines };
  return undefined;
}

// What teardown said: removed, kept (and how to enter), or what it left behind.
export function teardownLine(e: Extract<LabEvent, { type: 'teardown-end' }>): string {
  if (e.kept) return `sandbox kept; enter it with: ${e.shell}`;
  if (!e.ok)
    return `teardown incomplete after ${Math.round(e.durationMs)} ms; left behind: ${e.leftovers.join('; ')} (run \`lab clean\`)`;
  return `sandbox removed in ${Math.round(e.durationMs)} ms`;
}

// One closing line: lab, verdict, counts, time.
export function summaryLine(r: LabResult): string {
  const failed = r.steps.filter((s) => s.status === 'failed').length;
  const passed = r.steps.filter((s) => s.status === 'passed').length;
  const secs = (r.durationMs / 1000).toFixed(1);
  if (r.stoppedEarly)
    return `${r.lab}: stopped after ${r.stoppedEarly.after} of ${r.stoppedEarly.of} steps (${passed} passed, ${failed} failed, ${secs} s)`;
  if (r.status === 'error' || r.status === 'interrupted') return `${r.lab}: ${r.status} after ${secs} s`;
  const before =
    r.resumedAt === 1 ? 'step 1 was' : r.resumedAt === 2 ? 'steps 1 and 2 were' : `steps 1 to ${r.resumedAt} were`;
  const earlier = r.resumedAt ? ` here; ${before} done in an earlier run (replayed)` : '';
  return `${r.lab}: ${r.status === 'passed' ? 'PASSED' : 'FAILED'} — ${passed} step${passed === 1 ? '' : 's'} passed, ${failed} failed, ${r.steps.length} run${earlier} (${secs} s)`;
}
