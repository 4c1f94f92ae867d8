// Capture child: lives in one node's network namespace (with a /sys of its own mounted by its
// launcher) for the whole session, keeps one libpcap session per interface that is up, and streams
// raw frames tagged with their interface. node_pcap cannot pick libpcap's LINUX_SLL2 link type, and
// the `any` device's SLL v1 frames do not say which interface they crossed, hence one session each.
// Usage: node child.js [IFACE...]   (only those interfaces, else all; stdin: one JSON request per line; EOF ends it)
// Requests: {"op":"sync","id":N,"ifaces":[...],"opening":true} opens those (if up), drains, reports (a
// window's opening sync); {"op":"want","ifaces":[...]}: keep only those open from then on.
import { readdirSync, readFileSync } from 'node:fs';
import { LiveSession } from './libpcap.js';
import { encodeFrame, FRAME, type IfaceReport, type SyncReply } from './wire.js';

interface Open {
  slot: number;
  name: string;
  ifindex: number;
  linktype: number;
  session: LiveSession;
}

// Between scans for interfaces made, re-made or gone (a window's sync scans at once for what it needs,
// so this only paces the live stream's view of a new interface); each scan costs the child CPU.
const SCAN_MS = 250;
// Enough for any frame at a 1500-byte MTU; longer ones (loopback, offloads) keep their headers and start.
const SNAPLEN = 2048;
// Lab traffic is a few packets per millisecond at most; a small ring keeps memory low, drops are reported.
const BUFFER_BYTES = 1024 * 1024;
// The interfaces kept open (undefined: every one that is up); a window may still ask for another.
let wanted: Set<string> | undefined = process.argv.length > 2 ? new Set(process.argv.slice(2)) : undefined;
const open = new Map<string, Open>();
const refused = new Map<string, string>(); // interface -> why it could not be opened (e.g. down)
let nextSlot = 0;

// Writes one frame; stdout is a pipe, which Node writes synchronously on Linux.
function send(type: number, payload: Buffer): void {
  process.stdout.write(encodeFrame(type, payload));
}

function json(type: number, value: unknown): void {
  send(type, Buffer.from(JSON.stringify(value)));
}

// Interfaces of this namespace as /sys shows them: name and index (whether one is up is read only
// for those to open: this runs every SCAN_MS in every node's capture, the whole time a lab is up).
function links(): { name: string; ifindex: number }[] {
  const out = [];
  for (const name of readdirSync('/sys/class/net')) {
    try {
      out.push({ name, ifindex: Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8')) });
    } catch {
      // vanished while listing
    }
  }
  return out;
}

// Whether an interface is up (IFF_UP); false when it vanished meanwhile.
function isUp(name: string): boolean {
  try {
    return (Number.parseInt(readFileSync(`/sys/class/net/${name}/flags`, 'utf8'), 16) & 1) === 1;
  } catch {
    return false;
  }
}

function openIface(name: string, ifindex: number): void {
  try {
    const slot = nextSlot++;
    const head = Buffer.alloc(2);
    head.writeUInt16LE(slot, 0);
    // Immediate mode: each frame is passed on as it arrives, so a window's quiet time is not spent in a
    // buffer timeout. libpcap reuses one buffer for every packet: Buffer.concat copies before it is overwritten.
    const session = new LiveSession(
      name,
      { snaplen: SNAPLEN, bufferBytes: BUFFER_BYTES, timeoutMs: 0 },
      (header, data) => send(FRAME.packet, Buffer.concat([head, header, data])),
    );
    const o: Open = { slot, name, ifindex, linktype: session.linktype, session };
    open.set(name, o);
    refused.delete(name);
    json(FRAME.iface, { slot: o.slot, name, ifindex, linktype: o.linktype });
  } catch (err) {
    refused.set(name, String((err as Error).message ?? err));
  }
}

function closeIface(o: Open): void {
  open.delete(o.name);
  try {
    o.session.close();
  } catch {
    // its interface is gone already
  }
}

// Opens interfaces that came up, reopens ones that were re-created, closes ones that went away. With
// `only`, opens just those now (a window waits for them; the timer opens the rest a moment later).
function scan(only?: Set<string>): void {
  const seen = links();
  const names = new Set(seen.map((l) => l.name));
  for (const o of [...open.values()]) if (!names.has(o.name)) closeIface(o);
  for (const name of refused.keys()) if (!names.has(name)) refused.delete(name);
  for (const l of seen) {
    const o = open.get(l.name);
    if (o && o.ifindex !== l.ifindex) closeIface(o);
    if (!open.has(l.name) && (only ? only.has(l.name) : !wanted || wanted.has(l.name))) {
      if (isUp(l.name)) openIface(l.name, l.ifindex);
      else refused.set(l.name, 'the interface is down');
    }
  }
}

// Keeps only these interfaces open. The others close after the next sync's answer, while that window's
// probes run: each costs the kernel grace periods, which would hold up a window if spent now, and add
// up at the end of the run if left for the exit.
function want(ifaces: string[]): void {
  wanted = new Set(ifaces);
  for (const name of [...refused.keys()]) if (!wanted.has(name)) refused.delete(name);
}

// Closes the open interfaces no longer wanted (see want).
function closeUnwanted(): void {
  for (const o of [...open.values()]) if (wanted && !wanted.has(o.name)) closeIface(o);
}

// Answers a sync: after a fresh scan and a drain, what is open, with drop counts, and what is not.
function sync(id: number, now?: string[], opening = false): void {
  if (opening) for (const i of now ?? []) wanted?.add(i); // what a window looks at is wanted again
  scan(now ? new Set(now) : undefined);
  const ifaces: IfaceReport[] = [];
  for (const o of open.values()) {
    o.session.drain();
    let drops = -1;
    try {
      drops = o.session.drops();
    } catch {
      // unknown: reported as such
    }
    ifaces.push({ slot: o.slot, name: o.name, ifindex: o.ifindex, drops });
  }
  const reply: SyncReply = { id, ifaces, refused: Object.fromEntries(refused) };
  json(FRAME.sync, reply);
  if (opening) setImmediate(closeUnwanted);
}

let buffered = '';
process.stdin.on('data', (chunk: Buffer) => {
  buffered += chunk.toString();
  let nl: number;
  while ((nl = buffered.indexOf('\n')) >= 0) {
    const line = buffered.slice(0, nl);
    buffered = buffered.slice(nl + 1);
    if (!line.trim()) continue; // a blank line asks nothing
    const req = JSON.parse(line) as { op: string; id: number; ifaces?: string[]; opening?: boolean };
    if (req.op === 'sync') sync(req.id, req.ifaces, req.opening);
    if (req.op === 'want') want(req.ifaces ?? []);
  }
});
// The runner went away or closed the session: exit without close(), which would wait for a packet.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));

// Ready first, and the first scan after any sync already waiting: a window's opening sync scans (and
// opens) its own interfaces before it answers, so it need not wait for libpcap sockets it does not
// use, each of which costs the kernel a grace period to set up.
json(FRAME.ready, { pid: process.pid });
setImmediate(() => scan());
setInterval(() => scan(), SCAN_MS);
