// A live libpcap session through node_pcap's native binding alone: its JavaScript layer would load a
// packet decoder we do not use (ours is faster and knows ICMPv6) and reads one packet per wake-up.
import { createRequire } from 'node:module';

interface NativeSession {
  open_live(
    dev: string,
    filter: string,
    bufSize: number,
    snaplen: number,
    outfile: string,
    ready: () => void,
    monitor: boolean,
    timeoutMs: number,
    warn: (w: string) => void,
    promisc: boolean,
  ): string;
  dispatch(buf: Buffer, header: Buffer): number;
  start_polling(): void;
  stats(): { ps_recv: number; ps_drop: number; ps_ifdrop: number };
  close(): void;
  read_callback?: () => void;
}

const binding = createRequire(import.meta.url)('pcap/build/Release/pcap_binding.node') as {
  PcapSession: new () => NativeSession;
};
const LINKTYPES: Record<string, number> = {
  LINKTYPE_ETHERNET: 1,
  LINKTYPE_LINUX_SLL: 113,
  LINKTYPE_RAW: 101,
  LINKTYPE_NULL: 0,
};

export interface LiveOptions {
  snaplen: number;
  bufferBytes: number;
  timeoutMs: number; // libpcap's buffer timeout: how long a packet may wait before delivery; 0: immediate mode
}

export class LiveSession {
  readonly linktype: number;
  private readonly native = new binding.PcapSession();
  private readonly buf: Buffer;
  private readonly header = Buffer.alloc(16);

  // Opens the interface (throws with libpcap's words, e.g. "That device is not up") and starts delivering.
  constructor(iface: string, o: LiveOptions, onPacket: (header: Buffer, data: Buffer) => void) {
    this.buf = Buffer.alloc(o.snaplen);
    const ready = (): void => onPacket(this.header, this.buf.subarray(0, this.header.readUInt32LE(8)));
    const name = this.native.open_live(
      iface,
      '',
      o.bufferBytes,
      o.snaplen,
      '',
      ready,
      false,
      o.timeoutMs,
      () => undefined,
      true,
    );
    this.linktype = LINKTYPES[name] ?? -1;
    this.native.read_callback = () => this.drain();
    this.native.start_polling();
    process.nextTick(() => this.drain());
  }

  // Delivers every packet libpcap holds (the binding reads one per call).
  drain(): void {
    while (this.native.dispatch(this.buf, this.header) > 0);
  }

  // Packets the kernel dropped for this session so far.
  drops(): number {
    return this.native.stats().ps_drop;
  }

  close(): void {
    this.native.close();
  }
}
