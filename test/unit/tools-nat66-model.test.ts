// nat66's pure model: argument checks, mappings read back from rules, overlap, and the restore texts.
import test from 'ava';
import { parsePrefix6, type Prefix6 } from '../../src/tools/ipv6.js';
import {
  addRestoreText,
  conflictOf,
  delRestoreText,
  describeMapping,
  mappingsFromRules,
  parseMappingArgs,
  validIfaceName,
  type Mapping,
} from '../../src/tools/nat66-model.js';
import { parseSave } from '../../src/tools/saved-rules.js';
import { ToolError } from '../../src/tools/tool-error.js';

// A prefix from text, or a test failure.
function pfx(text: string): Prefix6 {
  const r = parsePrefix6(text, 64);
  if ('error' in r) throw new Error(r.error);
  return r.prefix;
}

const M: Mapping = { iface: 'eth0', internal: pfx('fd00::/48'), external: pfx('2001:db8:1::/48') };

test('arguments: each mistake is a usage error (exit 2) naming the argument', (t) => {
  const cases: [string, string | undefined, string | undefined, RegExp][] = [
    ['eth0', 'fd00::/48', '2001:db8:1::/64', /INTERNAL is \/48 but EXTERNAL is \/64/],
    ['eth0', 'fd00::/96', '2001:db8:1::/96', /INTERNAL length \/96 is out of range/],
    ['eth0', 'fd00::/64', '2001:db8:1::1/64', /EXTERNAL 2001:db8:1::1\/64 has host bits set/],
    ['eth0', 'fd00::/48', 'fd00::/48', /overlap/],
    ['eth0', 'fd00::/48', undefined, /both required/],
    ['a very long name!', 'fd00::/48', '2001:db8::/48', /IFACE "a very long name!" is not an interface name/],
  ];
  for (const [i, a, b, re] of cases) {
    const e = t.throws(() => parseMappingArgs(i, a, b), { instanceOf: ToolError });
    t.is(e?.exitCode, 2);
    t.regex(e?.message ?? '', re);
  }
  t.true(
    validIfaceName('eth0') && validIfaceName('ve-web') && !validIfaceName('..') && !validIfaceName('sixteen-chars-xx'),
  );
});

test('the restore text adds SNPT out and DNPT in with one comment; reading it back gives the mapping', (t) => {
  const text = addRestoreText(M);
  t.is(
    text,
    [
      '*mangle',
      '-A POSTROUTING -o eth0 -s fd00::/48 -m comment --comment "nat66 eth0 fd00::/48 2001:db8:1::/48" -j SNPT --src-pfx fd00::/48 --dst-pfx 2001:db8:1::/48',
      '-A PREROUTING -i eth0 -d 2001:db8:1::/48 -m comment --comment "nat66 eth0 fd00::/48 2001:db8:1::/48" -j DNPT --src-pfx 2001:db8:1::/48 --dst-pfx fd00::/48',
      'COMMIT',
      '',
    ].join('\n'),
  );
  const seen = mappingsFromRules(parseSave(text).get('mangle')?.rules ?? []);
  t.is(seen.length, 1);
  t.is(describeMapping(seen[0] ?? ({} as never)), 'eth0 fd00::/48 <-> 2001:db8:1::/48');
  const del = delRestoreText(seen[0] ?? ({} as never));
  t.regex(del, /^\*mangle\n-D POSTROUTING -o eth0 .*SNPT.*\n-D PREROUTING -i eth0 .*DNPT.*\nCOMMIT\n$/);
});

test('a hand-made NPT rule without a comment or interface is still shown, as incomplete', (t) => {
  const rules =
    parseSave('*mangle\n-A POSTROUTING -j SNPT --src-pfx fd01::/64 --dst-pfx 2001:db8:5::/64\nCOMMIT\n').get('mangle')
      ?.rules ?? [];
  const seen = mappingsFromRules(rules);
  t.is(
    seen.map(describeMapping).join(),
    '* fd01::/64 <-> 2001:db8:5::/64 (incomplete: outbound SNPT only, the inbound DNPT rule is missing)',
  );
});

test('overlap: same interface any prefix, other interfaces the external prefix only', (t) => {
  const other = (iface: string, i: string, e: string): Mapping => ({ iface, internal: pfx(i), external: pfx(e) });
  t.regex(conflictOf(M, [M]) ?? '', /already exists/);
  t.regex(
    conflictOf(other('eth0', 'fd00:0:0:5::/64', '2001:db8:9:5::/64'), [M]) ?? '',
    /^INTERNAL fd00:0:0:5::\/64 overlaps the existing mapping eth0 fd00::\/48 <-> 2001:db8:1::\/48$/,
  );
  t.regex(conflictOf(other('eth0', 'fd09::/48', '2001:db8:1::/48'), [M]) ?? '', /^EXTERNAL 2001:db8:1::\/48 overlaps/);
  t.regex(
    conflictOf(other('eth0', '2001:db8:1::/48', 'fd09::/48'), [M]) ?? '',
    /^INTERNAL 2001:db8:1::\/48 overlaps/,
    'chaining into an external prefix',
  );
  t.regex(conflictOf(other('eth1', 'fd09::/48', '2001:db8:1::/48'), [M]) ?? '', /^EXTERNAL/);
  t.is(
    conflictOf(other('eth1', 'fd00::/48', '2001:db8:2::/48'), [M]),
    undefined,
    'the same inside prefix may leave by two uplinks',
  );
  t.is(conflictOf(other('eth0', 'fd01::/48', '2001:db8:2::/48'), [M]), undefined);
});
