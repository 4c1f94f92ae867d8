// `lab ps`: the sandboxes on this machine (kept, running, dead), whose they are and where they came from.
import { EnvironmentError, LabRunnerError } from '../errors.js';
import { formatAge, listSandboxes, type SandboxView } from '../sandbox/sandboxes.js';
import { stateDir } from '../sandbox/state.js';

// Lists the sandboxes as a table, or as JSON.
export function psCommand(o: { json?: boolean }): number {
  const { sandboxes, broken } = asRoot(() => listSandboxes(), 'lab ps');
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ journal: stateDir(), sandboxes, broken }, null, 2)}\n`);
    return 0;
  }
  if (!sandboxes.length) process.stdout.write(`no sandbox (journal: ${stateDir()})\n`);
  else process.stdout.write(sandboxTable(sandboxes));
  for (const b of broken) process.stdout.write(`unreadable journal entry: ${b} (\`lab clean --all\` removes it)\n`);
  return 0;
}

// One line per sandbox under a header: RUN LAB STATE AGE OWNER CHECKOUT.
export function sandboxTable(list: SandboxView[]): string {
  const rows = [
    ['RUN', 'LAB', 'STATE', 'AGE', 'OWNER', 'CHECKOUT'],
    ...list.map((s) => [
      s.runId,
      s.lab,
      s.state,
      formatAge(s.ageMs),
      s.uid === undefined ? '?' : `${s.user ?? s.uid} (${s.uid})`,
      s.journaled ? (s.checkout ?? '? (older version)') : '? (not in this journal)',
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) => `${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}\n`)
    .join('');
}

// Runs a journal read, turning "permission denied" into what to run instead.
export function asRoot<T>(work: () => T, command: string): T {
  try {
    return work();
  } catch (err) {
    throw withRootHint(err, command);
  }
}

// A journal "permission denied" with the exact command to run as root; any other error unchanged.
export function withRootHint(err: unknown, command: string): unknown {
  return err instanceof LabRunnerError && err.code === 'NO_PRIVILEGE'
    ? new EnvironmentError(err.code, err.message, `run it as root: sudo ./${command}`)
    : err;
}
