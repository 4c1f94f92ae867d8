// Whether a sandbox found earlier still runs: a shell beside a lab notices that the lab ended.
import { isAlive, type SandboxState } from '../sandbox/state.js';

// True while the sandbox's keeper (PID 1 of its namespaces) lives.
export function sandboxAlive(s: SandboxState): boolean {
  return isAlive(s.initPid);
}
