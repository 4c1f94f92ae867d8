// The browser front end's pure parts: the shell's markers taken out of a terminal's stream (even cut
// between two chunks), and the live check's rule.
import test from 'ava';
import { LiveCheck } from '../../src/engine/live-check.js';
import { takeMarks } from '../../src/ui/serve/web/terminals.js';

const C = '\x1b]6973;c\x07';
const P = '\x1b]6973;p\x07';

test('markers are taken out of the stream, and a marker cut between chunks waits for its end', (t) => {
  t.deepEqual(takeMarks('', `ls${C}\r\nfile\r\n${P}[host]# `), {
    out: 'ls\r\nfile\r\n[host]# ',
    marks: 'cp',
    carry: '',
  });
  const first = takeMarks('', `out${P.slice(0, 5)}`);
  t.deepEqual(first, { out: 'out', marks: '', carry: P.slice(0, 5) });
  t.deepEqual(takeMarks(first.carry, `${P.slice(5)}[host]# `), { out: '[host]# ', marks: 'p', carry: '' });
  // Other escape sequences (colours, an unrelated OSC) pass untouched.
  t.deepEqual(takeMarks('', '\x1b[31mred\x1b[0m\x1b]0;title\x07'), {
    out: '\x1b[31mred\x1b[0m\x1b]0;title\x07',
    marks: '',
    carry: '',
  });
  t.deepEqual(takeMarks('', 'end\x1b'), { out: 'end', marks: '', carry: '\x1b' });
  t.deepEqual(takeMarks('\x1b', '[0m'), { out: '\x1b[0m', marks: '', carry: '' });
});

// A LiveCheck whose check answers from a list, resolving when the test says.
function harness(answers: boolean[]) {
  const calls: string[] = [];
  const passes: string[] = [];
  let release: (() => void) | undefined;
  let step = 'forward';
  const live = new LiveCheck(
    () => step,
    async (s) => {
      calls.push(s);
      await new Promise<void>((r) => (release = r));
      return answers.shift() ?? false;
    },
    (s) => passes.push(s),
  );
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };
  return {
    live,
    calls,
    passes,
    settle,
    finish: async () => {
      release?.();
      await settle();
    },
    move: (s: string) => {
      step = s;
      live.moved();
    },
  };
}

test('the live check: after a command and its prompt, one check at a time; a pass turns the step green once', async (t) => {
  const h = harness([false, true]);
  h.live.onMarks('host', 'p'); // a prompt before any command: nothing to check
  t.is(h.calls.length, 0);
  h.live.onMarks('host', 'c');
  t.is(h.calls.length, 0, 'no check while the command runs');
  h.live.onMarks('host', 'p');
  t.deepEqual(h.calls, ['forward']);
  h.live.onMarks('host', 'cp'); // another command while the check runs: once more after it
  t.is(h.calls.length, 1);
  await h.finish();
  t.is(h.calls.length, 2, 'the check ran again after the one in flight');
  await h.finish();
  t.deepEqual(h.passes, ['forward']);
  h.live.onMarks('host', 'cp');
  t.is(h.calls.length, 2, 'a passed step is not checked again by typing');
  h.move('masquerade');
  h.live.onMarks('host', 'cp');
  t.deepEqual(h.calls.slice(2), ['masquerade']);
});

test('the live check: a pass does not count when a command started while it ran', async (t) => {
  const h = harness([true, false]);
  h.live.onMarks('host', 'cp');
  h.live.onMarks('wan', 'c'); // a command starts in another shell meanwhile
  await h.finish();
  t.deepEqual(h.passes, [], 'the pass was taken before that command: not shown');
});
