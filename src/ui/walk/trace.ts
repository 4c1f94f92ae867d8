// The hook for "the packet's path", built in the engine as session.trace(stepId).
// The walkthrough offers it after a check only when the session has it; nothing here traces.
import type { LabSession } from '../../engine/session.js';

type Traceable = { trace?: (stepId: string) => Promise<unknown> };

// True when the engine this walkthrough runs on can trace a step's first probe packet.
export function canTrace(session: LabSession): boolean {
  return typeof (session as unknown as Traceable).trace === 'function';
}

// The trace's lines, whatever shape the engine returns them in (lines, { lines }, or text).
export async function traceLines(session: LabSession, stepId: string): Promise<string[]> {
  const out = await (session as unknown as Traceable).trace?.(stepId);
  if (Array.isArray(out)) return out.map(String);
  if (out && typeof out === 'object' && Array.isArray((out as { lines?: unknown }).lines))
    return (out as { lines: unknown[] }).lines.map(String);
  return typeof out === 'string' ? out.split('\n') : [];
}
