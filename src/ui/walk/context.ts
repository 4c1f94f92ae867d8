// What the walkthrough's parts share: the session they drive, the interrupt signal, saved progress.
import type { LabSession } from '../../engine/session.js';
import type { LabProgress } from './progress-store.js';
import type { Spare } from './rebuild.js';

export interface WalkContext {
  session: LabSession; // replaced when the walkthrough goes back to a step's start (a fresh sandbox)
  signal: AbortSignal;
  progress: LabProgress;
  showCommands: boolean; // print step commands as they run (not probes, looks or replays)
  reopen: (signal: AbortSignal) => Promise<LabSession>; // a new session of the same lab, printing nothing until it is the current one
  spare?: Spare; // a fresh sandbox being made at a step's start, for a retry
  retired: Promise<unknown>[]; // the teardowns of sessions replaced or not used
}
