// Classic libpcap files: a streaming writer (microsecond, little-endian) and a reader for every classic variant.
import { closeSync, readFileSync, writeSync } from 'node:fs';
import { EnvironmentError } from '../errors.js';
import { openOutputFile, OutputFileError } from '../sys/output-file.js';
import type { RawFrame } from './types.js';

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
export const PCAP_SNAPLEN = 262144;
const FLUSH_AT = 64 * 1024;

function globalHeader(linktype: number): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(MAGIC_US, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(PCAP_SNAPLEN, 16);
  h.writeUInt32LE(linktype >>> 0, 20);
  return h;
}

// Appends frames to a pcap file as they arrive; frame data is copied at write(), so callers may reuse buffers.
export class PcapWriter {
  private fd: number | undefined;
  private chunks: Buffer[] = [];
  private pending = 0;
  private written = 0;
  private failed: Error | undefined; // the first write error (a full disk): kept, said at close()
  private readonly path: string;

  private constructor(fd: number, path: string) {
    this.fd = fd;
    this.path = path;
  }

  // Creates (or truncates, if it is the caller's own) the file and writes the global header.
  static open(path: string, linktype = 1): PcapWriter {
    let fd: number;
    try {
      fd = openOutputFile(path);
    } catch (err) {
      throw pcapError(path, err);
    }
    const w = new PcapWriter(fd, path);
    w.push(globalHeader(linktype));
    return w;
  }

  get frames(): number {
    return this.written;
  }

  // Queues one record; data beyond caplen (or the buffer) is not written.
  write(frame: RawFrame): void {
    if (this.failed) return; // the file is lost already; close() says why
    if (this.fd === undefined) throw new Error('PcapWriter: write after close');
    const incl = Math.max(0, Math.min(frame.caplen, frame.data.length));
    const rec = Buffer.allocUnsafe(16 + incl);
    const ts = Math.max(0, Math.floor(frame.tsUs));
    const sec = Math.floor(ts / 1e6);
    rec.writeUInt32LE(sec >>> 0, 0);
    rec.writeUInt32LE(ts - sec * 1e6, 4);
    rec.writeUInt32LE(incl, 8);
    rec.writeUInt32LE(Math.max(incl, frame.len) >>> 0, 12);
    frame.data.copy(rec, 16, 0, incl);
    this.push(rec);
    this.written++;
  }

  // Writes queued records to the file.
  flush(): void {
    if (this.fd === undefined || this.pending === 0) return;
    const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.pending);
    this.chunks = [];
    this.pending = 0;
    // Called from packet callbacks: a write error must not escape there, so it is kept for close().
    try {
      for (let off = 0; off < buf.length;) off += writeSync(this.fd, buf, off);
    } catch (err) {
      this.failed = err as Error;
    }
  }

  // Flushes and closes the file; further writes throw.
  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    closeSync(this.fd);
    this.fd = undefined;
    if (this.failed) throw pcapError(this.path, this.failed);
  }

  private push(b: Buffer): void {
    this.chunks.push(b);
    this.pending += b.length;
    if (this.pending >= FLUSH_AT) this.flush();
  }
}

// A pcap file that cannot be written (no space, no permission) is the machine's problem: exit 3.
function pcapError(path: string, err: unknown): EnvironmentError {
  if (err instanceof OutputFileError) return err; // a refused link or file: said as such
  const e = err as NodeJS.ErrnoException;
  const why =
    e.code === 'ENOSPC' ? 'no space left on its disk' : e.code === 'EDQUOT' ? 'disk quota exceeded' : e.message;
  return new EnvironmentError(
    'PCAP_WRITE',
    `cannot write ${path}: ${why}`,
    'free some space there, or give --save-pcap another folder',
  );
}

// Saves a finished capture in one go (tcpdump -r / Wireshark readable).
export function writePcap(path: string, frames: RawFrame[], linktype = 1): void {
  const w = PcapWriter.open(path, linktype);
  try {
    for (const f of frames) w.write(f);
  } finally {
    w.close();
  }
}

type ViewOf = new (ab: ArrayBuffer, byteOffset: number, length: number) => Buffer;
// Node's own class for Buffer views, what subarray and Buffer.from(arrayBuffer, ...) make, minus their checks per frame.
const species = (Buffer as unknown as Record<symbol, unknown>)[Symbol.species];
const FastView = typeof species === 'function' && species !== Buffer ? (species as ViewOf) : undefined;

// A Buffer over length bytes of ab at byteOffset (no copy).
function view(ab: ArrayBuffer, byteOffset: number, length: number): Buffer {
  return FastView ? new FastView(ab, byteOffset, length) : Buffer.from(ab, byteOffset, length);
}

// Calls onFrame for every record of a classic pcap, in file order, in one pass over the file read whole.
// Each frame is a new object (keep it if you like); its data is a view into the file's bytes, not a copy.
// Either byte order, microsecond or nanosecond; a truncated last record is dropped.
export function eachPcapFrame(
  path: string,
  onFrame: (frame: RawFrame, linktype: number) => void,
): { linktype: number; count: number } {
  const buf = readFileSync(path);
  if (buf.length < 24) throw new Error(`${path}: not a pcap file (too short)`);
  const le = buf.readUInt32LE(0);
  const be = buf.readUInt32BE(0);
  const little = le === MAGIC_US || le === MAGIC_NS;
  if (!little && be !== MAGIC_US && be !== MAGIC_NS) {
    throw new Error(
      `${path}: not a classic pcap file (magic 0x${be.toString(16).padStart(8, '0')}; pcapng is not supported)`,
    );
  }
  const nano = (little ? le : be) === MAGIC_NS;
  const v = new DataView(buf.buffer, buf.byteOffset, buf.length);
  const ab = buf.buffer as ArrayBuffer; // a small file may sit in Node's shared pool: hence base
  const base = buf.byteOffset;
  const size = buf.length;
  const linktype = v.getUint32(20, little) & 0xffff;
  let count = 0;
  for (let off = 24; off + 16 <= size;) {
    const incl = v.getUint32(off + 8, little);
    if (off + 16 + incl > size) break;
    const frac = v.getUint32(off + 4, little);
    onFrame(
      {
        tsUs: v.getUint32(off, little) * 1e6 + (nano ? Math.floor(frac / 1000) : frac),
        caplen: incl,
        len: v.getUint32(off + 12, little),
        data: view(ab, base + off + 16, incl),
      },
      linktype,
    );
    count++;
    off += 16 + incl;
  }
  return { linktype, count };
}

// Loads every frame of a classic pcap (see eachPcapFrame).
export function readPcap(path: string): { linktype: number; frames: RawFrame[] } {
  const frames: RawFrame[] = [];
  const { linktype } = eachPcapFrame(path, (f) => void frames.push(f));
  return { linktype, frames };
}
