// Our decoder against `tcpdump -nn -r` on the same big pcap file (made from the fixtures).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeFrame } from '../src/capture/decode.js';
import { eachPcapFrame, PcapWriter, readPcap } from '../src/capture/pcap-file.js';
import { median, timed } from './measure.js';

export interface DecodeVsTcpdump {
  frames: number;
  fileMiB: number;
  oursMs: number; // read the file and decode every frame as it is read, in process
  oursKeepAllMs: number; // the same, but readPcap first: all 200k frames held in memory, then decoded
  oursDecodeOnlyMs: number; // decode only, frames already in memory (the second part of oursKeepAllMs)
  tcpdumpMs: number; // tcpdump -nn -r FILE > /dev/null, the whole process
  tcpdumpCpuMs: number;
}

const ETHERNET_FIXTURES = ['icmp-echo', 'tcp-rst', 'http', 'udp', 'icmpv6'];

// Writes `total` frames cycling through the Ethernet fixtures, 10 us apart, with PcapWriter.
function makePcap(root: string, path: string, total: number): void {
  const frames = ETHERNET_FIXTURES.flatMap((n) => readPcap(`${root}fixtures/pcap/${n}.pcap`).frames);
  const w = PcapWriter.open(path, 1);
  const t0 = 1_700_000_000_000_000;
  for (let i = 0; i < total; i++) w.write({ ...frames[i % frames.length]!, tsUs: t0 + i * 10 });
  w.close();
}

// Reads the file and decodes each frame as it comes, as tcpdump -r does; returns the time and the packets decoded.
function streamOnce(path: string): { ms: number; n: number } {
  const t = performance.now();
  let n = 0;
  eachPcapFrame(path, (f, linktype) => {
    if (decodeFrame(f, linktype).proto !== undefined) n++;
  });
  return { ms: performance.now() - t, n };
}

// Loads every frame with readPcap, then decodes them all; returns both times and the packets decoded.
function keepAllOnce(path: string): { ms: number; decodeMs: number; n: number } {
  const t = performance.now();
  const { linktype, frames } = readPcap(path);
  const t1 = performance.now();
  let n = 0;
  for (const f of frames) if (decodeFrame(f, linktype).proto !== undefined) n++;
  const end = performance.now();
  return { ms: end - t, decodeMs: end - t1, n };
}

// Median of `runs` rounds each, ours and tcpdump's, alternating.
export async function decodeVsTcpdump(root: string, total = 200_000, runs = 5): Promise<DecodeVsTcpdump> {
  const dir = mkdtempSync(join(tmpdir(), 'lab-bench-pcap-'));
  try {
    const path = join(dir, 'big.pcap');
    makePcap(root, path, total);
    // The shell redirects, as `tcpdump -nn -r FILE > /dev/null` would on a command line.
    const tcpdump = ['sh', '-c', 'exec tcpdump -nn -r "$1" > /dev/null 2>&1', 'tcpdump', path];
    streamOnce(path); // warm-up: JIT and page cache
    keepAllOnce(path);
    await timed(tcpdump);
    const ours: number[] = [];
    const keepAll: number[] = [];
    const decodeOnly: number[] = [];
    const td: number[] = [];
    const tdCpu: number[] = [];
    for (let i = 0; i < runs; i++) {
      const o = streamOnce(path);
      const k = keepAllOnce(path);
      for (const got of [o.n, k.n]) if (got !== total) throw new Error(`decoded ${got} of ${total} frames`);
      ours.push(o.ms);
      keepAll.push(k.ms);
      decodeOnly.push(k.decodeMs);
      const s = await timed(tcpdump);
      if (s.exitCode !== 0) throw new Error(`tcpdump -r failed: ${s.output}`);
      td.push(s.wallMs);
      if (s.cpuMs !== undefined) tdCpu.push(s.cpuMs);
    }
    return {
      frames: total,
      fileMiB: statSync(path).size / 2 ** 20,
      oursMs: median(ours),
      oursKeepAllMs: median(keepAll),
      oursDecodeOnlyMs: median(decodeOnly),
      tcpdumpMs: median(td),
      tcpdumpCpuMs: median(tdCpu),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
