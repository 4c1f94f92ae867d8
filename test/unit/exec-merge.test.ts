// A command's output keeps stdout and stderr apart line by line: never one stream inside the other's line.
import test from 'ava';
import { LineMerge, runCommand } from '../../src/sys/exec.js';

test('stdout and stderr interleave by whole lines: curl\'s "000" is never written inside its error message', async (t) => {
  const r = await runCommand({
    node: '',
    display: 'curl-like',
    argv: [
      '/bin/sh',
      '-c',
      'printf "curl: (7) Failed to " >&2; sleep 0.1; printf 000; sleep 0.1; printf "connect to 10.0.2.15 port 8080\\n" >&2',
    ],
  } as Parameters<typeof runCommand>[0]);
  t.deepEqual(r.output.split('\n'), ['curl: (7) Failed to connect to 10.0.2.15 port 8080', '000']);
});

test('finished lines pass at once, in the order they were finished', (t) => {
  const got: string[] = [];
  const m = new LineMerge({ push: (x) => got.push(x) });
  m.push('out', 'a\nb');
  m.push('err', 'E1\n');
  m.push('out', 'c\n');
  m.push('err', 'tail');
  m.flush();
  t.deepEqual(got.join(''), 'a\nE1\nbc\ntail');
});
