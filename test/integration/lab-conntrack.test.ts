// Lab 11 on real namespaces: the counters and the stream show that conntrack, not the rule, does the NAT.
import test from '../helpers/root-test.js';
import { runJson, step, type JsonStep } from '../helpers/cli.js';

interface Judged {
  hint?: { text: string };
  looks?: { pass: boolean; output: string }[];
}
// The parts of a step's check these tests read beyond the shared JSON shape.
const judged = (s: JsonStep): Judged => (s.check ?? {}) as Judged;

test('11-conntrack passes: the DNAT rule counts 1 packet of 6, the stream moves only after conntrack -D', async (t) => {
  t.timeout(180_000);
  const { cli, result } = await runJson(['11-conntrack']);
  t.is(cli.exitCode, 0, cli.stdout);
  t.deepEqual(
    result.steps.map((s) => s.status),
    ['passed', 'passed', 'passed', 'passed'],
  );
  const [mangle, nat] = judged(step(result, 'count')).looks ?? [];
  t.regex(mangle?.output ?? '', /^\s*6\s+\d+\s+6\s+--.*tcp dpt:8080$/m);
  t.regex(nat?.output ?? '', /^\s*1\s+\d+\s+DNAT\s.*tcp dpt:8080/m);
});

test('11-conntrack --skip flush fails: the stream still reaches web1, and the hint says where its entry is', async (t) => {
  t.timeout(180_000);
  const { cli, result } = await runJson(['11-conntrack', '--skip', 'flush']);
  t.is(cli.exitCode, 1);
  const flush = step(result, 'flush');
  t.is(flush.status, 'failed');
  t.regex(judged(flush).hint?.text ?? '', /still in the host's table/);
  t.is(step(result, 'move').status, 'passed');
});

test('11-conntrack --skip move fails: a new datagram still goes to web1 under the old rule', async (t) => {
  t.timeout(180_000);
  const { cli, result } = await runJson(['11-conntrack', '--skip', 'move', '--until', 'move']);
  t.is(cli.exitCode, 1);
  t.regex(judged(step(result, 'move')).hint?.text ?? '', /old rule is still there/);
});
