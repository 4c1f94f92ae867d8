// What the walkthrough's parts share: the session they drive, the interrupt signal, saved progress.
import type { LabSession } from '../engine/session.js';
import type { LabProgress } from './progress-store.js';

export interface WalkContext {
  session: LabSession;
  signal: AbortSignal;
  progress: LabProgress;
  showCommands: boolean; // print step commands as they run (not probes, looks or replays)
}
