// Prints a snapshot of the real machine's network, and of the sandboxes' cgroups, as JSON (taken before the test suite).
import { snapshotRoot } from '../dist/src/sys/root-state.js';
process.stdout.write(`${JSON.stringify(snapshotRoot(), null, 2)}\n`);
