// One step's check against a sandbox another run kept (or still runs), as it is now: no command runs;
// the step's probes and captures do, and its expectations are judged as in a run (`lab check RUN STEP`).
import { EnvironmentError, UsageError } from '../errors.js';
import type { SandboxState } from '../sandbox/state.js';
import { nodeNames } from '../model/topology.js';
import { findSandbox } from './attach.js';
import type { LabEvents } from './events.js';
import { loadLab } from './loader.js';
import { checkEnvironment } from './preflight.js';
import type { StepResult } from './result.js';
import { LabSession, stepInfos } from './session.js';

export interface SandboxStep {
  runId: string;
  lab: string;
  step: StepResult; // the record `lab run --json` gives that step
}

// Finds the sandbox (exit 2 unknown, 3 dead) and the step (exit 2 unknown), then checks it; the
// sandbox is left as it was found.
export async function checkSandboxStep(
  ref: string,
  stepId: string,
  events: LabEvents,
  opts: { trace?: boolean } = {},
): Promise<SandboxStep> {
  const state = findSandbox(ref);
  const loaded = await loadLab(state.lab);
  const { def } = loaded;
  const info = stepInfos(def).find((s) => s.id === stepId);
  if (!info)
    throw new UsageError(
      'UNKNOWN_STEP',
      `lab ${def.id} (sandbox ${state.runId}) has no step "${stepId}"`,
      `its steps are: ${def.steps.map((s) => s.id).join(', ')}`,
    );
  checkEnvironment(def);
  const now = nodeNames(def.topology);
  if ([...now].sort().join(' ') !== [...state.nodes].sort().join(' '))
    throw new EnvironmentError(
      'SANDBOX_STALE',
      `lab ${def.id} changed since sandbox ${state.runId} was built: its nodes were ${state.nodes.join(', ')}, now ${now.join(', ')}`,
      `build it again: lab clean ${state.runId}; lab run ${def.id} --check --until ${stepId} --skip ${stepId} --keep`,
    );
  const session = await LabSession.attach(loaded, state, { events });
  const t0 = performance.now();
  try {
    events.emit({ type: 'step-start', step: info, skipped: false });
    const check = await session.check(stepId);
    const trace = opts.trace && check ? await session.trace(stepId) : undefined;
    if (session.died) throw dead(state);
    const step: StepResult = {
      id: info.id,
      title: info.title,
      status: !check ? 'not-checked' : check.pass ? 'passed' : 'failed',
      skipped: false,
      commands: [],
      ...(check ? { check } : {}),
      ...(trace?.probe ? { trace } : {}),
      durationMs: performance.now() - t0,
    };
    events.emit({ type: 'step-end', stepId, status: step.status, durationMs: step.durationMs });
    return { runId: state.runId, lab: def.id, step };
  } finally {
    await session.release();
  }
}

// The sandbox died while its step was checked.
function dead(s: SandboxState): EnvironmentError {
  return new EnvironmentError(
    'SANDBOX_DEAD',
    `sandbox ${s.runId} (${s.lab}) died while its step was checked: its keeper (pid ${s.initPid}) is gone`,
    `remove what is left of it: lab clean ${s.runId}`,
  );
}
