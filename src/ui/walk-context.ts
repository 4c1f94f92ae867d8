// What the walkthrough's parts share: the session they drive, the interrupt signal, saved progress.
import type { LabSession } from '../engine/session.js';
import type { LabProgress } from './progress-store.js';

export interface WalkContext {
  session: LabSession; // replaced when the walkthrough goes back to a step's start (a fresh sandbox)
  signal: AbortSignal;
  progress: LabProgress;
  showCommands: boolean; // print step commands as they run (not probes, looks or replays)
  quiet: boolean; // a rebuild under way: the sandbox's own lines are not shown
  reopen: () => Promise<LabSession>; // a new session of the same lab (a fresh sandbox)
}
