// Matchers: builders produce data, matching names the field that differs, CIDRs and flag sets compare right.
import test from 'ava';
import { arp, http, icmp, ip, tcp, udp, validateMatcher } from '../../src/model/matchers.js';
import { matchPacket } from '../../src/check/matchers.js';
import { parseAddressOrCidr } from '../../src/model/address.js';
import { arpPkt, echo, seg } from '../helpers/packets.js';

test('builders are plain data with a label', (t) => {
  t.deepEqual(icmp.echoRequest({ src: '10.0.2.15', ttl: 63 }), {
    proto: 'icmp',
    label: 'ICMP echo-request',
    fields: { src: '10.0.2.15', ttl: 63, icmpType: 'echo-request' },
  });
  t.is(tcp.synAck().fields.tcpFlags, 'SYN,ACK');
  t.is(http.response(200).label, 'HTTP 200');
  t.is(http.request().fields.httpMethod, 'GET');
  t.is(udp({ dport: 53 }).proto, 'udp');
  t.is(arp.reply().fields.arpOp, 'reply');
});

test('a match has no diffs; a mismatch names each differing field', (t) => {
  const p = echo('request', '172.17.0.100', '203.0.113.8', 63);
  t.deepEqual(matchPacket(icmp.echoRequest({ src: '172.17.0.100', ttl: 63 }), p), []);
  t.deepEqual(matchPacket(icmp.echoRequest({ src: '10.0.2.15', ttl: 63 }), p), [
    { field: 'src', expected: '10.0.2.15', seen: '172.17.0.100' },
  ]);
  t.deepEqual(matchPacket(icmp.echoReply({ ttl: 64 }), p), [
    { field: 'ttl', expected: '64', seen: '63' },
    { field: 'icmpType', expected: 'echo-reply', seen: 'echo-request' },
  ]);
  t.deepEqual(matchPacket(tcp.syn(), p), [{ field: 'proto', expected: 'tcp', seen: 'icmp' }]);
});

test('src and dst accept IPv4 and IPv6 prefixes', (t) => {
  const p = echo('request', '172.17.0.100', '203.0.113.8');
  t.deepEqual(matchPacket(ip({ src: '172.17.0.0/24' }), p), []);
  t.is(matchPacket(ip({ src: '172.17.1.0/24' }), p)[0]?.field, 'src');
  t.deepEqual(matchPacket(ip({ dst: '0.0.0.0/0' }), p), []);
  const v6 = {
    ...p,
    ip: { version: 6 as const, src: '2001:db8:1::5', dst: '2001:db8:2::1', ttl: 64, proto: 58, len: 64 },
  };
  t.deepEqual(matchPacket(ip({ src: '2001:db8:1::/48' }), v6), []);
  t.is(matchPacket(ip({ src: '2001:db8:2::/48' }), v6)[0]?.field, 'src');
  t.is(matchPacket(ip({ src: '172.17.0.0/16' }), v6)[0]?.field, 'src');
  t.deepEqual(parseAddressOrCidr('::ffff:10.0.0.1/128')?.version, 6);
  t.is(parseAddressOrCidr('10.0.0.0/33'), undefined);
  t.is(parseAddressOrCidr('10.0.0.300'), undefined);
});

test('tcp flags compare as a set; ports and http fields match', (t) => {
  const s = seg('10.0.2.15', 8080, '10.0.2.2', 40000, 'SYN,ACK');
  t.deepEqual(matchPacket(tcp({ tcpFlags: 'ACK,SYN', sport: 8080 }), s), []);
  t.is(matchPacket(tcp.rstAck(), s)[0]?.field, 'tcpFlags');
  t.is(matchPacket(tcp({ dport: 40001 }), s)[0]?.field, 'dport');
  const resp = seg('10.0.2.15', 8080, '10.0.2.2', 40000, 'PSH,ACK', { http: { status: 200 } });
  t.deepEqual(matchPacket(http.response(200), resp), []);
  t.deepEqual(matchPacket(http.response(404), resp), [{ field: 'httpStatus', expected: '404', seen: '200' }]);
});

test('arp matchers use sender and target IPs', (t) => {
  const a = arpPkt('request', '172.17.0.100', '172.17.0.1');
  t.deepEqual(matchPacket(arp.request({ src: '172.17.0.100', dst: '172.17.0.1' }), a), []);
  t.is(matchPacket(arp.reply(), a)[0]?.field, 'arpOp');
});

test('validation names the field', (t) => {
  t.deepEqual(validateMatcher(icmp.echoRequest({ src: '172.17.0.300' })), [
    'fields.src: "172.17.0.300" is not an IPv4/IPv6 address or CIDR',
  ]);
  t.deepEqual(validateMatcher(tcp({ dport: 70000 })), ['fields.dport: 70000 is not a port']);
  t.deepEqual(validateMatcher(tcp({ tcpFlags: 'SIN' })), ['fields.tcpFlags: unknown flag "SIN"']);
  t.deepEqual(validateMatcher(icmp.echoReply({ ttl: 300 })), ['fields.ttl: 300 must be 0..255']);
  t.deepEqual(validateMatcher(icmp.echoReply({ src: '2001:db8::/32', ttl: 64 })), []);
});
