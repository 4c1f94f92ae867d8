// Which step commands run without a shell: only those a shell would merely split on spaces.
import test from 'ava';
import { plainWords } from '../../src/sandbox/plain-words.js';

test('plain words are the argv the shell would make', (t) => {
  t.deepEqual(plainWords('ip link add br0 type bridge'), ['ip', 'link', 'add', 'br0', 'type', 'bridge']);
  t.deepEqual(plainWords('sysctl -w net.ipv4.ip_forward=1'), ['sysctl', '-w', 'net.ipv4.ip_forward=1']);
  t.deepEqual(plainWords('iptables -t nat -A POSTROUTING -s 172.17.0.0/24 ! -o br0 -j MASQUERADE'), [
    'iptables',
    '-t',
    'nat',
    '-A',
    'POSTROUTING',
    '-s',
    '172.17.0.0/24',
    '!',
    '-o',
    'br0',
    '-j',
    'MASQUERADE',
  ]);
  t.deepEqual(plainWords('ip  -6 addr add 2001:db8::1/64 dev eth0'), [
    'ip',
    '-6',
    'addr',
    'add',
    '2001:db8::1/64',
    'dev',
    'eth0',
  ]);
});

test('anything the shell reads differently keeps the shell', (t) => {
  for (const cmd of [
    'printf "nameserver 203.0.113.8\\n" > /etc/resolv.conf', // quotes, redirection
    "echo 'a b'",
    'ip link show $DEV',
    'ls /dev/*',
    'cd /tmp',
    'echo hi', // a builtin, which may differ from /bin/echo
    'kill %1',
    'X=1 env',
    '! true',
    'ip route; ip link',
    'sleep 1 &',
    'ip a | grep eth0',
    'ls ~',
    'ip route # comment',
    'a\tb',
    'multi\nline',
    '',
    '   ',
  ])
    t.is(plainWords(cmd), undefined, JSON.stringify(cmd));
});
