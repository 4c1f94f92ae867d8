// IPv6 parsing and printing for the node tools: RFC 5952 text, prefixes, host bits, overlap.
import test from 'ava';
import {
  formatIpv6,
  formatPrefix6,
  parseIpv6,
  parsePrefix6,
  prefixesOverlap,
  type Prefix6,
} from '../../src/tools/ipv6.js';

// A prefix from text, or a test failure.
function pfx(text: string): Prefix6 {
  const r = parsePrefix6(text);
  if ('error' in r) throw new Error(r.error);
  return r.prefix;
}

test('addresses print as RFC 5952 (and tcpdump) print them', (t) => {
  const cases: [string, string][] = [
    ['2001:0DB8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::', 'fe80::'],
    ['fd00:0:0:1::2', 'fd00:0:0:1::2'],
    ['2001:db8:0:0:1:0:0:0', '2001:db8:0:0:1::'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['0:0:1:0:0:0:0:1', '0:0:1::1'],
  ];
  for (const [input, printed] of cases) {
    const w = parseIpv6(input);
    t.truthy(w, input);
    t.is(formatIpv6(w ?? []), printed, input);
  }
});

test('text that is not an address is refused', (t) => {
  for (const bad of [
    ':::',
    '1::2::3',
    '12345::',
    'g::1',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7::8',
    '',
    'fe80::1%eth0',
    '10.0.0.1',
  ]) {
    t.is(parseIpv6(bad), undefined, bad);
  }
});

test('prefixes: host bits, lengths and nonsense each get their own reason', (t) => {
  t.is(formatPrefix6(pfx('FD00:0:0:1::/64')), 'fd00:0:0:1::/64');
  const host = parsePrefix6('fd00::1/64', 64);
  t.true('error' in host && /host bits set.*fd00::\/64/.test(host.error));
  const long = parsePrefix6('fd00::/80', 64);
  t.true('error' in long && /\/80 is out of range \(1-64\)/.test(long.error));
  const zero = parsePrefix6('::/0', 64);
  t.true('error' in zero && /out of range/.test(zero.error));
  const none = parsePrefix6('fd00::', 64);
  t.true('error' in none && /not an IPv6 prefix/.test(none.error));
  const junk = parsePrefix6('xyz/48', 64);
  t.true('error' in junk && /"xyz" is not an IPv6 address/.test(junk.error));
  // /56 keeps the top byte of word 3 only.
  t.true('error' in parsePrefix6('fd00:0:0:1::/56'));
  t.false('error' in parsePrefix6('fd00:0:0:100::/56'));
});

test('overlap means one prefix contains the other', (t) => {
  t.true(prefixesOverlap(pfx('fd00::/48'), pfx('fd00:0:0:5::/64')));
  t.true(prefixesOverlap(pfx('fd00:0:0:5::/64'), pfx('fd00::/48')));
  t.false(prefixesOverlap(pfx('fd00::/48'), pfx('fd00:0:1::/48')));
  t.false(prefixesOverlap(pfx('2001:db8:1::/48'), pfx('2001:db8:2::/48')));
});
