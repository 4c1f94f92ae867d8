// The last line of defence: no traffic generator may run in a namespace of the real machine.
import { statSync } from 'node:fs';
import { InternalError } from '../errors.js';
import { realNamespaceIds } from './ns-files.js';

// Refuses (exit 70) when the namespace file is one of the real machine's (the runner's own, PID 1's).
export function assertNotRunnerNetns(nsPath: string, what: string): void {
  let id: string;
  try {
    const s = statSync(nsPath);
    id = `${s.dev}:${s.ino}`;
  } catch (err) {
    throw new InternalError(`refusing to run ${what}: namespace ${nsPath} cannot be read (${(err as Error).message})`);
  }
  if (realNamespaceIds().has(id)) {
    throw new InternalError(`refusing to run ${what}: ${nsPath} is the real machine's network namespace`);
  }
}
