// Runner side of one node's capture child: started once, answers syncs, streams frames by interface.
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RawFrame } from './types.js';
import { FRAME, FrameReader, type SyncReply } from './wire.js';

export const CHILD_PATH = fileURLToPath(new URL('./child.js', import.meta.url));
const READY_MS = 5_000;
const SYNC_MS = 2_000;

export interface IfaceInfo {
  name: string;
  ifindex: number;
  linktype: number;
}

export interface NodeCaptureOptions {
  node: string;
  ifaces?: string[]; // the only interfaces to capture on (default: every one that is up)
  spawn: (argv: string[]) => ChildProcess; // runs argv in the node's network namespace
  onFrame: (iface: IfaceInfo, frame: RawFrame) => void;
}

// The child's argv: a private mount namespace whose /sys shows this node's interfaces.
export function childArgv(ifaces: string[] = []): string[] {
  return [
    'unshare',
    '--mount',
    '--propagation',
    'private',
    'sh',
    '-c',
    'mount -t sysfs lab-sys /sys && exec "$0" "$@"',
    process.execPath,
    CHILD_PATH,
    ...ifaces,
  ];
}

export class NodeCapture {
  readonly node: string;
  lastFrameAt = 0; // performance.now() of the last frame received
  private readonly child: ChildProcess;
  private readonly slots = new Map<number, IfaceInfo>();
  private readonly waiting = new Map<number, (r: SyncReply) => void>();
  private nextId = 1;
  private deathReason: string | undefined;
  private readonly exited: Promise<void>;
  private readonly readyPromise: Promise<void>;

  private constructor(opts: NodeCaptureOptions) {
    this.node = opts.node;
    this.child = opts.spawn(childArgv(opts.ifaces));
    let stderr = '';
    this.child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    this.child.stdin?.on('error', () => undefined);
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    const reader = new FrameReader();
    this.readyPromise = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`capture in ${this.node} not ready after ${READY_MS} ms`)),
        READY_MS,
      );
      this.child.once('exit', (code, signal) => {
        clearTimeout(timer);
        this.deathReason ??= `capture in ${this.node} exited (${signal ?? `code ${code}`})${stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : ''}`;
        reject(new Error(this.deathReason));
      });
      this.child.stdout?.on('data', (chunk: Buffer) =>
        reader.push(chunk, (type, payload) => {
          if (type === FRAME.packet) this.onPacket(payload, opts);
          else if (type === FRAME.iface) {
            const i = JSON.parse(payload.toString()) as IfaceInfo & { slot: number };
            this.slots.set(i.slot, { name: i.name, ifindex: i.ifindex, linktype: i.linktype });
          } else if (type === FRAME.sync) {
            const r = JSON.parse(payload.toString()) as SyncReply;
            this.waiting.get(r.id)?.(r);
            this.waiting.delete(r.id);
          } else if (type === FRAME.ready) {
            clearTimeout(timer);
            resolve();
          }
        }),
      );
    });
    this.readyPromise.catch(() => undefined);
  }

  // Starts the child in the node and resolves once it listens (bounded).
  static async start(opts: NodeCaptureOptions): Promise<NodeCapture> {
    const c = new NodeCapture(opts);
    try {
      await c.readyPromise;
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  // libpcap's link type of an open interface (Ethernet for veths, bridges and loopback).
  linktypeOf(iface: string): number {
    for (const i of this.slots.values()) if (i.name === iface) return i.linktype;
    return 1;
  }

  // Why the child is gone, or undefined while it runs.
  get died(): string | undefined {
    return this.deathReason;
  }

  private onPacket(payload: Buffer, opts: NodeCaptureOptions): void {
    const iface = this.slots.get(payload.readUInt16LE(0));
    if (!iface) return;
    this.lastFrameAt = performance.now();
    opts.onFrame(iface, {
      tsUs: payload.readUInt32LE(2) * 1e6 + payload.readUInt32LE(6),
      caplen: payload.readUInt32LE(10),
      len: payload.readUInt32LE(14),
      data: payload.subarray(18),
    });
  }

  // Asks the child to rescan and report; rejects when it died or does not answer in time (stalled).
  // `ifaces`: the interfaces the caller needs open now (the rest open on the child's next scan);
  // `opening`: a window opens (its probes follow, the child's idle time).
  sync(ifaces?: string[], opening = false): Promise<SyncReply> {
    if (this.deathReason) return Promise.reject(new Error(this.deathReason));
    const id = this.nextId++;
    return new Promise<SyncReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`capture in ${this.node} stalled: no answer in ${SYNC_MS} ms`));
      }, SYNC_MS);
      const onExit = (): void => {
        clearTimeout(timer);
        reject(new Error(this.deathReason ?? `capture in ${this.node} exited`));
      };
      this.child.once('exit', onExit);
      this.waiting.set(id, (r) => {
        clearTimeout(timer);
        this.child.off('exit', onExit);
        resolve(r);
      });
      this.child.stdin?.write(
        `${JSON.stringify({ op: 'sync', id, ...(ifaces ? { ifaces } : {}), ...(opening ? { opening } : {}) })}\n`,
      );
    });
  }

  // Keeps only these interfaces open in the child (see child.ts); a window may still ask for others.
  want(ifaces: string[]): void {
    if (!this.deathReason) this.child.stdin?.write(`${JSON.stringify({ op: 'want', ifaces })}\n`);
  }

  // Ends the child: EOF first, SIGKILL if it lingers.
  async stop(): Promise<void> {
    this.deathReason ??= 'capture stopped';
    this.child.stdin?.end();
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 1_000);
    await this.exited;
    clearTimeout(killer);
  }
}
