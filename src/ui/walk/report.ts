// A check's result as the walkthrough shows it: per capture point the flows (tshark-like, noise folded
// into one line), then the verdicts with near misses, then any rewrite side by side.
import type { CheckResult } from '../../check/types.js';
import { formatFlow, formatRewrites, shownFlowsAt } from '../../check/format.js';
import { formatViews, lookRead } from '../../check/format.js';
import { paint, wrapLine } from '../shared/text.js';

const verdict = (pass: boolean): string => (pass ? paint('green', 'PASS') : paint('red', 'FAIL'));

// "1 packet", "3 packets".
const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

// Why a probe sent nothing at all (ping's own words), or undefined when it sent and got no answer.
export function unsent(output: string): string | undefined {
  return /(?:connect|sendmsg|sendto): ([A-Z][^\n]*)/.exec(output)?.[1]?.trim();
}

// Lines for one check result, wrapped to the terminal.
export function checkReportLines(r: CheckResult): string[] {
  const out: string[] = [];
  for (const pr of r.probes.filter((x) => !x.ok)) {
    out.push(
      `  ${verdict(false)} probe [${pr.node}] ${pr.command}: ${pr.probe.expectFail ? 'the lab says it fails, but it succeeded' : `exited ${pr.exitCode}, and the lab says it succeeds`}`,
    );
  }
  // A probe the lab expects to fail that could not even send says so: it got no answer because nothing left.
  for (const pr of r.probes.filter((x) => x.ok && x.probe.expectFail)) {
    const why = unsent(pr.output);
    if (why)
      out.push(`  ${paint('dim', `[${pr.node}] ${pr.command}: not sent (${why}), as the lab expects it to fail`)}`);
  }
  for (const l of r.looks) {
    out.push(`  ${verdict(l.pass)} ${l.message}${l.look.why ? `   (${l.look.why})` : ''}`);
    for (const o of l.pass ? lookRead(l) : l.output.split('\n').filter(Boolean).slice(0, 8)) out.push(`       | ${o}`);
  }
  for (const p of r.points) {
    const shown = shownFlowsAt(p, r);
    out.push(
      `  ${paint('bold', `at ${p.point}`)} (${count(p.packets, 'packet')} in ${Math.round(p.windowMs)} ms)${p.error ? `: ${p.error}` : shown.length ? ':' : ': no flows'}`,
    );
    for (const f of shown) out.push(`     ${formatFlow(f)}`);
    const folded = p.flows.length - shown.length;
    if (folded)
      out.push(
        `     ${paint('dim', `+ ${folded} ND/MLD/IGMP flow${folded === 1 ? '' : 's'} (link-local chatter, folded)`)}`,
      );
    if (p.drops > 0) out.push(`     libpcap dropped ${count(p.drops, 'packet')}`);
    for (const x of r.expectations.filter((e) => e.expectation.point === p.point)) {
      out.push(`    ${verdict(x.pass)} ${x.message}${x.expectation.why ? `   (${x.expectation.why})` : ''}`);
      for (const n of x.pass ? [] : x.nearMisses) {
        out.push(`         ${x.expectation.kind === 'expect' ? 'nearest' : 'seen'}: ${n.flow}`);
        for (const d of n.diffs)
          out.push(`           ${d.field}: expected ${d.expected}, seen ${paint('yellow', d.seen)}`);
      }
    }
  }
  out.push(...highlightRewrites(formatRewrites(r.points)), ...formatViews(r.views ?? []).map((l) => `  ${l}`));
  return out.flatMap(wrapLine);
}

// In each side-by-side pair (a header, then the two points' lines), the words that differ stand out.
function highlightRewrites(lines: string[]): string[] {
  const out = [...lines];
  const split = (l: string): [string, string[]] => {
    const m = /^(\s+\S+\s+)(.*)$/.exec(l);
    return m ? [m[1] ?? '', (m[2] ?? '').split(' ')] : ['', l.split(' ')];
  };
  for (let i = 0; i + 2 < out.length; i++) {
    if (!/rewritten between/.test(out[i] ?? '')) continue;
    const [pa, wa] = split(out[i + 1] ?? '');
    const [pb, wb] = split(out[i + 2] ?? '');
    const mark = (w: string[], other: string[]): string =>
      w.map((x, j) => (x !== other[j] ? paint('yellow', x) : x)).join(' ');
    out[i + 1] = pa + mark(wa, wb);
    out[i + 2] = pb + mark(wb, wa);
  }
  return out;
}
