// Terminal text for the walkthrough at 80 columns: words and commands are never split.
import test from 'ava';
import stringWidth from 'string-width';
import { commandGroups } from '../../src/ui/walk/shell.js';
import { commandLines, shellWords, wrap } from '../../src/ui/shared/text.js';

test('a paragraph wraps at word boundaries within 80 columns, addresses whole', (t) => {
  const text =
    'its source is still 172.17.0.100, a private address, and 2001:db8:ffff:ffff:ffff:ffff:ffff:1 too; '.repeat(4);
  const lines = wrap(text, '   ');
  t.true(lines.length > 2);
  for (const l of lines) t.true(stringWidth(l) <= 80, l);
  const words = lines.flatMap((l) => l.trim().split(' '));
  t.true(words.includes('172.17.0.100,') && words.includes('2001:db8:ffff:ffff:ffff:ffff:ffff:1'));
});

test('a long command continues with a backslash between words, and pastes back whole', (t) => {
  const cmd = 'iptables -t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 172.17.0.100:80';
  const lines = commandLines('host', cmd, '     ');
  t.true(lines.length >= 2);
  for (const l of lines) t.true(stringWidth(l) <= 80, l);
  t.true(lines.slice(0, -1).every((l) => l.endsWith(' \\')));
  t.is(lines.map((l) => l.replace(/ \\$/, '').trim()).join(' '), `[host]# ${cmd}`);
});

test('quoted strings stay one shell word', (t) => {
  t.deepEqual(shellWords(`printf "nameserver 203.0.113.8\\n" > /etc/resolv.conf`), [
    'printf',
    '"nameserver 203.0.113.8\\n"',
    '>',
    '/etc/resolv.conf',
  ]);
});

test("commands group into one shell per node in order; a container start is the engine's", (t) => {
  const groups = commandGroups([
    { kind: 'sh', node: 'host', cmd: 'a' },
    { kind: 'sh', node: 'host', cmd: 'b' },
    { kind: 'sh', node: 'c', cmd: 'c' },
    { kind: 'start', node: 'host', cmd: 'unshare ...', container: 'c' },
    { kind: 'sh', node: 'c', cmd: 'd' },
  ]);
  t.deepEqual(groups, [
    { node: 'host', indexes: [0, 1], start: false },
    { node: 'c', indexes: [2], start: false },
    { node: 'host', indexes: [3], start: true },
    { node: 'c', indexes: [4], start: false },
  ]);
});
