// The state behind the packets: a step's state views after its check (conntrack's entry with both
// tuples, the counters of the rule the step added), the lines a look read, and the output of a
// command whose output is the point.
import test from '../helpers/root-test.js';
import { tempDir } from '../helpers/temp.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lab } from '../helpers/cli.js';

interface View {
  view: { node: string; cmd: string };
  exitCode: number;
  lines: string[];
}
interface Json {
  steps: { id: string; status: string; check?: { pass: boolean; views?: View[] } }[];
}

test("lab 04 dnat: conntrack shows the connection with both tuples, and the DNAT rule's counter is above 0; a look shows what it read", async (t) => {
  const file = join(tempDir('lab-views-'), 'r.json');
  const r = await lab(['run', '04-port-mapping', '--check', '--until', 'dnat', '--reporter', 'plain', '--json', file]);
  t.is(r.exitCode, 0, r.stdout + r.stderr);
  const json = JSON.parse(readFileSync(file, 'utf8')) as Json;
  const views = json.steps.find((s) => s.id === 'dnat')?.check?.views ?? [];
  t.deepEqual(
    views.map((v) => `[${v.view.node}] ${v.view.cmd}`),
    ['[host] conntrack -L -p tcp --orig-port-dst 8080', '[host] iptables -t nat -L PREROUTING -v -n'],
  );
  const [conntrack, rules] = views;
  t.is(conntrack?.exitCode, 0);
  // The original tuple (the client to the host's 8080) and the reply tuple (the container's 80 back to the client).
  const entry = conntrack?.lines
    .map((l) =>
      /src=10\.0\.2\.2 dst=10\.0\.2\.15 sport=(\d+) dport=8080 src=172\.17\.0\.100 dst=10\.0\.2\.2 sport=80 dport=(\d+)/.exec(
        l,
      ),
    )
    .find(Boolean);
  t.truthy(entry, conntrack?.lines.join('\n'));
  t.is(entry?.[1], entry?.[2], "the reply goes back to the client's port");
  const dnat = rules?.lines
    .map((l) => /^\s*(\d+)\s+\d+\s+DNAT\b.*dpt:8080 to:172\.17\.0\.100:80/.exec(l))
    .find(Boolean);
  t.true(Number(dnat?.[1] ?? 0) > 0, rules?.lines.join('\n'));
  t.regex(r.stdout, /state \[host\] \$ conntrack -L -p tcp --orig-port-dst 8080.*\n\s+\| tcp .*src=172\.17\.0\.100/);
  // The veth step's looks say what they read, not only the pattern.
  t.regex(r.stdout, /PASS \[mycontainer\] ip route: matches .*\n\s+\| default via 172\.17\.0\.1 dev eth0/);
});

test('lab 07: `nat66 status` is followed by what it printed', async (t) => {
  const r = await lab(['run', '07-nptv6', '--check', '--until', 'mapping', '--reporter', 'plain']);
  t.is(r.exitCode, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /\[host\] \$ nat66 status\n\s+eth0 fd00:0:0:1::\/64 <-> 2001:db8:1:1::\/64\n/);
});
