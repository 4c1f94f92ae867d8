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

test("13-dns passes: the copied stub is refused on the container's own lo, the fix crosses br0, 127.0.0.11 is a DNAT", async (t) => {
  const { cli, result } = await runJson(['13-dns']);
  t.is(cli.exitCode, 0, cli.stdout);
  const seen = (id: string, point: string, label: RegExp): number =>
    step(result, id).check?.expectations.find(
      (e) => e.expectation.point === point && label.test(e.expectation.matcher.label),
    )?.matched ?? 0;
  t.true(seen('stub', 'app:lo', /dest-unreachable/) > 0);
  t.true(seen('nameserver', 'host:eth0', /UDP/) > 0);
  const lo = step(result, 'embedded').check?.points.find((p) => p.point === 'app:lo');
  t.truthy(lo?.ready);
  t.is(lo?.drops, 0);
});

test('13-dns --skip nameserver and --skip embedded fail with the hint that names the missing line', async (t) => {
  const skipped = async (id: string): Promise<string> => {
    const { cli, result } = await runJson(['13-dns', '--skip', id, '--until', id]);
    t.is(cli.exitCode, 1, id);
    t.is(step(result, id).status, 'failed');
    return (step(result, id).check as { hint?: { text: string } } | undefined)?.hint?.text ?? '';
  };
  t.regex(await skipped('nameserver'), /no DNS query crossed br0/);
  t.regex(await skipped('embedded'), /nameserver 127\.0\.0\.11/);
});
