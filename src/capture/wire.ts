// Framing between a capture child and the runner: [type:1][length:4 LE][payload].
export const FRAME = { ready: 0x52, packet: 0x50, iface: 0x49, sync: 0x53, error: 0x45 } as const;

// One open interface in a sync reply; drops is -1 when libpcap could not say.
export interface IfaceReport {
  slot: number;
  name: string;
  ifindex: number;
  drops: number;
}

export interface SyncReply {
  id: number;
  ifaces: IfaceReport[];
  refused: Record<string, string>; // interface -> why it is not captured
}

// Encodes one frame.
export function encodeFrame(type: number, payload: Buffer): Buffer {
  const head = Buffer.allocUnsafe(5);
  head.writeUInt8(type, 0);
  head.writeUInt32LE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

// Splits a byte stream back into frames, however the pipe chunked it.
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer, onFrame: (type: number, payload: Buffer) => void): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let off = 0;
    while (this.pending.length - off >= 5) {
      const len = this.pending.readUInt32LE(off + 1);
      if (this.pending.length - off - 5 < len) break;
      onFrame(this.pending[off] ?? 0, this.pending.subarray(off + 5, off + 5 + len));
      off += 5 + len;
    }
    this.pending = off === this.pending.length ? Buffer.alloc(0) : Buffer.from(this.pending.subarray(off));
  }
}
