// Lab 12 on real namespaces: br_netfilter hands bridged IPv4 to FORWARD, and filters see the address after DNAT.
import test from '../helpers/root-test.js';
import { runJson, step, type JsonStep } from '../helpers/cli.js';

// The hint a failed step's check picked.
const hintOf = (s: JsonStep): string => ((s.check ?? {}) as { hint?: { text: string } }).hint?.text ?? '';

test('12-bridge-filter passes as written', async (t) => {
  t.timeout(180_000);
  const { cli, result } = await runJson(['12-bridge-filter']);
  t.is(cli.exitCode, 0, cli.stdout);
  t.deepEqual(
    result.steps.map((s) => s.status),
    ['passed', 'passed', 'passed', 'passed', 'passed'],
  );
});

test('12-bridge-filter --skip br-netfilter fails: the echo requests cross the bridge', async (t) => {
  t.timeout(180_000);
  const { cli, result } = await runJson(['12-bridge-filter', '--skip', 'br-netfilter', '--until', 'br-netfilter']);
  t.is(cli.exitCode, 1);
  t.regex(hintOf(step(result, 'br-netfilter')), /bridge-nf-call-iptables=1/);
});

test('12-bridge-filter --skip post-dnat fails: nothing reaches b, and the hint names port 80', async (t) => {
  t.timeout(180_000);
  const { cli, result } = await runJson(['12-bridge-filter', '--skip', 'post-dnat']);
  t.is(cli.exitCode, 1);
  t.regex(hintOf(step(result, 'post-dnat')), /172\.17\.0\.3:80, not 10\.0\.2\.15:8080/);
});
