// Runner side of a live capture: spawn the child in a node, wait until armed, collect, stop on quiet.
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { decodeFrame } from './decode.js';
import { PcapWriter } from './pcap-file.js';
import type { Packet, RawFrame } from './types.js';
import { FRAME, FrameReader } from './wire.js';

export const CHILD_PATH = fileURLToPath(new URL('./child.js', import.meta.url));

export interface CaptureOptions {
  point: string; // node:iface
  iface: string;
  spawn: (argv: string[]) => ChildProcess; // runs argv inside the point's node
  pcapPath?: string; // stream every frame into this pcap file (--save-pcap)
  onPacket?: (p: Packet) => void;
  readyTimeoutMs?: number;
}

export interface CaptureOutcome {
  point: string;
  ready: boolean;
  error?: string;
  drops: number;
  packets: Packet[];
  linktype: number;
  readyAt: number; // performance.now() when armed
  windowMs: number;
}

const QUIET_MS = 30; // three libpcap buffer timeouts without a packet: the pipe is drained
const MAX_DRAIN_MS = 1_000;

export class Capture {
  readonly point: string;
  readonly ready: Promise<void>;
  private readonly child: ChildProcess;
  private readonly out: CaptureOutcome;
  private lastPacketAt = 0;
  private writer: PcapWriter | undefined;
  private readonly exited: Promise<void>;

  constructor(opts: CaptureOptions) {
    this.point = opts.point;
    this.out = { point: opts.point, ready: false, drops: 0, packets: [], linktype: 1, readyAt: 0, windowMs: 0 };
    this.child = opts.spawn([process.execPath, CHILD_PATH, opts.iface]);
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    let stderr = '';
    this.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    this.child.stdin?.on('error', () => undefined);
    const reader = new FrameReader();
    this.ready = new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.fail(`not ready after ${opts.readyTimeoutMs ?? 5000} ms`, resolve), opts.readyTimeoutMs ?? 5000);
      this.child.once('exit', (code) => {
        clearTimeout(timer);
        if (!this.out.ready) this.fail(this.out.error ?? (stderr.trim() || `capture exited with ${code}`), resolve);
      });
      this.child.stdout?.on('data', (chunk: Buffer) =>
        reader.push(chunk, (type, payload) => {
          if (type === FRAME.packet) this.onFrame(payload, opts);
          else if (type === FRAME.ready) {
            clearTimeout(timer);
            this.out.ready = true;
            this.out.readyAt = performance.now();
            this.out.linktype = (JSON.parse(payload.toString()) as { linktype: number }).linktype;
            if (opts.pcapPath) this.writer = PcapWriter.open(opts.pcapPath, this.out.linktype);
            resolve();
          } else if (type === FRAME.stats) this.out.drops = (JSON.parse(payload.toString()) as { drops: number }).drops;
          else if (type === FRAME.error) this.out.error = `cannot capture on ${opts.point}: ${(JSON.parse(payload.toString()) as { message: string }).message}`;
        }),
      );
    });
  }

  private fail(message: string, resolve: () => void): void {
    this.out.error ??= message;
    resolve();
  }

  private onFrame(payload: Buffer, opts: CaptureOptions): void {
    const frame: RawFrame = {
      tsUs: payload.readUInt32LE(0) * 1e6 + payload.readUInt32LE(4),
      caplen: payload.readUInt32LE(8),
      len: payload.readUInt32LE(12),
      data: payload.subarray(16),
    };
    this.lastPacketAt = performance.now();
    const p = decodeFrame(frame, this.out.linktype);
    this.out.packets.push(p);
    this.writer?.write(frame);
    opts.onPacket?.(p);
  }

  // Waits until the capture has been quiet for a moment (bounded), then stops the child and reports.
  async stop(): Promise<CaptureOutcome> {
    if (this.out.ready && !this.out.error) {
      const deadline = performance.now() + MAX_DRAIN_MS;
      const start = performance.now();
      while (performance.now() < deadline) {
        const since = performance.now() - Math.max(this.lastPacketAt, start);
        if (since >= QUIET_MS) break;
        await new Promise((r) => setTimeout(r, QUIET_MS - since));
      }
    }
    this.out.windowMs = this.out.ready ? performance.now() - this.out.readyAt : 0;
    this.child.stdin?.end();
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 2_000);
    await this.exited;
    clearTimeout(killer);
    this.writer?.close();
    return this.out;
  }
}
