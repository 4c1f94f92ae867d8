// npm run bench: decoder and flow throughput, sandbox and capture latency, a whole lab, memory.
// Figures go to stdout as a table and to .bench/latest.json; nothing here asserts a time.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { decodeFrame } from '../src/capture/decode.js';
import { FlowTable } from '../src/capture/flows.js';
import { readPcap } from '../src/capture/pcap-file.js';
import { CaptureHub } from '../src/capture/hub.js';
import { ensureRootfs } from '../src/sandbox/rootfs.js';
import { Sandbox } from '../src/sandbox/sandbox.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const rows: [string, string][] = [];
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

// Decodes every fixture frame over and over.
function benchDecode(): void {
  const frames = ['icmp-echo', 'tcp-rst', 'http', 'udp', 'icmpv6'].flatMap((n) => readPcap(`${root}fixtures/pcap/${n}.pcap`).frames);
  const total = 2_000_000;
  for (let i = 0; i < 50_000; i++) decodeFrame(frames[i % frames.length]!);
  let t = performance.now();
  const packets = [];
  for (let i = 0; i < total; i++) {
    const p = decodeFrame(frames[i % frames.length]!);
    if (i < 200_000) packets.push(p);
  }
  rows.push(['decode (fixture mix)', `${((total / (performance.now() - t)) * 1000 / 1e6).toFixed(2)} M packets/s`]);
  t = performance.now();
  const table = new FlowTable();
  for (let r = 0; r < 10; r++) for (const p of packets) table.add(p);
  rows.push(['flow assembly', `${((packets.length * 10 / (performance.now() - t)) * 1000 / 1e6).toFixed(2)} M packets/s`]);
}

// Sandbox up and down, and a capture armed, measured a few times each.
async function benchSandbox(): Promise<void> {
  const up: number[] = [];
  const down: number[] = [];
  const armed: number[] = [];
  const rootfs = (await ensureRootfs()).path;
  for (let i = 0; i < 7; i++) {
    let t = performance.now();
    const sb = await Sandbox.create({ lab: '00-bench', topology: { containers: { c1: {} } }, rootfs });
    up.push(performance.now() - t);
    t = performance.now();
    const hub = new CaptureHub((node, argv) => sb.spawn(node, argv), () => undefined);
    await hub.closeWindow(await hub.openWindow(['host:eth0']));
    armed.push(performance.now() - t);
    await hub.close();
    t = performance.now();
    await sb.teardown();
    down.push(performance.now() - t);
  }
  rows.push(['sandbox up (host, wan, 1 container on its overlay, wan web server)', `${median(up).toFixed(0)} ms median of 7`]);
  rows.push(['captures of a node armed (child spawned, libpcap open, one empty window)', `${median(armed).toFixed(0)} ms median of 7`]);
  rows.push(['sandbox teardown', `${median(down).toFixed(0)} ms median of 7`]);
}

// The whole CLI on 03-masquerade, as a user runs it.
async function benchLab(): Promise<void> {
  const times: number[] = [];
  let rss = 0;
  for (let i = 0; i < 3; i++) {
    const cli = [process.execPath, `${root}dist/src/cli/main.js`, 'check', '03-masquerade', '--json'];
    const r = existsSync('/usr/bin/time') ? await execa('/usr/bin/time', ['-f', '%M', ...cli], { reject: false, env: { CI: 'true' } }) : await execa(cli[0]!, cli.slice(1), { reject: false, env: { CI: 'true' } });
    if (r.exitCode !== 0) throw new Error(`03-masquerade failed in the benchmark: ${String(r.stderr)}`);
    times.push((JSON.parse(String(r.stdout)) as { durationMs: number }).durationMs);
    rss = Math.max(rss, Number(String(r.stderr).trim().split('\n').pop()) || 0);
  }
  rows.push(['lab check 03-masquerade (5 steps, 9 captures)', `${(median(times) / 1000).toFixed(2)} s median of 3`]);
  if (rss) rows.push(['runner peak RSS during 03-masquerade', `${(rss / 1024).toFixed(0)} MiB`]);
}

benchDecode();
if (process.getuid?.() === 0) {
  await benchSandbox();
  await benchLab();
} else rows.push(['sandbox, capture, lab', 'skipped: needs root']);
const width = Math.max(...rows.map(([k]) => k.length));
for (const [k, v] of rows) process.stdout.write(`${k.padEnd(width)}  ${v}\n`);
mkdirSync(`${root}.bench`, { recursive: true });
writeFileSync(`${root}.bench/latest.json`, `${JSON.stringify({ at: new Date().toISOString(), node: process.version, rows }, null, 2)}\n`);
