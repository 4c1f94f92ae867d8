import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eachPcapFrame, PcapWriter, readPcap, writePcap } from '../../src/capture/pcap-file.js';
import type { RawFrame } from '../../src/capture/types.js';

const FIXTURES = ['icmp-echo.pcap', 'tcp-rst.pcap', 'http.pcap', 'udp.pcap', 'icmpv6.pcap', 'sll.pcap', 'sll2.pcap'];
const fixturePath = (name: string): string => fileURLToPath(new URL(`../../../fixtures/pcap/${name}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pcap-file-test-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const TCPDUMP = ['/usr/sbin/tcpdump', '/usr/bin/tcpdump'].find((p) => existsSync(p));

test('reads the fixtures: link types, counts, timestamps, lengths', (t) => {
  const counts = FIXTURES.map((n) => [n, readPcap(fixturePath(n)).frames.length]);
  t.deepEqual(counts, [
    ['icmp-echo.pcap', 8],
    ['tcp-rst.pcap', 2],
    ['http.pcap', 13],
    ['udp.pcap', 6],
    ['icmpv6.pcap', 19],
    ['sll.pcap', 2],
    ['sll2.pcap', 2],
  ]);
  const { linktype, frames } = readPcap(fixturePath('icmp-echo.pcap'));
  t.is(linktype, 1);
  const f = frames[0]!;
  t.is(f.tsUs, 1795562950426255);
  t.is(f.caplen, 42);
  t.is(f.len, 42);
  t.is(f.data.length, 42);
  t.is(f.data.readUInt16BE(12), 0x0806);
  t.is(frames[2]?.caplen, 98);
  t.is(readPcap(fixturePath('sll.pcap')).linktype, 113);
  t.is(readPcap(fixturePath('sll2.pcap')).linktype, 276);
});

test('writing what was read reproduces the fixture byte for byte', (t) => {
  for (const name of FIXTURES) {
    const { linktype, frames } = readPcap(fixturePath(name));
    const out = join(dir, `copy-${name}`);
    writePcap(out, frames, linktype);
    t.true(readFileSync(out).equals(readFileSync(fixturePath(name))), name);
  }
});

test("frames are plain Node Buffers viewing the file's bytes, not copies", (t) => {
  const { frames } = readPcap(fixturePath('http.pcap'));
  const file = readFileSync(fixturePath('http.pcap'));
  const first = frames[0]!.data;
  let off = 24;
  for (const f of frames) {
    t.true(Buffer.isBuffer(f.data));
    t.is(Object.getPrototypeOf(f.data), Buffer.prototype);
    t.is(f.data.buffer, first.buffer, 'one ArrayBuffer for the whole file');
    t.is(f.data.byteOffset - first.byteOffset, off - 24);
    t.true(f.data.equals(file.subarray(off + 16, off + 16 + f.caplen)));
    t.deepEqual(f.data, Buffer.from(f.data));
    t.true(Buffer.isBuffer(f.data.subarray(1)));
    t.is(f.data.toString('latin1', 12, 14), '\x08\x00');
    off += 16 + f.caplen;
  }
  t.is(off, file.length);
});

test('eachPcapFrame hands over the same frames as readPcap, one at a time, in order', (t) => {
  for (const name of FIXTURES) {
    const expected = readPcap(fixturePath(name));
    const got: RawFrame[] = [];
    const linktypes = new Set<number>();
    const r = eachPcapFrame(fixturePath(name), (f, lt) => {
      got.push(f);
      linktypes.add(lt);
    });
    t.deepEqual(r, { linktype: expected.linktype, count: expected.frames.length }, name);
    t.deepEqual([...linktypes], [expected.linktype], name);
    t.deepEqual(got, expected.frames, name);
    t.is(new Set(got).size, got.length, 'a new object per frame');
  }
  let calls = 0;
  const junk = join(dir, 'each-junk.pcap');
  writeFileSync(junk, Buffer.alloc(40));
  t.throws(() => eachPcapFrame(junk, () => calls++), { message: /not a classic pcap/ });
  t.is(calls, 0);
});

test('write then read round trip keeps timestamps, lengths and data', (t) => {
  const frames: RawFrame[] = [
    { tsUs: 1_700_000_000_999_999, caplen: 3, len: 3, data: Buffer.from([1, 2, 3]) },
    { tsUs: 1_700_000_001_000_000, caplen: 4, len: 1500, data: Buffer.from([9, 8, 7, 6]) }, // snapped
    { tsUs: 5, caplen: 2, len: 2, data: Buffer.from([0xaa, 0xbb, 0xcc]) }, // bytes past caplen are dropped
    { tsUs: 6, caplen: 0, len: 0, data: Buffer.alloc(0) },
  ];
  const out = join(dir, 'roundtrip.pcap');
  writePcap(out, frames, 276);
  const back = readPcap(out);
  t.is(back.linktype, 276);
  t.deepEqual(
    back.frames.map((f) => [f.tsUs, f.caplen, f.len, f.data.toString('hex')]),
    [
      [1_700_000_000_999_999, 3, 3, '010203'],
      [1_700_000_001_000_000, 4, 1500, '09080706'],
      [5, 2, 2, 'aabb'],
      [6, 0, 0, ''],
    ],
  );
  const raw = readFileSync(out);
  t.is(raw.readUInt32LE(0), 0xa1b2c3d4);
  t.is(raw.readUInt32LE(16), 262144);
  t.is(raw.readUInt32LE(24), 1_700_000_000);
  t.is(raw.readUInt32LE(28), 999_999);
});

// Rewrites a little-endian microsecond pcap as big-endian and/or nanosecond.
function variant(src: Buffer, bigEndian: boolean, nano: boolean): Buffer {
  const out = Buffer.from(src);
  const w32 = (v: number, o: number): void => void (bigEndian ? out.writeUInt32BE(v, o) : out.writeUInt32LE(v, o));
  const w16 = (v: number, o: number): void => void (bigEndian ? out.writeUInt16BE(v, o) : out.writeUInt16LE(v, o));
  w32(nano ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  w16(src.readUInt16LE(4), 4);
  w16(src.readUInt16LE(6), 6);
  for (const o of [8, 12, 16, 20]) w32(src.readUInt32LE(o), o);
  for (let off = 24; off < src.length;) {
    const incl = src.readUInt32LE(off + 8);
    w32(src.readUInt32LE(off), off);
    w32(src.readUInt32LE(off + 4) * (nano ? 1000 : 1) + (nano ? 789 : 0), off + 4);
    w32(incl, off + 8);
    w32(src.readUInt32LE(off + 12), off + 12);
    off += 16 + incl;
  }
  return out;
}

test('reads big-endian and nanosecond files as the same frames', (t) => {
  const original = readFileSync(fixturePath('icmpv6.pcap'));
  const expected = readPcap(fixturePath('icmpv6.pcap'));
  for (const [be, nano] of [
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    const out = join(dir, `variant-${be}-${nano}.pcap`);
    const bytes = variant(original, be, nano);
    t.false(bytes.equals(original));
    writeFileSync(out, bytes);
    const got = readPcap(out);
    t.is(got.linktype, 1);
    t.deepEqual(
      got.frames.map((f) => [f.tsUs, f.caplen, f.len, f.data.toString('hex')]),
      expected.frames.map((f) => [f.tsUs, f.caplen, f.len, f.data.toString('hex')]),
      `be=${be} nano=${nano}`,
    );
  }
});

test('rejects files that are not classic pcap; drops a truncated last record', (t) => {
  const junk = join(dir, 'junk.pcap');
  writeFileSync(junk, Buffer.from('0a0d0d0a000000000000000000000000000000000000000000000000', 'hex'));
  t.throws(() => readPcap(junk), { message: /not a classic pcap/ });
  writeFileSync(junk, Buffer.alloc(10));
  t.throws(() => readPcap(junk), { message: /too short/ });
  const full = readFileSync(fixturePath('udp.pcap'));
  writeFileSync(junk, full.subarray(0, full.length - 5));
  t.is(readPcap(junk).frames.length, 5);
});

test('PcapWriter copies each frame at write time and streams many frames', (t) => {
  const out = join(dir, 'stream.pcap');
  const w = PcapWriter.open(out, 1);
  const shared = Buffer.alloc(1000);
  for (let i = 0; i < 300; i++) {
    shared.fill(i & 0xff);
    w.write({ tsUs: 1_000_000 * i + i, caplen: 1000, len: 1000, data: shared });
  }
  t.is(w.frames, 300);
  w.close();
  w.close();
  t.throws(() => w.write({ tsUs: 0, caplen: 0, len: 0, data: Buffer.alloc(0) }), { message: /after close/ });
  const { frames } = readPcap(out);
  t.is(frames.length, 300);
  t.true(
    frames.every(
      (f, i) =>
        f.tsUs === 1_000_000 * i + i &&
        f.data.length === 1000 &&
        f.data[0] === (i & 0xff) &&
        f.data[999] === (i & 0xff),
    ),
  );
  t.is(readFileSync(out).length, 24 + 300 * 1016);
});

test('flush makes written frames visible before close', (t) => {
  const out = join(dir, 'flush.pcap');
  const w = PcapWriter.open(out);
  w.write({ tsUs: 1, caplen: 2, len: 2, data: Buffer.from([1, 2]) });
  w.flush();
  t.is(readPcap(out).frames.length, 1);
  w.close();
});

(TCPDUMP ? test : test.skip)('tcpdump -r accepts a written file', (t) => {
  const { linktype, frames } = readPcap(fixturePath('icmp-echo.pcap'));
  const out = join(dir, 'for-tcpdump.pcap');
  writePcap(out, frames.slice(2, 4), linktype);
  const text = execFileSync(TCPDUMP!, ['-nn', '-r', out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = text.trim().split('\n');
  t.is(lines.length, 2);
  t.regex(lines[0]!, /172\.17\.0\.100 > 203\.0\.113\.8: ICMP echo request, id 5230, seq 1, length 64/);
  t.regex(lines[1]!, /203\.0\.113\.8 > 172\.17\.0\.100: ICMP echo reply, id 5230, seq 1/);
});
