// The ping flags the docs quote are the ones the code runs: each `ping ... -i X -W Y` in the README,
// docs/ and the authoring API's comments matches what probeCommand builds, and both timeouts are said.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { probeCommand } from '../../src/model/probes.js';
import type { Probe } from '../../src/model/probes.js';
import { ROOT } from '../helpers/cli.js';
import { docFiles, docText } from '../helpers/docs.js';

// The value after each flag in an argv or a quoted command line.
function flag(words: string[], name: string): string | undefined {
  const i = words.indexOf(name);
  return i >= 0 ? words[i + 1] : undefined;
}

// The argv the code runs for a ping that must be answered, and for one the lab says gets no reply.
function codeFlags(): { interval: string; answered: string; unanswered: string } {
  const base = { kind: 'ping', from: 'host', to: '203.0.113.8', count: 3 } as unknown as Probe;
  const yes = probeCommand(base).argv;
  const no = probeCommand({ ...base, expectFail: true } as Probe).argv;
  return { interval: flag(yes, '-i')!, answered: flag(yes, '-W')!, unanswered: flag(no, '-W')! };
}

// Every ping command line quoted in a text, as its words.
function quotedPings(text: string): string[][] {
  return [...text.matchAll(/\bping((?: +\[?-[a-zA-Z0-9]+(?: +[^\s\]|`]+)?\]?)+)/g)].map((m) =>
    m[1]!
      .trim()
      .split(/\s+/)
      .map((w) => w.replace(/[[\]]/g, '')),
  );
}

const sources = (): [string, string][] => [
  ...docFiles().map((f): [string, string] => [f, docText(f)]),
  ['src/lab.ts', readFileSync(join(ROOT, 'src', 'lab.ts'), 'utf8')],
];

test('the code runs ping 5 ms apart, waits 1 s for a reply it expects and 0.1 s for one it does not', (t) => {
  t.deepEqual(codeFlags(), { interval: '0.005', answered: '1', unanswered: '0.1' });
});

test('every ping the docs quote has the interval and a timeout the code uses', (t) => {
  const code = codeFlags();
  const bad: string[] = [];
  let seen = 0;
  for (const [file, text] of sources()) {
    for (const words of quotedPings(text)) {
      const i = flag(words, '-i');
      const w = flag(words, '-W');
      if (i === undefined && w === undefined) continue;
      seen++;
      if (i !== undefined && i !== code.interval) bad.push(`${file}: ping -i ${i} (the code: -i ${code.interval})`);
      if (w !== undefined && w !== code.answered && w !== code.unanswered)
        bad.push(`${file}: ping -W ${w} (the code: -W ${code.answered}, or ${code.unanswered} with expectFail)`);
    }
  }
  t.true(seen >= 3, `only ${seen} quoted pings found: the docs' samples moved?`);
  t.deepEqual(bad, [], bad.join('\n'));
});

test('the authoring reference states both timeouts, and no doc says the old 20 ms or 0.5 s', (t) => {
  const code = codeFlags();
  const authoring = docText('docs/authoring.md');
  t.regex(authoring, new RegExp(`-i ${code.interval.replace('.', '\\.')} -W ${code.answered}\\b`));
  t.regex(authoring, new RegExp(`-W ${code.unanswered.replace('.', '\\.')}\\b`));
  for (const [file, text] of sources()) {
    t.notRegex(text, /-i 0\.02\b|-W 0\.5\b/, file);
    t.notRegex(text, /pings? 20 ms apart/, file);
  }
});

test('the quoted-ping reader finds flags in samples and in the reference table', (t) => {
  t.deepEqual(quotedPings('$ ping -n -q -c 3 -i 0.02 -W 0.5 203.0.113.8'), [
    ['-n', '-q', '-c', '3', '-i', '0.02', '-W', '0.5'],
  ]);
  const [row] = quotedPings('`ping [-6] -c 3 -i 0.005 -W 1 [-s size]`');
  t.is(flag(row!, '-i'), '0.005');
  t.is(flag(row!, '-W'), '1');
});
