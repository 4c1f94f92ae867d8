// Labs 01 and 04 on real containers (debootstrap root, overlays); their key steps are what make them pass.
import test from '../helpers/root-test.js';
import { readFileSync } from 'node:fs';
import { cachedRootfs } from '../../src/sandbox/rootfs.js';
import { runJson, step } from '../helpers/cli.js';

test('01-namespaces passes: PID 1, own hostname, only lo, no packet out', async (t) => {
  const { cli, result } = await runJson(['01-namespaces']);
  t.is(cli.exitCode, 0, cli.stdout);
  const unshare = step(result, 'unshare');
  t.is(unshare.status, 'passed');
  t.regex(
    unshare.commands[0]?.display ?? '',
    /^nsenter --net=\/run\/netns\/mycontainer unshare --fork --pid --mount --uts --cgroup --ipc sh   \(then pivot_root into /,
  );
  t.deepEqual(unshare.commands.map((c) => c.node).slice(0, 6), [
    'host',
    'mycontainer',
    'mycontainer',
    'mycontainer',
    'mycontainer',
    'mycontainer',
  ]);
});

test("01-namespaces --skip unshare fails: the container's shell is not there to look at", async (t) => {
  const { cli, result } = await runJson(['01-namespaces', '--skip', 'unshare']);
  t.is(cli.exitCode, 1);
  const looks = (step(result, 'unshare').check as unknown as { looks: { pass: boolean; message: string }[] }).looks;
  t.true(
    looks.some((l) => !l.pass && l.message.startsWith('[mycontainer] ps -o pid=,comm= -p 1')),
    JSON.stringify(looks, null, 2),
  );
  t.is(step(result, 'netns').status, 'passed');
});

test('04-port-mapping passes: DNAT on eth0, the container on br0, and the local surprise', async (t) => {
  const before = cachedRootfs();
  const { cli, result } = await runJson(['04-port-mapping']);
  t.is(cli.exitCode, 0, cli.stdout);
  t.deepEqual(
    (result as unknown as { rootfs: { built: boolean } }).rootfs.built,
    false,
    'the cached root filesystem is reused',
  );
  t.is(cachedRootfs()?.builtAt, before?.builtAt);
  const local = step(result, 'local') as unknown as { before: { pass: boolean }; check: { pass: boolean } };
  t.true(local.before.pass);
  t.true(local.check.pass);
});

test('04-port-mapping --skip dnat fails and names the HTTP 200 that never came back on 8080', async (t) => {
  const { cli, result } = await runJson(['04-port-mapping', '--skip', 'dnat']);
  t.is(cli.exitCode, 1);
  const dnat = step(result, 'dnat');
  t.is(dnat.status, 'failed');
  const failed = dnat.check?.expectations.filter((e) => !e.pass).map((e) => e.message) ?? [];
  t.true(
    failed.includes('expected HTTP 200 src=10.0.2.15 sport=8080 at host:eth0: not seen (0 of >=1)'),
    failed.join('\n'),
  );
  t.true(
    failed.some((m) => /TCP SYN src=10\.0\.2\.2 dst=172\.17\.0\.100 dport=80 at host:br0: not seen/.test(m)),
    failed.join('\n'),
  );
});

test('04-port-mapping --skip local: refused before, and still refused after', async (t) => {
  const { cli, result } = await runJson(['04-port-mapping', '--skip', 'local']);
  t.is(cli.exitCode, 1);
  const local = step(result, 'local') as unknown as {
    before: { pass: boolean };
    check: { pass: boolean; expectations: { pass: boolean; message: string }[] };
  };
  t.true(local.before.pass);
  t.false(local.check.pass);
  t.true(
    local.check.expectations.some(
      (e) => !e.pass && /seen 1 TCP RST,ACK (src=10\.0\.2\.15 )?sport=8080 at host:lo, expected none/.test(e.message),
    ),
  );
});

test("the root filesystem is a Debian with the labs' tools", (t) => {
  const info = cachedRootfs();
  t.truthy(info, 'npm test builds it before the tests');
  t.regex(readFileSync(`${info?.path}/etc/debian_version`, 'utf8'), /^12\./);
  for (const tool of ['usr/sbin/nginx', 'usr/bin/curl', 'usr/bin/ping', 'sbin/ip', 'bin/nc.openbsd'])
    t.notThrows(() => readFileSync(`${info?.path}/${tool}`), tool);
});
