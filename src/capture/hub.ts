// Live captures for a whole session: one child per node, a stream of decoded packets per point,
// and check windows (mark, probe, drain, judge) over that stream.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { decodeFrame, type DecodeOptions } from './decode.js';
import { NodeCapture, type IfaceInfo } from './node-capture.js';
import type { PcapWriter } from './pcap-file.js';
import type { Packet, RawFrame } from './types.js';
import type { SyncReply } from './wire.js';
import { makeOutputDir } from '../sys/output-file.js';

const QUIET_MS = 30; // without a frame after the probes (frames come as they arrive), then a sync drains libpcap
const MAX_DRAIN_MS = 1_000;

export interface PointOutcome {
  point: string;
  ready: boolean; // armed before the probes
  error?: string; // why this point cannot vouch for the window
  drops: number; // dropped during the window; -1 when libpcap could not say
  packets: Packet[];
  windowMs: number;
  pcapPath?: string;
}

interface PointState {
  point: string;
  node: string;
  iface: string;
  ifindex?: number;
  dropsAtStart: number;
  error?: string;
  packets: Packet[];
  writer?: PcapWriter;
  pcapPath?: string;
}

export interface CaptureWindow {
  readonly openedAt: number;
  readonly points: Map<string, PointState>;
}

// "host:br0" -> ["host", "br0"].
export function splitPoint(point: string): [string, string] {
  const i = point.indexOf(':');
  return [point.slice(0, i), point.slice(i + 1)];
}

export class CaptureHub {
  private readonly nodes = new Map<string, Promise<NodeCapture>>();
  private readonly windows = new Set<CaptureWindow>();
  private closed = false;

  // `points`: the only points a window or a listener will ask for; each child opens just those
  // interfaces (every libpcap socket costs a kernel grace period to open and another to close).
  constructor(
    private readonly spawnIn: (node: string, argv: string[]) => ChildProcess,
    private readonly onPacket: (point: string, packet: Packet) => void,
    private readonly points?: string[],
    private readonly decode: DecodeOptions = {},
  ) {}

  // The node's capture child, started (or restarted after it died) on first need.
  async ensure(node: string): Promise<NodeCapture> {
    const running = this.nodes.get(node);
    if (running) {
      const c = await running.catch(() => undefined);
      if (c && !c.died) return c;
    }
    if (this.closed) throw new Error('the session is closed');
    const ifaces = this.points
      ?.map(splitPoint)
      .filter(([n]) => n === node)
      .map(([, i]) => i);
    const started = NodeCapture.start({
      node,
      ...(ifaces ? { ifaces } : {}),
      spawn: (argv) => this.spawnIn(node, argv),
      onFrame: (iface, frame) => this.frame(node, iface, frame),
    });
    this.nodes.set(node, started);
    return started;
  }

  private frame(node: string, iface: IfaceInfo, frame: RawFrame): void {
    const point = `${node}:${iface.name}`;
    const packet = decodeFrame(frame, iface.linktype, this.decode);
    for (const w of this.windows) {
      const st = w.points.get(point);
      if (!st || st.error || st.ifindex !== iface.ifindex) continue;
      st.packets.push(packet);
      st.writer?.write(frame);
    }
    this.onPacket(point, packet);
  }

  // Marks the start of a check window: every point's interface must be open in its node.
  async openWindow(points: string[], pcapDir?: string): Promise<CaptureWindow> {
    const w: CaptureWindow = { openedAt: performance.now(), points: new Map() };
    const replies = await this.syncAll(points);
    if (pcapDir) makeOutputDir(pcapDir); // a folder the user named: no planted link followed on the way
    for (const point of points) {
      const [node, iface] = splitPoint(point);
      const st: PointState = { point, node, iface, dropsAtStart: 0, packets: [] };
      const r = replies.get(node);
      if (r instanceof Error) st.error = r.message;
      else if (r) {
        const open = r.ifaces.find((i) => i.name === iface);
        if (!open)
          st.error = r.refused[iface]
            ? `cannot capture on ${point}: ${r.refused[iface]}`
            : `cannot capture on ${point}: ${node} has no interface ${iface}`;
        else {
          st.ifindex = open.ifindex;
          st.dropsAtStart = open.drops;
          if (pcapDir) {
            st.pcapPath = join(pcapDir, `${point.replace(':', '-')}.pcap`);
            const capture = await this.nodes.get(node);
            const { PcapWriter } = await import('./pcap-file.js'); // only --save-pcap writes files
            st.writer = PcapWriter.open(st.pcapPath, capture?.linktypeOf(iface) ?? 1);
          }
        }
      }
      w.points.set(point, st);
    }
    this.windows.add(w);
    return w;
  }

  // Ends a window: waits for the stream to drain (bounded), then proves each child alive and lossless.
  async closeWindow(w: CaptureWindow): Promise<PointOutcome[]> {
    const nodes = [...new Set([...w.points.values()].map((s) => s.node))];
    const start = performance.now();
    const deadline = start + MAX_DRAIN_MS;
    for (;;) {
      const captures = await Promise.all(nodes.map((n) => this.nodes.get(n)?.catch(() => undefined)));
      const last = Math.max(start, ...captures.map((c) => c?.lastFrameAt ?? 0));
      const since = performance.now() - last;
      if (since >= QUIET_MS || performance.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, QUIET_MS - since));
    }
    const replies = await this.syncAll([...w.points.keys()], false);
    this.windows.delete(w);
    const windowMs = performance.now() - w.openedAt;
    return [...w.points.values()].map((st) => {
      st.writer?.close();
      const base = {
        point: st.point,
        packets: st.packets,
        windowMs,
        ...(st.pcapPath ? { pcapPath: st.pcapPath } : {}),
      };
      if (st.error) return { ...base, ready: false, error: st.error, drops: 0 };
      const r = replies.get(st.node);
      if (r instanceof Error || !r)
        return {
          ...base,
          ready: true,
          error: `${r?.message ?? 'no capture'} (during the check window at ${st.point})`,
          drops: -1,
        };
      const now = r.ifaces.find((i) => i.name === st.iface);
      if (!now || now.ifindex !== st.ifindex)
        return { ...base, ready: true, error: `${st.point} went away during the check window`, drops: -1 };
      const drops = now.drops < 0 || st.dropsAtStart < 0 ? -1 : now.drops - st.dropsAtStart;
      return { ...base, ready: true, drops };
    });
  }

  // Syncs the child of each node of the points, which opens those points' interfaces first; an Error
  // stands for a child that could not start, died or stalled.
  private async syncAll(points: string[], opening = true): Promise<Map<string, SyncReply | Error>> {
    const out = new Map<string, SyncReply | Error>();
    const byNode = new Map<string, string[]>();
    for (const [n, i] of points.map(splitPoint)) byNode.set(n, [...(byNode.get(n) ?? []), i]);
    await Promise.all(
      [...byNode].map(async ([n, ifaces]) => {
        try {
          const c = opening ? await this.ensure(n) : await this.nodes.get(n);
          if (!c) throw new Error(`no capture in ${n}`);
          out.set(n, await c.sync(ifaces, opening));
        } catch (err) {
          out.set(n, err as Error);
        }
      }),
    );
    return out;
  }

  // Keeps only these points' interfaces open (a driver that runs each step once, in order, no longer
  // needs the others); a later window may still open any point.
  async keepOnly(points: string[]): Promise<void> {
    const split = points.map(splitPoint);
    for (const [node, started] of this.nodes) {
      const c = await started.catch(() => undefined);
      c?.want(split.filter(([n]) => n === node).map(([, i]) => i));
    }
  }

  // Stops every child; the session is over.
  async close(): Promise<void> {
    this.closed = true;
    const all = await Promise.all([...this.nodes.values()].map((p) => p.catch(() => undefined)));
    await Promise.all(all.map((c) => c?.stop()));
  }
}
