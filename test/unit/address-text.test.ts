import test from 'ava';
import {
  ipv4Text,
  ipv4ToString,
  ipv6Text,
  ipv6ToString,
  macText,
  macToString,
} from '../../src/capture/address-text.js';

// A seeded generator, so a failure names a reproducible address.
function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

// n addresses of `size` bytes; bytes from a small alphabet, so zero runs and near-twins are common.
function addresses(n: number, size: number, seed: number): Buffer[] {
  const rnd = rng(seed);
  return Array.from({ length: n }, () => {
    const b = Buffer.alloc(size);
    for (let i = 0; i < size; i++) b[i] = rnd() % 3 === 0 ? 0 : rnd() & 0xff;
    return b;
  });
}

const KINDS = [
  { name: 'IPv4', size: 4, cached: ipv4Text, fresh: ipv4ToString },
  { name: 'MAC', size: 6, cached: macText, fresh: macToString },
  { name: 'IPv6', size: 16, cached: ipv6Text, fresh: ipv6ToString },
];

for (const k of KINDS) {
  test(`${k.name}: cached text equals a fresh format, through repeats and slot collisions`, (t) => {
    // 5000 distinct-ish addresses over 1024 slots: many share a slot and evict each other.
    const pool = addresses(5000, k.size, k.size);
    pool.push(Buffer.alloc(k.size), Buffer.alloc(k.size, 0xff)); // all-zero: the key an empty slot starts with
    if (k.size === 16) pool.push(Buffer.from('00000000000000000000ffffc0000201', 'hex'));
    const rnd = rng(99);
    let wrong = 0;
    for (let i = 0; i < 60_000; i++) {
      const a = pool[i < pool.length ? i : rnd() % pool.length]!;
      const at = rnd() % 8; // not only at offset 0 of a buffer
      const d = Buffer.alloc(at + k.size + 3, 0xaa);
      a.copy(d, at);
      if (k.cached(d, at) !== k.fresh(a, 0)) wrong++;
    }
    t.is(wrong, 0);
    t.is(k.cached(Buffer.alloc(k.size), 0), k.fresh(Buffer.alloc(k.size), 0));
  });
}

test('cached text of a known address, then of its neighbour in the same buffer', (t) => {
  const d = Buffer.from([192, 0, 2, 1]);
  t.is(ipv4Text(d, 0), '192.0.2.1');
  d[3] = 2;
  t.is(ipv4Text(d, 0), '192.0.2.2');
  d[3] = 1;
  t.is(ipv4Text(d, 0), '192.0.2.1');
  const m = Buffer.from('020000000001', 'hex');
  t.is(macText(m, 0), '02:00:00:00:00:01');
  m[0] = 0x12;
  t.is(macText(m, 0), '12:00:00:00:00:01');
  const v6 = Buffer.from('20010db8000000000000000000000001', 'hex');
  t.is(ipv6Text(v6, 0), '2001:db8::1');
  v6[15] = 2;
  t.is(ipv6Text(v6, 0), '2001:db8::2');
});
