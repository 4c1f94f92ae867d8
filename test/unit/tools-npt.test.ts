// RFC 6296 translation computed as the kernel's ip6t_NPT does: the RFC's own example, the word that
// carries the adjustment, the 0xffff rules, and agreement with a plain modular model on many addresses.
import test from 'ava';
import { formatIpv6, parseIpv6, parsePrefix6, type Prefix6, type Words } from '../../src/tools/ipv6.js';
import { nptAdjustment, nptExplain, nptMap, nptTranslate, nptTranslateWords } from '../../src/tools/npt.js';

// A prefix from text, or a test failure.
function pfx(text: string): Prefix6 {
  const r = parsePrefix6(text, 64);
  if ('error' in r) throw new Error(r.error);
  return r.prefix;
}

// The 16-bit one's-complement sum of an address, as a value mod 0xffff (0 and 0xffff are both zero).
function sum16(words: Words): number {
  return words.reduce((a, w) => a + w, 0) % 0xffff;
}

test("RFC 6296 section 3.5's example: fd01:203:405:1::1234 becomes 2001:db8:1:d550::1234", (t) => {
  const r = nptTranslate('fd01:203:405:1::1234', 'fd01:203:405::/48', '2001:db8:1::/48');
  t.is(r.address, '2001:db8:1:d550::1234');
  t.is(r.adjustment, 0xd54f);
  t.is(r.adjustedWord, 3);
  t.is(r.before, 0x0001);
  t.is(r.after, 0xd550);
  // And back (DNPT of the reply's destination).
  t.is(nptMap('2001:db8:1:d550::1234', '2001:db8:1::/48', 'fd01:203:405::/48'), 'fd01:203:405:1::1234');
});

test('a /48 mapping adjusts the subnet ID (word 3) and leaves the interface identifier alone', (t) => {
  const r = nptTranslate('fd00:0:0:1::2', 'fd00::/48', '2001:db8:1::/48');
  t.is(r.adjustedWord, 3);
  t.deepEqual(r.words.slice(4), [0, 0, 0, 2]);
  t.deepEqual(r.words.slice(0, 3), [0x2001, 0x0db8, 0x0001]);
  t.not(r.words[3], 1);
});

test('a /64 mapping adjusts word 4, the first word of the interface identifier', (t) => {
  const r = nptTranslate('fd00:0:0:1::2', 'fd00:0:0:1::/64', '2001:db8:1:1::/64');
  t.is(r.adjustedWord, 4);
  t.deepEqual(r.words.slice(0, 4), [0x2001, 0x0db8, 0x0001, 0x0001]);
  t.deepEqual(r.words.slice(5), [0, 0, 2]);
  t.is(sum16(r.words), sum16(parseIpv6('fd00:0:0:1::2') ?? []));
});

test('for /49 to /64 a word 4 of ffff is skipped, and an identifier of all ffff cannot be translated', (t) => {
  const r = nptTranslate('fd00:0:0:1:ffff:5::', 'fd00:0:0:1::/64', '2001:db8:1:1::/64');
  t.is(r.adjustedWord, 5);
  t.is(r.words[4], 0xffff);
  t.throws(() => nptTranslate('fd00:0:0:1:ffff:ffff:ffff:ffff', 'fd00:0:0:1::/64', '2001:db8:1:1::/64'), {
    message: /all ffff/,
  });
  // /48 always uses word 3, whatever it holds.
  t.is(nptTranslate('fd00:0:0:ffff::1', 'fd00::/48', '2001:db8:1::/48').adjustedWord, 3);
});

test('a /56 mapping replaces the top byte of word 3 and adjusts word 4', (t) => {
  const r = nptTranslate('fd00:0:0:1a::9', 'fd00::/56', '2001:db8:0:ab00::/56');
  t.is(r.adjustedWord, 4);
  t.is(r.words[3], 0xab1a);
  t.is(sum16(r.words), sum16(parseIpv6('fd00:0:0:1a::9') ?? []));
});

test('a result of ffff is written as 0000', (t) => {
  const from = pfx('fd00:0:0:1::/64');
  const to = pfx('2001:db8:1:1::/64');
  const adj = nptAdjustment(from, to);
  const word4 = (0xffff - adj) & 0xffff; // word + adjustment folds to 0xffff
  const addr = parseIpv6(`fd00:0:0:1:${word4.toString(16)}::1`) ?? [];
  const r = nptTranslateWords(addr, from, to);
  t.is(r.adjustedWord, 4);
  t.is(r.before, word4);
  t.is(r.after, 0);
});

test('when both prefixes have the same sum nothing is adjusted (adjustment is negative zero)', (t) => {
  // 0xfd00 + 0x0001 == 0xfd01 + 0x0000: same one's-complement sum.
  const r = nptTranslate('fd00:1::7', 'fd00:1::/32', 'fd01::/32');
  t.is(r.address, 'fd01::7');
  t.is(r.adjustment, 0xffff);
});

// A small deterministic generator, so a failure can be replayed.
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

test('on 5000 random mappings the kernel arithmetic equals the plain modular model and is checksum neutral', (t) => {
  const rnd = lcg(6296);
  const lens = [16, 32, 40, 48, 52, 56, 60, 64];
  for (let n = 0; n < 5000; n++) {
    const len = lens[rnd() % lens.length] ?? 48;
    const mk = (): Prefix6 => {
      const words = Array.from({ length: 8 }, () => rnd() & 0xffff);
      const r = parsePrefix6(
        `${formatIpv6(words.map((w, i) => (i * 16 < len ? (i * 16 + 16 <= len ? w : w & (0xffff << (16 - (len - i * 16))) & 0xffff) : 0)))}/${len}`,
        64,
      );
      if ('error' in r) throw new Error(r.error);
      return r.prefix;
    };
    const from = mk();
    const to = mk();
    const addr = Array.from({ length: 8 }, (_, i) => (n % 7 === 0 && i >= 4 ? 0xffff : rnd() & 0xffff));
    const inside = addr.map((w, i) => {
      const keep = Math.max(0, Math.min(16, len - i * 16));
      const m = keep === 0 ? 0 : (0xffff << (16 - keep)) & 0xffff;
      return (from.words[i] ?? 0) | (w & ~m & 0xffff);
    });
    let r;
    try {
      r = nptTranslateWords(inside, from, to);
    } catch {
      t.true(len > 48 && inside.slice(4).every((w) => w === 0xffff), `unexpected refusal for ${formatIpv6(inside)}`);
      continue;
    }
    // Plain model: word + sum(from) - sum(to), mod 0xffff, printed in 0..0xfffe.
    const before = r.before;
    const model = (((before + sum16(from.words) - sum16(to.words)) % 0xffff) + 0xffff) % 0xffff;
    t.is(
      r.after,
      model === 0xffff ? 0 : model,
      `${formatIpv6(inside)} ${formatIpv6(from.words)}/${len} -> ${formatIpv6(to.words)}/${len}`,
    );
    t.is(sum16(r.words), sum16(inside));
    if (inside[r.adjustedWord] !== 0xffff) {
      t.deepEqual(nptTranslateWords(r.words, to, from).words, inside);
    }
  }
});

test('bad text is refused with the part named', (t) => {
  t.throws(() => nptTranslate('nope', 'fd00::/48', '2001:db8:1::/48'), { message: /"nope" is not an IPv6 address/ });
  t.throws(() => nptTranslate('fd00::1', 'fd00::/96', '2001:db8:1::/96'), { message: /from prefix: .*out of range/ });
  t.throws(() => nptTranslate('fd00::1', 'fd00::/48', '2001:db8:1::1/48'), { message: /to prefix: .*host bits/ });
});

test('the explanation names the new address, the word and its two values', (t) => {
  t.is(
    nptExplain('fd00:0:0:1::2', 'fd00::/48', '2001:db8:1::/48'),
    "fd00:0:0:1::2 leaves as 2001:db8:1:cf47::2: the prefix fd00::/48 is replaced by 2001:db8:1::/48, and word 3 (the subnet ID) changes from 0x0001 to 0xcf47 so that the address's 16-bit one's-complement sum, and with it every TCP, UDP and ICMPv6 checksum over it, stays the same (RFC 6296).",
  );
  t.regex(
    nptExplain('fd00:0:0:1::2', 'fd00:0:0:1::/64', '2001:db8:1:1::/64'),
    /word 4 \(in the interface identifier\) changes from 0x0000 to 0xcf46/,
  );
});
