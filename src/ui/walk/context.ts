// What the walkthrough's parts share: the driven run, the interrupt signal, saved progress.
import type { Drive } from '../../engine/driver.js';
import type { LabSession } from '../../engine/session.js';
import type { LabProgress } from './progress-store.js';

export interface WalkContext {
  drive: Drive;
  readonly session: LabSession; // the drive's current one: replaced when the walk goes back to a step's start
  signal: AbortSignal;
  progress: LabProgress;
  showCommands: boolean; // print step commands as they run (not probes, looks or replays)
}
