// At most so many sandboxes at once on this machine (every user, every checkout): a run beyond that
// waits, bounded, for a slot, instead of starving the others into wrong verdicts. A slot is a flock(1)
// on a file in /run/lock, held by a child that ends with the runner (even by SIGKILL).
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { EnvironmentError, InterruptedError } from '../errors.js';
import { startProcess } from '../sys/exec.js';

export const SLOT_DIR = process.env.LAB_SLOT_DIR ?? '/run/lock/netns-lab';
const WAIT_MS = Number(process.env.LAB_SLOT_WAIT_MS ?? 600_000);
const PER_SANDBOX_BYTES = 400 * 1024 * 1024; // a runner, its captures and its nodes, generously

// How many sandboxes this machine holds at once: LAB_MAX_SANDBOXES, else 6 per CPU, within memory.
export function capacity(): number {
  const set = Number(process.env.LAB_MAX_SANDBOXES);
  if (Number.isInteger(set) && set > 0) return set;
  return Math.max(2, Math.min(6 * availableParallelism(), Math.floor(totalmem() / PER_SANDBOX_BYTES)));
}

// Tries every slot without waiting; prints "slot N" once it holds one.
const SLOT_SCRIPT = [
  'dir=$1 n=$2 wait=$3 i=0',
  'while [ $i -lt $n ]; do exec 9>>"$dir/slot-$i"; if flock -n 9; then echo "slot $i"; exec cat >/dev/null; fi; exec 9>&-; i=$((i+1)); done',
  'echo waiting',
  // Then waits half a second on each slot in turn, so whichever frees first is taken, until the bound.
  // Each waiting flock dies with this shell (pdeathsig), so a killed runner leaves no waiter behind.
  'end=$(($(date +%s) + wait)); i=$(($$ % n))',
  'while [ "$(date +%s)" -lt "$end" ]; do exec 9>>"$dir/slot-$i"; if setpriv --pdeathsig KILL flock -w 0.5 9; then echo "slot $i"; exec cat >/dev/null; fi; exec 9>&-; i=$(((i + 1) % n)); done',
  'exit 1',
].join('\n');

// Takes a slot; resolves with its release. `onWait` hears once that the run waits; the signal ends the wait.
export async function takeSandboxSlot(
  opts: { signal?: AbortSignal; onWait?: (line: string) => void } = {},
): Promise<() => void> {
  const n = capacity();
  mkdirSync(SLOT_DIR, { recursive: true });
  chmodSync(SLOT_DIR, 0o1777); // every user's runs share the machine's slots
  const holder = startProcess({
    argv: [
      'setpriv',
      '--pdeathsig',
      'KILL',
      'sh',
      '-c',
      SLOT_SCRIPT,
      'slots',
      SLOT_DIR,
      String(n),
      (WAIT_MS / 1000).toFixed(0),
    ],
    detached: true,
  });
  holder.stdin?.on('error', () => undefined);
  // Its own process group, killed whole: a waiting flock must not hold the runner's pipes open.
  const release = (): void => {
    holder.stdin?.end();
    try {
      if (holder.pid) process.kill(-holder.pid, 'SIGKILL');
    } catch {
      // gone
    }
    holder.stdout?.destroy();
    holder.stderr?.destroy();
  };
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const onAbort = (): void => {
      release();
      reject(new InterruptedError(String(opts.signal?.reason ?? 'SIGINT')));
    };
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    holder.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('waiting\n') && !out.includes('slot'))
        opts.onWait?.(
          `waiting for a sandbox slot: this machine runs at most ${n} sandboxes at once (LAB_MAX_SANDBOXES)`,
        );
      if (/slot \d+\n/.test(out)) {
        opts.signal?.removeEventListener('abort', onAbort);
        resolve();
      }
    });
    holder.once('exit', (code) => {
      opts.signal?.removeEventListener('abort', onAbort);
      reject(slotError(holder, code, n));
    });
    holder.once('error', (err) =>
      reject(
        new EnvironmentError(
          'TOOL_MISSING',
          `cannot run setpriv/flock: ${err.message}`,
          'apt-get install -y util-linux',
        ),
      ),
    );
  });
  return release;
}

// The wait passed its bound: the machine is full, said as such (exit 3), never a failed check.
function slotError(_h: ChildProcess, code: number | null, n: number): EnvironmentError {
  if (code === 1)
    return new EnvironmentError(
      'MACHINE_FULL',
      `this machine already runs ${n} sandboxes, its limit, and none ended within ${Math.round(WAIT_MS / 1000)} s`,
      'run fewer labs at once, or set LAB_MAX_SANDBOXES higher if the machine has the CPUs and memory for it',
    );
  return new EnvironmentError(
    'SLOT_FAILED',
    `cannot take a sandbox slot in ${SLOT_DIR} (exit ${code})`,
    `check that ${SLOT_DIR} is writable (run as root)`,
  );
}
