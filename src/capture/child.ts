// Capture child: runs inside a node's namespace, opens libpcap on one interface, streams raw frames.
// Usage: node child.js IFACE   (stdin EOF or SIGTERM ends it; it reports libpcap's drop count first)
import pcap from 'pcap';
import { encodeFrame, FRAME } from './wire.js';

const iface = process.argv[2] ?? '';
const LINKTYPES: Record<string, number> = { LINKTYPE_ETHERNET: 1, LINKTYPE_LINUX_SLL: 113, LINKTYPE_RAW: 101, LINKTYPE_NULL: 0 };

// Writes one frame; stdout is a pipe, which Node writes synchronously on Linux.
function send(type: number, payload: Buffer): void {
  process.stdout.write(encodeFrame(type, payload));
}

function json(type: number, value: unknown): void {
  send(type, Buffer.from(JSON.stringify(value)));
}

let session: ReturnType<typeof pcap.createSession>;
try {
  // 10 ms buffer timeout: packets reach the runner promptly (libpcap's 1 s default would delay them).
  session = pcap.createSession(iface, { buffer_timeout: 10, buffer_size: 32 * 1024 * 1024, snap_length: 65535, promiscuous: true });
} catch (err) {
  json(FRAME.error, { message: String((err as Error).message ?? err) });
  process.exit(2);
}

session.on('packet', (raw: { buf: Buffer; header: Buffer }) => {
  const caplen = raw.header.readUInt32LE(8);
  // libpcap reuses one buffer for every packet: copy before it is overwritten.
  send(FRAME.packet, Buffer.concat([raw.header.subarray(0, 16), raw.buf.subarray(0, caplen)]));
});
json(FRAME.ready, { iface, linktype: LINKTYPES[String(session.link_type)] ?? -1, linkName: session.link_type });

let ending = false;
// Reports drops and exits without waiting for close(), which would block until one more packet.
function finish(): void {
  if (ending) return;
  ending = true;
  let drops = 0;
  try {
    drops = session.stats().ps_drop;
  } catch {
    drops = -1;
  }
  json(FRAME.stats, { drops });
  process.exit(0);
}
process.stdin.on('end', finish);
process.stdin.on('error', finish);
process.stdin.resume();
process.on('SIGTERM', finish);
