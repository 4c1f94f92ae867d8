// The packet's path (--trace, LabSession.trace): real packets traced through netfilter in a lab sandbox.
import test from '../helpers/root-test.js';
import { descendants } from '../helpers/procs.js';
import { execa } from 'execa';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabEvents } from '../../src/engine/events.js';
import { loadLab } from '../../src/engine/loader.js';
import { LabSession } from '../../src/engine/session.js';
import type { TraceResult } from '../../src/engine/trace-types.js';
import { lab } from '../helpers/cli.js';

const MASQ_LINE =
  '[host] nat POSTROUTING  rule -s 172.17.0.0/24 ! -o br0 -j MASQUERADE  -> masquerade (source 172.17.0.100 -> 10.0.2.15)';
const NOT_FORWARDED = /\[host\] not forwarded: net\.ipv4\.ip_forward is 0 in host/;

interface TracedStep {
  id: string;
  status: string;
  trace?: TraceResult;
}

// `lab run 03-masquerade --check --trace`: the plain report on stdout, the JSON result from a file.
async function traced(extra: string[]): Promise<{ exitCode: number; stdout: string; steps: TracedStep[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'lab-trace-'));
  try {
    const file = join(dir, 'result.json');
    const r = await lab([
      'run',
      '03-masquerade',
      '--check',
      '--trace',
      '--reporter',
      'plain',
      '--json',
      file,
      ...extra,
    ]);
    const steps = (JSON.parse(readFileSync(file, 'utf8')) as { steps: TracedStep[] }).steps;
    return { exitCode: r.exitCode, stdout: r.stdout, steps };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const stepOf = (steps: TracedStep[], id: string): TracedStep => {
  const s = steps.find((x) => x.id === id);
  if (!s) throw new Error(`no step ${id}`);
  return s;
};

test('--trace on 03 --check names the MASQUERADE rule and the rewrite it made, in the report and in the JSON', async (t) => {
  const r = await traced([]);
  t.is(r.exitCode, 0, r.stdout);
  const lines = r.stdout.split('\n').map((l) => l.trim());
  t.true(lines.includes(MASQ_LINE), r.stdout);
  const masq = stepOf(r.steps, 'masquerade').trace;
  const host = masq?.nodes.find((n) => n.node === 'host');
  t.like(
    host?.hops.find((h) => h.chain === 'POSTROUTING'),
    {
      table: 'nat',
      kind: 'rule',
      rule: '-s 172.17.0.0/24 ! -o br0 -j MASQUERADE',
      ruleSyntax: 'iptables',
      verdict: 'masquerade',
      effect: 'source 172.17.0.100 -> 10.0.2.15',
    },
  );
  t.is(host?.fate, 'left host by eth0');
  t.true(
    host?.raw.some((l) => /^trace id \S+ ip nat POSTROUTING rule .*masquerade/.test(l)),
    "the monitor's own line is kept",
  );
  // Before the rule, the same packet leaves unchanged; before ip_forward, it is not forwarded at all.
  t.false(stepOf(r.steps, 'forward').trace?.lines.some((l) => l.includes('MASQUERADE')));
  t.true(
    stepOf(r.steps, 'forward').trace?.lines.includes(
      '  [host] out eth0: 172.17.0.100 -> 203.0.113.8 ICMP echo-request ttl=63',
    ),
  );
  t.regex(stepOf(r.steps, 'observe').trace?.lines.join('\n') ?? '', NOT_FORWARDED);
  // Every step's first probe was traced.
  t.deepEqual(
    r.steps.filter((s) => !s.trace).map((s) => s.id),
    [],
  );
});

test('--trace on 03 --skip forward shows where the packet stopped', async (t) => {
  const r = await traced(['--skip', 'forward']);
  t.is(r.exitCode, 1);
  for (const id of ['forward', 'masquerade']) {
    const tr = stepOf(r.steps, id).trace;
    const host = tr?.nodes.find((n) => n.node === 'host');
    t.regex(host?.fate ?? '', /^not forwarded: net\.ipv4\.ip_forward is 0 in host/, id);
    t.deepEqual(host?.lines.slice(0, 1), ['in br0: 172.17.0.100 -> 203.0.113.8 ICMP echo-request ttl=64'], id);
    t.deepEqual(host?.hops, [], `${id}: no chain of the host saw it after prerouting`);
    t.false(
      host?.lines.some((l) => /^(out|forwarded|delivered) /.test(l)),
      id,
    );
  }
  t.regex(r.stdout, NOT_FORWARDED);
});

test.serial(
  'after a trace the nft table and the monitor are gone, even when a leftover table was in the way',
  async (t) => {
    const session = await LabSession.open(await loadLab('03-masquerade'), { events: new LabEvents() });
    const inNode = async (node: string, cmd: string): Promise<string> => {
      // The system's nft: the test's PATH starts with node_modules/.bin, where @vercel/nft has an `nft` too.
      const line = `PATH=/usr/sbin:/usr/bin:/sbin:/bin; ${node === 'host' ? cmd : `nsenter --net=/run/netns/${node} ${cmd}`}`;
      const sh = session.shell('host', ['sh', '-c', line]);
      const r = await execa(sh.argv[0]!, sh.argv.slice(1), { env: sh.env, reject: false });
      return `${String(r.stdout)}${String(r.stderr)}`;
    };
    try {
      for (const s of session.steps) await session.runCommands(s.id);
      // A table left by an interrupted trace must not stop the next one.
      await inNode('host', 'nft add table inet lab_trace');
      t.regex(await inNode('host', 'nft list tables'), /inet lab_trace/);
      const tr = await session.trace('masquerade');
      t.is(tr.error, undefined);
      t.true(tr.lines.includes(`  ${MASQ_LINE}`), tr.lines.join('\n'));
      for (const node of ['host', 'mycontainer']) {
        const rules = await inNode(node, 'nft list ruleset');
        t.notRegex(rules, /lab_trace|nftrace/, node);
      }
      t.regex(await inNode('host', 'nft list ruleset'), /masquerade/, "the lab's own rules stay");
      t.deepEqual(descendants('nft -a monitor'), []);
      // Tracing again in the same session works: the table of the first trace is not in the way.
      t.regex((await session.trace('masquerade')).lines.join('\n'), /MASQUERADE/, 'a second trace works as well');
    } finally {
      await session.close();
    }
  },
);

test.serial('a rule inserted before MASQUERADE that the packet does not match is listed, with why', async (t) => {
  const session = await LabSession.open(await loadLab('03-masquerade'), { events: new LabEvents() });
  try {
    for (const s of session.steps) await session.runCommands(s.id);
    const sh = session.shell('host', [
      'sh',
      '-c',
      'PATH=/usr/sbin:/usr/bin:/sbin:/bin; iptables -t nat -I POSTROUTING -s 172.18.0.0/24 ! -o br0 -j MASQUERADE',
    ]);
    const ins = await execa(sh.argv[0]!, sh.argv.slice(1), { env: sh.env, reject: false });
    t.is(ins.exitCode, 0, String(ins.stderr));
    const tr = await session.trace('masquerade');
    t.is(tr.error, undefined);
    const miss =
      '  [host] nat POSTROUTING  rule -s 172.18.0.0/24 ! -o br0 -j MASQUERADE  -> not matched: source 172.17.0.100 is not in 172.18.0.0/24';
    const at = tr.lines.indexOf(miss);
    t.true(at > 0, tr.lines.join('\n'));
    t.is(tr.lines.indexOf(`  ${MASQ_LINE}`), at + 1, tr.lines.join('\n'));
  } finally {
    await session.close();
  }
});
