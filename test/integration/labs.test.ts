// The shipped labs on real namespaces: they pass as written, and fail, naming the flow, without their key step.
import test from '../helpers/root-test.js';
import { runJson, step } from '../helpers/cli.js';

test('02-bridge-veth passes: ARP and ping cross veth1 and br0', async (t) => {
  const { cli, result } = await runJson(['02-bridge-veth']);
  t.is(cli.exitCode, 0, cli.stdout);
  t.is(result.status, 'passed');
  t.deepEqual(
    result.steps.map((s) => [s.id, s.status]),
    [
      ['bridge', 'passed'],
      ['veth', 'passed'],
    ],
  );
  const veth = step(result, 'veth');
  t.true(
    veth.commands.some(
      (c) => c.node === 'host' && c.display === 'ip link add veth1 type veth peer name eth0 netns mycontainer',
    ),
  );
  t.true(veth.commands.some((c) => c.node === 'mycontainer' && c.display === 'ip addr add 172.17.0.100/24 dev eth0'));
  const reply = veth.check?.expectations.find(
    (e) => e.expectation.point === 'host:veth1' && e.expectation.matcher.label.includes('echo-reply'),
  );
  t.truthy(reply);
  t.true((reply?.matched ?? 0) >= 3);
});

test('02-bridge-veth --skip veth fails and names what was not seen', async (t) => {
  const { cli, result } = await runJson(['02-bridge-veth', '--skip', 'veth']);
  t.is(cli.exitCode, 1);
  const veth = step(result, 'veth');
  t.is(veth.status, 'failed');
  t.is(veth.commands.length, 0);
  const failed = veth.check?.expectations.filter((e) => !e.pass) ?? [];
  t.true(
    failed.some((e) => /echo-request/.test(e.message) && /host:br0/.test(e.message)),
    failed.map((e) => e.message).join('\n'),
  );
  t.is(step(result, 'bridge').status, 'passed');
});

test('03-masquerade passes: the source is rewritten on eth0 and replies come back', async (t) => {
  const { cli, result } = await runJson(['03-masquerade']);
  t.is(cli.exitCode, 0, cli.stdout);
  t.deepEqual(
    result.steps.map((s) => s.status),
    ['passed', 'passed', 'passed', 'passed', 'passed'],
  );
  t.deepEqual(
    step(result, 'forward').commands.map((c) => [c.node, c.display]),
    [['host', 'sysctl -w net.ipv4.ip_forward=1']],
  );
  const masq = step(result, 'masquerade');
  const eth0 = masq.check?.points.find((p) => p.point === 'host:eth0');
  t.truthy(eth0?.ready);
  t.is(eth0?.drops, 0);
});

test('03-masquerade --skip masquerade fails: no reply, and the source that was seen instead', async (t) => {
  const { cli, result } = await runJson(['03-masquerade', '--skip', 'masquerade']);
  t.is(cli.exitCode, 1);
  const masq = step(result, 'masquerade');
  t.is(masq.status, 'failed');
  const req = masq.check?.expectations.find(
    (e) => e.expectation.point === 'host:eth0' && /echo-request/.test(e.expectation.matcher.label),
  );
  t.false(req?.pass);
  t.regex(req?.message ?? '', /10\.0\.2\.15/);
  const diff = req?.nearMisses.flatMap((n) => n.diffs).find((d) => d.field === 'src');
  t.deepEqual(diff, { field: 'src', expected: '10.0.2.15', seen: '172.17.0.100' });
  const reply = masq.check?.expectations.find(
    (e) => e.expectation.point === 'host:eth0' && /echo-reply/.test(e.expectation.matcher.label),
  );
  t.false(reply?.pass);
  t.is(step(result, 'forward').status, 'passed');
});

test('03-masquerade --skip forward fails at forward: nothing leaves by eth0', async (t) => {
  const { cli, result } = await runJson(['03-masquerade', '--skip', 'forward']);
  t.is(cli.exitCode, 1);
  const fwd = step(result, 'forward');
  t.is(fwd.status, 'failed');
  const req = fwd.check?.expectations.find(
    (e) => e.expectation.kind === 'expect' && e.expectation.point === 'host:eth0',
  );
  t.false(req?.pass);
  t.is(req?.matched, 0);
  t.regex(req?.message ?? '', /echo-request.*172\.17\.0\.100|172\.17\.0\.100.*echo-request/);
  t.is(step(result, 'observe').status, 'passed');
});

test('--until stops after the named step', async (t) => {
  const { cli, result } = await runJson(['03-masquerade', '--until', 'observe']);
  t.is(cli.exitCode, 0);
  t.deepEqual(
    result.steps.map((s) => s.id),
    ['bridge', 'veth', 'observe'],
  );
});
