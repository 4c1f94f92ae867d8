// The free /24 search lk uses: first /24 from 10.1.1.0 upward that overlaps no subnet on any interface.
import test from 'ava';
import { firstFree24, formatCidr4, overlaps4, parseCidr4, parseIpv4, type Cidr4 } from '../../src/tools/ipv4.js';
import { parseIpJson, usedSubnets } from '../../src/tools/ip-json.js';

// Subnets from text, or a test failure.
function cidrs(...texts: string[]): Cidr4[] {
  return texts.map((t) => {
    const c = parseCidr4(t);
    if (!c) throw new Error(t);
    return c;
  });
}

// The search's answer as text.
function pick(used: Cidr4[], first?: string, last?: string): string | undefined {
  const f = first === undefined ? undefined : parseIpv4(first);
  const l = last === undefined ? undefined : parseIpv4(last);
  const r = firstFree24(used, f, l);
  return r && formatCidr4(r);
}

test('with nothing in use the first /24 is 10.1.1.0/24', (t) => {
  t.is(pick([]), '10.1.1.0/24');
  t.is(pick(cidrs('127.0.0.1/8', '192.168.1.5/24', '10.0.2.15/24')), '10.1.1.0/24');
});

test('a decoy interface on 10.1.1.0/24 makes the search take 10.1.2.0/24', (t) => {
  t.is(pick(cidrs('10.1.1.7/24')), '10.1.2.0/24');
});

test('a larger prefix covering several /24s is skipped whole', (t) => {
  t.is(pick(cidrs('10.1.0.1/22')), '10.1.4.0/24');
  t.is(pick(cidrs('10.1.1.1/16')), '10.2.0.0/24');
  t.is(pick(cidrs('10.0.0.1/8')), undefined);
});

test('a smaller prefix inside a /24 makes that /24 collide', (t) => {
  t.is(pick(cidrs('10.1.1.200/30')), '10.1.2.0/24');
  t.is(pick(cidrs('10.1.1.9/32', '10.1.2.128/25')), '10.1.3.0/24');
});

test('the projects already made are skipped like any other subnet', (t) => {
  t.is(pick(cidrs('10.1.1.7/24', '10.1.2.1/24', '10.1.3.1/24', '10.1.5.1/24')), '10.1.4.0/24');
});

test('a range that runs out gives no answer (lk turns it into exit 3)', (t) => {
  t.is(pick(cidrs('10.1.1.1/24', '10.1.2.1/24'), '10.1.1.0', '10.1.2.0'), undefined);
  t.is(pick(cidrs('10.1.1.1/24'), '10.1.1.0', '10.1.2.0'), '10.1.2.0/24');
  t.is(pick(cidrs('10.128.0.0/9', '10.0.0.0/9')), undefined);
});

test('the last candidate is 10.255.255.0/24', (t) => {
  // Everything but 10.255.255.0/24 is taken.
  const used = cidrs(
    '10.0.0.0/9',
    '10.128.0.0/10',
    '10.192.0.0/11',
    '10.224.0.0/12',
    '10.240.0.0/13',
    '10.248.0.0/14',
    '10.252.0.0/15',
    '10.254.0.0/16',
    '10.255.0.0/17',
    '10.255.128.0/18',
    '10.255.192.0/19',
    '10.255.224.0/20',
    '10.255.240.0/21',
    '10.255.248.0/22',
    '10.255.252.0/23',
    '10.255.254.0/24',
  );
  t.is(pick(used), '10.255.255.0/24');
});

test('overlap is symmetric and exact at the edges', (t) => {
  const [a, b, c] = cidrs('10.1.1.0/24', '10.1.0.0/23', '10.1.2.0/24');
  t.true(overlaps4(a as Cidr4, b as Cidr4));
  t.true(overlaps4(b as Cidr4, a as Cidr4));
  t.false(overlaps4(a as Cidr4, c as Cidr4));
});

test('ip -j addr output gives every IPv4 subnet, the peer of a point-to-point address included', (t) => {
  const json = JSON.stringify([
    {
      ifname: 'lo',
      flags: ['LOOPBACK', 'UP'],
      addr_info: [
        { family: 'inet', local: '127.0.0.1', prefixlen: 8 },
        { family: 'inet6', local: '::1', prefixlen: 128 },
      ],
    },
    { ifname: 'decoy0', flags: ['UP'], addr_info: [{ family: 'inet', local: '10.1.1.7', prefixlen: 24 }] },
    {
      ifname: 've-web',
      flags: ['UP'],
      addr_info: [{ family: 'inet', local: '10.1.2.1', address: '10.1.3.2', prefixlen: 32 }],
    },
    { ifname: 'eth1', flags: [] },
  ]);
  const used = usedSubnets(parseIpJson(json)).map(formatCidr4);
  t.deepEqual(used, ['127.0.0.0/8', '10.1.1.0/24', '10.1.2.1/32', '10.1.3.2/32']);
  t.is(pick(usedSubnets(parseIpJson(json))), '10.1.4.0/24');
  t.deepEqual(parseIpJson(''), []);
});
