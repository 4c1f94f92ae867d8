// Every probe kind reaches the sandbox internet and is seen; --save-pcap writes files tcpdump reads.
import test from '../helpers/root-test.js';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { lab, runJson } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

test('http, tcp, udp and ping probes from host are seen on host:eth0, and pcaps are saved', async (t) => {
  const dir = tempDir('lab-pcap-');
  const { cli, result } = await runJson(['fixtures/labs/probes.ts', '--save-pcap', dir]);
  t.is(
    cli.exitCode,
    0,
    JSON.stringify(
      result.steps[0]?.check?.expectations.filter((e) => !e.pass),
      null,
      2,
    ),
  );
  t.true(result.steps[0]?.check?.expectations.every((e) => e.pass));
  const file = join(dir, '94-probes', '01-probes', 'host-eth0.pcap');
  t.true(existsSync(file));
  const read = await execa('tcpdump', ['-nr', file], { reject: false });
  t.is(read.exitCode, 0, String(read.stderr));
  t.regex(String(read.stdout), /10\.0\.2\.15\.\d+ > 203\.0\.113\.80\.80: Flags \[S\]/);
  t.regex(String(read.stdout), /203\.0\.113\.8 > 10\.0\.2\.15: ICMP echo reply/);
});

test('the CI front end prints each command with its node and the verdicts under their step', async (t) => {
  const r = await lab(['run', '02-bridge-veth', '--check']);
  t.is(r.exitCode, 0, r.stdout);
  const out = r.stdout;
  const bridgeAt = out.indexOf('1/2 bridge');
  const cmdAt = out.indexOf('[host] $ ip link add br0 type bridge');
  const vethAt = out.indexOf('2/2 veth');
  const verdictAt = out.indexOf('PASS seen 3 ICMP echo-reply src=172.17.0.1 dst=172.17.0.100');
  t.true(bridgeAt >= 0 && cmdAt > bridgeAt && vethAt > cmdAt && verdictAt > vethAt, out);
  t.true(out.includes('[mycontainer] $ ip route add default via 172.17.0.1'));
  t.regex(out, /02-bridge-veth: PASSED/);
});
