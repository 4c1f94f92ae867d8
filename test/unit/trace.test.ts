// The packet's path from real `nft -a monitor` output captured in lab sandboxes (fixtures/trace/capture.sh).
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chainLabel, formatNodeTrace, formatTracePacket, rewriteOf } from '../../src/engine/trace-format.js';
import {
  cleanRule,
  iptablesByHandle,
  parseIptablesSave,
  parseNftRuleset,
  parsePacket,
  parseTrace,
  parseTraceLine,
} from '../../src/engine/trace-parse.js';
import { probeMatch } from '../../src/model/probes.js';
import { traceTableScript } from '../../src/engine/trace-table.js';
import { traceNodes } from '../../src/engine/trace.js';
import { iptablesChains, inCidr, whyNotMatched } from '../../src/engine/trace-tried.js';

const read = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`../../../fixtures/trace/${name}`, import.meta.url)), 'utf8');

// A captured scenario as the engine sees it: the monitor's text, the rules by handle, ip_forward.
function traced(name: string, withTried = false) {
  const nft = parseNftRuleset(read(`${name}.ruleset.txt`));
  const saves = { ip: read(`${name}.iptables-save.txt`) };
  const ipt = iptablesByHandle(nft, saves);
  const chains = withTried ? { chains: iptablesChains(nft, saves) } : {};
  return formatNodeTrace(parseTrace(read(`${name}.monitor.txt`)), {
    node: 'host',
    ipt,
    forwarding: read(`${name}.ip_forward.txt`).trim(),
    ...chains,
  });
}

test('MASQUERADE is named as the student typed it, with the rewrite it made', (t) => {
  const r = traced('forward-accept-masquerade');
  t.deepEqual(r.lines, [
    'in br0: 172.17.0.100 -> 203.0.113.8 ICMP echo-request ttl=64',
    'filter FORWARD  rule -i br0 -j ACCEPT  -> accept',
    'forwarded br0 -> eth0',
    'nat POSTROUTING  rule -s 172.17.0.0/24 ! -o br0 -j MASQUERADE  -> masquerade (source 172.17.0.100 -> 10.0.2.15)',
    'out eth0: 10.0.2.15 -> 203.0.113.8 ICMP echo-request ttl=63',
  ]);
  t.is(r.fate, 'left host by eth0');
  t.is(r.died, undefined);
  t.deepEqual(
    r.hops.map((h) => [h.ruleSyntax, h.verdict, h.effect]),
    [
      ['iptables', 'accept', undefined],
      ['iptables', 'masquerade', 'source 172.17.0.100 -> 10.0.2.15'],
    ],
  );
  t.true(r.raw.every((l) => l.startsWith('trace id ')));
  t.is(r.raw.length, 11);
});

test('a FORWARD policy drop is where the packet died', (t) => {
  const r = traced('forward-policy-drop');
  t.deepEqual(r.lines, [
    'in br0: 172.17.0.100 -> 203.0.113.8 ICMP echo-request ttl=64',
    'filter FORWARD policy drop   <- the packet died here',
  ]);
  t.is(r.died, 'filter FORWARD policy drop');
  t.is(r.fate, 'died: filter FORWARD policy drop');
});

test('a jump into a user chain and a DROP rule there, comment and all', (t) => {
  const r = traced('rule-drop-user-chain');
  t.deepEqual(r.lines.slice(1), [
    'filter FORWARD  rule -j LAB  -> jump LAB',
    'filter LAB  rule -p icmp -m comment --comment "no pings" -j DROP  -> drop   <- the packet died here',
  ]);
});

test('a jump to a chain where nothing matches, a LOG rule that goes on, the policy, then MASQUERADE', (t) => {
  t.deepEqual(traced('user-chain-return').lines, [
    'in br0: 172.17.0.100 -> 203.0.113.8 ICMP echo-request ttl=64',
    'filter FORWARD  rule -j LAB  -> jump LAB',
    'filter FORWARD  rule -i br0 -o eth0 -j LOG --log-prefix "lab: "  -> continue',
    'filter FORWARD policy accept',
    'forwarded br0 -> eth0',
    'nat POSTROUTING  rule -s 172.17.0.0/24 ! -o br0 -j MASQUERADE  -> masquerade (source 172.17.0.100 -> 10.0.2.15)',
    'out eth0: 10.0.2.15 -> 203.0.113.8 ICMP echo-request ttl=63',
  ]);
});

test('a rule inserted at the top (-I) has a higher handle: rules are matched by their place in the chain', (t) => {
  const ruleset = parseNftRuleset(read('inserted-rule.ruleset.txt'));
  t.deepEqual(ruleset.find((c) => c.chain === 'FORWARD')?.handles, [3, 2]);
  const r = traced('inserted-rule');
  t.is(r.lines[1], 'filter FORWARD  rule -i br0 -j ACCEPT  -> accept');
});

test('ip_forward=0: no FORWARD chain at all, and the trace says why', (t) => {
  const r = traced('not-forwarded');
  t.is(r.lines.length, 2);
  t.is(
    r.lines[1],
    'not forwarded: net.ipv4.ip_forward is 0 in host, so this packet for another machine was dropped right after prerouting (no FORWARD and no INPUT chain saw it)',
  );
  t.is(r.lines[1], r.fate);
  // The same events with forwarding on do not blame ip_forward.
  const on = formatNodeTrace(parseTrace(read('not-forwarded.monitor.txt')), {
    node: 'host',
    ipt: new Map(),
    forwarding: '1',
  });
  t.regex(on.fate ?? '', /^not forwarded and not delivered: .*ip_forward is 1/);
});

test('DNAT in PREROUTING and in OUTPUT: the destination rewrite, then forwarded or sent to br0', (t) => {
  t.deepEqual(traced('dnat-prerouting').lines, [
    'in eth0: 10.0.2.2:49034 -> 10.0.2.15:8080 TCP SYN ttl=64',
    'nat PREROUTING  rule -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.100:80  -> dnat (destination 10.0.2.15:8080 -> 172.17.0.100:80)',
    'forwarded eth0 -> br0',
    'nat POSTROUTING policy accept',
    'out br0: 10.0.2.2:49034 -> 172.17.0.100:80 TCP SYN ttl=63',
  ]);
  t.deepEqual(traced('dnat-output-local').lines, [
    'sent: 10.0.2.15:46964 -> 10.0.2.15:8080 TCP SYN ttl=64',
    'nat OUTPUT  rule -d 10.0.2.15/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.100:80  -> dnat (destination 10.0.2.15:8080 -> 172.17.0.100:80)',
    'nat POSTROUTING policy accept',
    'out br0: 10.0.2.15:46964 -> 172.17.0.100:80 TCP SYN ttl=64',
  ]);
});

test("without iptables-save, nft's own text is shown, counters and handle removed", (t) => {
  const r = formatNodeTrace(parseTrace(read('forward-accept-masquerade.monitor.txt')), {
    node: 'host',
    ipt: new Map(),
  });
  t.is(
    r.lines[3],
    'nat POSTROUTING  rule oifname != "br0" ip saddr 172.17.0.0/24 masquerade  -> masquerade (source 172.17.0.100 -> 10.0.2.15)',
  );
  t.is(r.hops[1]?.ruleSyntax, 'nft');
});

test("iptables rules are matched by handle only when the chain's counts agree", (t) => {
  const ruleset = parseNftRuleset(read('rule-drop-user-chain.ruleset.txt'));
  t.deepEqual(
    ruleset.map((c) => [c.table, c.chain, c.handles]),
    [
      ['nat', 'POSTROUTING', [2]],
      ['filter', 'FORWARD', [4]],
      ['filter', 'LAB', [5, 6]],
    ],
  );
  const ipt = iptablesByHandle(ruleset, { ip: read('rule-drop-user-chain.iptables-save.txt') });
  t.is(ipt.get('ip filter 5'), '-s 10.9.9.9/32 -j ACCEPT');
  t.is(ipt.get('ip filter 6'), '-p icmp -m comment --comment "no pings" -j DROP');
  const short = read('rule-drop-user-chain.iptables-save.txt').replace(/^-A LAB -s .*\n/m, '');
  const partial = iptablesByHandle(ruleset, { ip: short });
  t.false(partial.has('ip filter 6'));
  t.is(partial.get('ip filter 4'), '-j LAB');
  // Objects with their own handle (our limit) are not rules.
  t.deepEqual(
    parseNftRuleset(read('lab-trace-table.ruleset.txt')).map((c) => [c.chain, c.handles]),
    [
      ['mark_pre', [3]],
      ['mark_out', [5]],
      ['at_input', []],
    ],
  );
  t.deepEqual(
    [...(parseIptablesSave(read('dnat-output-local.iptables-save.txt')).get('nat')?.keys() ?? [])],
    ['PREROUTING', 'OUTPUT', 'POSTROUTING'],
  );
});

test('each kind of monitor line', (t) => {
  const policy = parseTraceLine('trace id 1c0a3f16 ip filter FORWARD policy drop ');
  t.like(policy, { family: 'ip', table: 'filter', chain: 'FORWARD', kind: 'policy', verdict: 'drop' });
  t.like(
    parseTraceLine(
      'trace id 2d45c727 ip filter FORWARD rule counter packets 0 bytes 0 jump LAB # handle 4 (verdict jump LAB)',
    ),
    { kind: 'rule', rule: 'jump LAB', handle: 4, verdict: 'jump LAB' },
  );
  t.like(parseTraceLine('trace id 5ddaf5b8 inet lab_trace mark_out unknown rule handle 5 (verdict continue)'), {
    kind: 'unknown-rule',
    handle: 5,
    verdict: 'continue',
  });
  // Not seen on this kernel (the end of LAB above sent no event); the format is nft's own (src/trace.c).
  t.like(parseTraceLine('trace id 00000001 ip filter LAB verdict continue '), { kind: 'return', verdict: 'continue' });
  t.is(parseTraceLine('add table inet lab_trace # handle 8'), undefined);
  t.is(parseTraceLine('# new generation 15 by process 16167 (nft)'), undefined);
  t.is(cleanRule('meta l4proto icmp  counter packets 3 bytes 252 drop'), 'meta l4proto icmp drop');
  const syn =
    read('dnat-output-local.monitor.txt')
      .split('\n')
      .find((l) => l.includes('mark_out packet:')) ?? '';
  t.deepEqual(parsePacket(syn.slice(syn.indexOf('packet: ') + 8)), {
    oif: 'lo',
    src: '10.0.2.15',
    dst: '10.0.2.15',
    ttl: 64,
    proto: 'tcp',
    sport: 46964,
    dport: 8080,
    tcpFlags: 'syn',
  });
});

test('packets, rewrites and chain names in words', (t) => {
  t.is(
    formatTracePacket({ src: '172.17.0.100', dst: '203.0.113.8', proto: 'icmp', icmpType: 'echo-request', ttl: 64 }),
    '172.17.0.100 -> 203.0.113.8 ICMP echo-request ttl=64',
  );
  t.is(rewriteOf({ src: 'a', dst: 'b' }, { src: 'a', dst: 'b' }), 'addresses unchanged');
  t.is(
    rewriteOf(
      { src: '10.0.2.2', sport: 1, dst: '10.0.2.15', dport: 8080 },
      { src: '10.0.2.2', sport: 1, dst: '172.17.0.100', dport: 80 },
    ),
    'destination 10.0.2.15:8080 -> 172.17.0.100:80',
  );
  t.is(chainLabel({ family: 'ip6', table: 'nat', chain: 'POSTROUTING' }), 'ip6 nat POSTROUTING');
  t.is(chainLabel({ family: 'inet', table: 'fw', chain: 'fwd' }), 'inet fw fwd');
});

test('no trace events: nothing of the probe reached the node', (t) => {
  const r = formatNodeTrace([], { node: 'host', ipt: new Map() });
  t.deepEqual(r.lines, ['no packet of the probe was seen in host']);
});

test('the match is as narrow as the probe allows, and only its first packet is marked', (t) => {
  t.is(
    probeMatch({ kind: 'ping', from: 'c', to: '203.0.113.8', count: 3 }),
    'ip daddr 203.0.113.8 icmp type echo-request',
  );
  t.is(
    probeMatch({ kind: 'ping', from: 'c', to: '2001:db8::8', count: 3, ipv6: true }),
    'ip6 daddr 2001:db8::8 icmpv6 type echo-request',
  );
  t.is(probeMatch({ kind: 'http', from: 'wan', url: 'http://10.0.2.15:8080/' }), 'ip daddr 10.0.2.15 tcp dport 8080');
  t.is(probeMatch({ kind: 'http', from: 'wan', url: 'http://[2001:db8::1]/' }), 'ip6 daddr 2001:db8::1 tcp dport 80');
  t.is(probeMatch({ kind: 'http', from: 'wan', url: 'http://example.test/' }), 'tcp dport 80');
  t.is(
    probeMatch({ kind: 'udp', from: 'c', to: '198.51.100.1', port: 53, payload: 'x' }),
    'ip daddr 198.51.100.1 udp dport 53',
  );
  t.is(probeMatch({ kind: 'tcp', from: 'c', to: '198.51.100.1', port: 22 }), 'ip daddr 198.51.100.1 tcp dport 22');
  const script = traceTableScript('tcp dport 80');
  t.regex(script, /^add chain inet lab_trace mark_pre \{ type filter hook prerouting priority -350; \}$/m);
  t.regex(script, /^add chain inet lab_trace mark_out \{ type filter hook output priority -350; \}$/m);
  t.is(script.match(/limit name "once" meta nftrace set 1$/gm)?.length, 2);
  t.deepEqual(traceNodes(['host', 'wan', 'mycontainer'], 'mycontainer'), ['mycontainer', 'host']);
  t.deepEqual(traceNodes(['host', 'wan'], 'host'), ['host']);
});

// masquerade-after-miss: the captured forward-accept-masquerade monitor output, with rules added by hand
// before the ones that matched (the ruleset and iptables-save files say where), so nft reported only those.
test('the rules tried before the one that matched, each with why it did not match', (t) => {
  t.deepEqual(traced('masquerade-after-miss', true).lines, [
    'in br0: 172.17.0.100 -> 203.0.113.8 ICMP echo-request ttl=64',
    'filter FORWARD  rule -i br+ -o eth1 -j ACCEPT  -> not matched: out interface is eth0, not eth1',
    'filter FORWARD  rule -i br0 -j ACCEPT  -> accept',
    'forwarded br0 -> eth0',
    'nat POSTROUTING  rule -s 172.18.0.0/24 ! -o br0 -j MASQUERADE  -> not matched: source 172.17.0.100 is not in 172.18.0.0/24',
    'nat POSTROUTING  rule -s 172.17.0.128/25 -j MASQUERADE  -> not matched: source 172.17.0.100 is not in 172.17.0.128/25',
    'nat POSTROUTING  rule ! -o eth0 -j MASQUERADE  -> not matched: out interface is eth0 (the rule says ! -o eth0)',
    'nat POSTROUTING  rule -p tcp -s 172.17.0.0/24 -m tcp --dport 80 -j MASQUERADE  -> not matched: protocol is icmp, not tcp',
    'nat POSTROUTING  rule -s 172.17.0.0/16 -m conntrack --ctstate NEW -j MASQUERADE  -> not matched (-m conntrack --ctstate NEW: not evaluated here)',
    'nat POSTROUTING  rule -s 172.17.0.0/24 ! -o br0 -j MASQUERADE  -> masquerade (source 172.17.0.100 -> 10.0.2.15)',
    'out eth0: 10.0.2.15 -> 203.0.113.8 ICMP echo-request ttl=63',
  ]);
  // Without the chains' rules the path is what nft reported, and nothing more.
  t.false(traced('masquerade-after-miss').lines.some((l) => l.includes('not matched')));
});

test('a chain ended by its policy: every rule was tried; a jumped-to chain that matched nothing, too', (t) => {
  // The captured policy drop, as if FORWARD had held two rules that did not match.
  const chains = new Map([
    ['ip filter FORWARD', { rules: ['-i eth1 -j ACCEPT', '-i br0 -p tcp -j ACCEPT'], handles: [2, 3] }],
  ]);
  t.deepEqual(
    formatNodeTrace(parseTrace(read('forward-policy-drop.monitor.txt')), { node: 'host', ipt: new Map(), chains })
      .lines,
    [
      'in br0: 172.17.0.100 -> 203.0.113.8 ICMP echo-request ttl=64',
      'filter FORWARD  rule -i eth1 -j ACCEPT  -> not matched: in interface is br0, not eth1',
      'filter FORWARD  rule -i br0 -p tcp -j ACCEPT  -> not matched: protocol is icmp, not tcp',
      'filter FORWARD policy drop   <- the packet died here',
    ],
  );
  t.deepEqual(traced('rule-drop-user-chain', true).lines.slice(1), [
    'filter FORWARD  rule -j LAB  -> jump LAB',
    'filter LAB  rule -s 10.9.9.9/32 -j ACCEPT  -> not matched: source 172.17.0.100 is not in 10.9.9.9/32',
    'filter LAB  rule -p icmp -m comment --comment "no pings" -j DROP  -> drop   <- the packet died here',
  ]);
  const r = traced('user-chain-return', true).lines;
  t.is(r[2], 'filter LAB  rule -s 10.9.9.9/32 -j DROP  -> not matched: source 172.17.0.100 is not in 10.9.9.9/32');
  t.is(r[3], 'filter FORWARD  rule -i br0 -o eth0 -j LOG --log-prefix "lab: "  -> continue');
});

test('CIDR edges, negation, wildcards and ports, one match at a time', (t) => {
  t.true(inCidr('172.17.0.127', '172.17.0.0/25'));
  t.false(inCidr('172.17.0.128', '172.17.0.0/25'));
  t.true(inCidr('10.1.2.3', '0.0.0.0/0'));
  t.true(inCidr('10.0.0.1', '10.0.0.1'));
  t.true(inCidr('2001:db8::1', '2001:db8::/32'));
  t.false(inCidr('2001:db9::1', '2001:db8::/32'));
  t.is(inCidr('10.0.0.1', '2001:db8::/32'), undefined);
  const p = { iif: 'veth1', oif: 'eth0', src: '10.0.0.2', dst: '198.51.100.7', proto: 'tcp', sport: 40000, dport: 443 };
  t.is(
    whyNotMatched('! -s 10.0.0.0/8 -j ACCEPT', p),
    'not matched: source 10.0.0.2 is in 10.0.0.0/8 (the rule says ! -s 10.0.0.0/8)',
  );
  t.is(
    whyNotMatched('-i veth+ -d 198.51.100.128/25 -j DROP', p),
    'not matched: destination 198.51.100.7 is not in 198.51.100.128/25',
  );
  t.is(whyNotMatched('-i veth+ -o eth1 -j DROP', p), 'not matched: out interface is eth0, not eth1');
  t.is(whyNotMatched('-i br+ -j DROP', p), 'not matched: in interface is veth1, not br+');
  t.is(whyNotMatched('-p tcp -m tcp --dport 80:90 -j DROP', p), 'not matched: destination port is 443, not 80:90');
  t.is(
    whyNotMatched('-p tcp -m tcp ! --sport 1024: -j DROP', p),
    'not matched: source port is 40000 (the rule says ! --sport 1024:)',
  );
  t.is(
    whyNotMatched('-p tcp -m multiport --dports 80,443 -j DROP', p),
    'not matched (-m multiport --dports 80,443: not evaluated here)',
  );
  t.is(
    whyNotMatched('-m comment --comment "keep -s 1.2.3.4" -j DROP', p),
    'not matched (its matches seem to hold for this dump; not explained here)',
  );
});
