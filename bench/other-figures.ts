// Figures of the parts on their own: decoder and flow throughput in memory, sandbox and capture latency.
import { decodeFrame } from '../src/capture/decode.js';
import { FlowTable } from '../src/capture/flows.js';
import { readPcap } from '../src/capture/pcap-file.js';
import { CaptureHub } from '../src/capture/hub.js';
import { ensureRootfs } from '../src/sandbox/rootfs.js';
import { Sandbox } from '../src/sandbox/sandbox.js';
import { median, timed } from './measure.js';

export type Row = [string, string];

// Decodes every fixture frame over and over, then assembles flows from the packets.
export function benchDecode(root: string): Row[] {
  const rows: Row[] = [];
  const frames = ['icmp-echo', 'tcp-rst', 'http', 'udp', 'icmpv6'].flatMap(
    (n) => readPcap(`${root}fixtures/pcap/${n}.pcap`).frames,
  );
  const total = 2_000_000;
  for (let i = 0; i < 50_000; i++) decodeFrame(frames[i % frames.length]!);
  let t = performance.now();
  const packets = [];
  for (let i = 0; i < total; i++) {
    const p = decodeFrame(frames[i % frames.length]!);
    if (i < 200_000) packets.push(p);
  }
  rows.push([
    'decode (fixture mix, in memory)',
    `${(((total / (performance.now() - t)) * 1000) / 1e6).toFixed(2)} M packets/s`,
  ]);
  t = performance.now();
  const table = new FlowTable();
  for (let r = 0; r < 10; r++) for (const p of packets) table.add(p);
  rows.push([
    'flow assembly',
    `${((((packets.length * 10) / (performance.now() - t)) * 1000) / 1e6).toFixed(2)} M packets/s`,
  ]);
  return rows;
}

// Sandbox up and down, and a capture armed, measured a few times each.
export async function benchSandbox(): Promise<Row[]> {
  const up: number[] = [];
  const down: number[] = [];
  const armed: number[] = [];
  const rootfs = (await ensureRootfs()).path;
  for (let i = 0; i < 7; i++) {
    let t = performance.now();
    const sb = await Sandbox.create({ lab: '00-bench', topology: { containers: { c1: {} } }, rootfs });
    up.push(performance.now() - t);
    t = performance.now();
    const hub = new CaptureHub(
      (node, argv) => sb.spawn(node, argv),
      () => undefined,
      ['host:eth0'],
    );
    await hub.closeWindow(await hub.openWindow(['host:eth0']));
    armed.push(performance.now() - t);
    await hub.close();
    t = performance.now();
    await sb.teardown();
    down.push(performance.now() - t);
  }
  return [
    ['sandbox up (host, wan, 1 container on its overlay, wan web server)', `${median(up).toFixed(0)} ms median of 7`],
    [
      'captures of a node armed (child spawned, libpcap open, one empty window)',
      `${median(armed).toFixed(0)} ms median of 7`,
    ],
    ['sandbox teardown', `${median(down).toFixed(0)} ms median of 7`],
  ];
}

// The launcher's no-op path (./lab runs scripts/setup.sh before the CLI, every time).
export async function benchLauncher(root: string): Promise<Row[]> {
  const walls: number[] = [];
  for (let i = 0; i < 6; i++) {
    const s = await timed(['bash', `${root}scripts/setup.sh`]);
    if (s.exitCode !== 0)
      return [['launcher no-op (scripts/setup.sh)', `failed: ${s.output.trim().split('\n').pop() ?? ''}`]];
    if (i > 0) walls.push(s.wallMs);
  }
  return [['launcher no-op (scripts/setup.sh, as ./lab runs it first)', `${median(walls).toFixed(0)} ms median of 5`]];
}
