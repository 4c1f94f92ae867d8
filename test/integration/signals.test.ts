// SIGINT, SIGTERM and SIGHUP at any moment of a run, under both reporters: teardown, the signal's exit
// code, and nothing left (no journal entry, no process of the run: keeper, node, capture or command).
import test from '../helpers/root-test.js';
import { tempDir } from '../helpers/temp.js';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { labProcess } from '../helpers/cli.js';
import { journal, waitFor } from '../helpers/procs.js';

const LAB = '02-bridge-veth';
const INSTANTS = 20;
const AT_ONCE = 6;
const CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

// Pids of live processes started under this state folder (they inherit LAB_STATE_DIR).
function processesOf(dir: string): number[] {
  const needle = `LAB_STATE_DIR=${dir}\0`;
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n) && Number(n) !== process.pid)
    .filter((n) => {
      try {
        return (
          readFileSync(`/proc/${n}/environ`, 'latin1').includes(needle) &&
          !readFileSync(`/proc/${n}/stat`, 'utf8').includes(') Z ')
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}

function args(reporter: string): string[] {
  return ['run', LAB, '--check', '--reporter', reporter];
}

// How long an undisturbed run takes, so the instants spread over a whole run.
let runMs: Promise<number> | undefined;
function measure(): Promise<number> {
  runMs ??= (async () => {
    const t0 = performance.now();
    const r = await labProcess(args('plain'), { LAB_STATE_DIR: tempDir('lab-sig-') });
    if (r.exitCode !== 0) throw new Error(`${LAB} does not pass undisturbed: ${String(r.stdout).slice(-500)}`);
    return performance.now() - t0;
  })();
  return runMs;
}

interface Outcome {
  at: number;
  sent: boolean;
  exitCode: number | undefined;
  signal: string | undefined;
  left: number[];
  journal: number;
  tail: string;
}

// One run, signalled `at` ms after start (or not, if it already ended), then what it left.
async function signalled(reporter: string, sig: keyof typeof CODES, at: number, second: boolean): Promise<Outcome> {
  const dir = tempDir('lab-sig-');
  const proc = labProcess(args(reporter), { LAB_STATE_DIR: dir });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await delay(at);
  // process.kill, not execa's kill: that one follows SIGTERM with a SIGKILL of its own after 5 s.
  const send = (): boolean => {
    try {
      return proc.exitCode === null && proc.pid !== undefined && process.kill(proc.pid, sig);
    } catch {
      return false;
    }
  };
  const sent = send();
  // A second Ctrl-C during the teardown must wait for it, not cut it short.
  if (sent && second) setTimeout(send, 30);
  const r = await proc;
  await waitFor(() => processesOf(dir).length === 0, 3_000);
  return {
    at,
    sent,
    exitCode: r.exitCode,
    signal: r.signal,
    left: processesOf(dir),
    journal: journal(dir).length,
    tail: out.slice(-400),
  };
}

for (const reporter of ['listr', 'plain']) {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    test.serial(
      `${sig} at ${INSTANTS} instants of a run, ${reporter} reporter: exit ${CODES[sig]}, nothing left`,
      async (t) => {
        t.timeout(180_000);
        const total = await measure();
        const queue = Array.from({ length: INSTANTS }, (_, i) => Math.round((total * (i + 0.5)) / INSTANTS));
        const outcomes: Outcome[] = [];
        await Promise.all(
          Array.from({ length: AT_ONCE }, async () => {
            for (let at = queue.shift(); at !== undefined; at = queue.shift())
              outcomes.push(await signalled(reporter, sig, at, sig === 'SIGINT'));
          }),
        );
        for (const o of outcomes) {
          const what = `${sig} at ${o.at} ms (${reporter}): exit ${o.exitCode ?? o.signal}\n${o.tail}`;
          // Before the CLI installs its handlers the kernel ends it by the signal: a shell shows the same code.
          // A signal that lands as the CLI exits, its run already ended and said PASSED, changes nothing.
          const late = o.exitCode === 0 && /PASSED/.test(o.tail);
          if (o.sent) t.true(o.exitCode === CODES[sig] || (o.exitCode === undefined && o.signal === sig) || late, what);
          else t.is(o.exitCode, 0, what);
          t.deepEqual(o.left, [], `${what}\nprocesses left`);
          t.is(o.journal, 0, `${what}\njournal left`);
        }
        t.true(outcomes.filter((o) => o.sent).length >= INSTANTS / 2, 'most signals landed during the run');
      },
    );
  }
}
