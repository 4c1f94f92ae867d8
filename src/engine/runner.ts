// The engine: runs a validated lab in a fresh sandbox, step by step, and emits what happens.
import { join } from 'node:path';
import type { CheckResult } from '../check/types.js';
import { InterruptedError, toLabError } from '../errors.js';
import { ensureRootfs } from '../sandbox/rootfs.js';
import { Sandbox } from '../sandbox/sandbox.js';
import type { CommandObserver, CommandRecord } from '../sys/exec.js';
import { runCheck } from './check-runner.js';
import type { LabEvents, StepInfo } from './events.js';
import type { LabDef, StepDef } from './lab-types.js';
import type { LoadedLab } from './loader.js';
import { commandOk, observerFor } from './observer.js';
import { checkEnvironment, checkSelection } from './preflight.js';
import { errorSummary, type LabResult, type StepResult } from './result.js';

export type GateAnswer = 'run' | 'skip' | 'quit';

export interface RunOptions {
  skip: string[];
  until?: string;
  keep: boolean;
  savePcap?: string;
  gate?: (step: StepInfo) => Promise<GateAnswer>; // asked before each step (walkthrough)
  signal?: AbortSignal; // aborted on SIGINT/SIGTERM
}

// Step descriptions for front ends.
export function stepInfos(lab: LabDef): StepInfo[] {
  return lab.steps.map((s, index) => ({
    id: s.id,
    title: s.title,
    explain: s.explain,
    index,
    total: lab.steps.length,
    commands: s.run.map((c) => ({ node: c.node, cmd: c.cmd, expectFail: Boolean(c.expectFail) })),
    points: s.check?.points ?? [],
  }));
}

// Runs the lab and always resolves with a result; the sandbox is gone (or kept) when it does.
export async function runLab(loaded: LoadedLab, opts: RunOptions, events: LabEvents): Promise<LabResult> {
  const { def } = loaded;
  const started = performance.now();
  const result: LabResult = { lab: def.id, file: loaded.file, status: 'passed', steps: [], durationMs: 0 };
  const finish = (): LabResult => {
    result.durationMs = performance.now() - started;
    if (result.status === 'passed' && result.steps.some((s) => s.status === 'failed')) result.status = 'failed';
    events.emit({ type: 'lab-end', result });
    return result;
  };
  try {
    checkSelection(def, opts);
    checkEnvironment(def);
  } catch (err) {
    const e = toLabError(err);
    result.status = 'error';
    result.error = errorSummary(e);
    return finish();
  }
  const steps = stepInfos(def);
  events.emit({ type: 'lab-start', lab: { id: def.id, title: def.title, summary: def.summary, file: loaded.file }, steps, options: { skip: opts.skip, ...(opts.until ? { until: opts.until } : {}), keep: opts.keep } });

  let sandbox: Sandbox | undefined;
  const onAbort = (): void => void sandbox?.teardown();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const checkAbort = (): void => {
    if (opts.signal?.aborted) throw new InterruptedError(String(opts.signal.reason ?? 'SIGINT'));
  };
  try {
    const rootfsInfo = Object.keys(def.topology.containers).length ? await prepareRootfs(events) : undefined;
    if (rootfsInfo) result.rootfs = { hash: rootfsInfo.hash, built: rootfsInfo.built };
    const rootfs = rootfsInfo?.path;
    checkAbort();
    const t0 = performance.now();
    sandbox = await Sandbox.create({ lab: def.id, topology: def.topology, observer: observerFor(events, 'setup', { setup: true }), ...(rootfs ? { rootfs } : {}) });
    result.runId = sandbox.runId;
    checkAbort();
    events.emit({ type: 'sandbox-ready', runId: sandbox.runId, nodes: sandbox.nodes, durationMs: performance.now() - t0 });
    for (const [i, step] of def.steps.entries()) {
      const info = steps[i] as StepInfo;
      const answer = opts.gate ? await opts.gate(info) : 'run';
      checkAbort();
      if (answer === 'quit') break;
      const skipped = answer === 'skip' || opts.skip.includes(step.id);
      const sr = await runStep(step, info, skipped, sandbox, events, opts, def.id);
      result.steps.push(sr);
      checkAbort();
      if (opts.until === step.id) break;
    }
  } catch (err) {
    const e = toLabError(opts.signal?.aborted ? new InterruptedError(String(opts.signal.reason ?? 'SIGINT')) : err);
    result.status = e instanceof InterruptedError ? 'interrupted' : 'error';
    result.error = errorSummary(e);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    const t0 = performance.now();
    if (sandbox && opts.keep && result.status !== 'interrupted') {
      sandbox.keep();
      result.kept = { runId: sandbox.runId, shell: `lab shell ${sandbox.runId} NODE   (nodes: ${sandbox.nodes.join(', ')})` };
      events.emit({ type: 'teardown-end', kept: true, durationMs: performance.now() - t0, shell: result.kept.shell });
    } else {
      await sandbox?.teardown();
      if (sandbox) events.emit({ type: 'teardown-end', kept: false, durationMs: performance.now() - t0 });
    }
  }
  return finish();
}

// The cached root filesystem for the containers, built on first use.
async function prepareRootfs(events: LabEvents): Promise<{ hash: string; path: string; built: boolean }> {
  const info = await ensureRootfs({ onProgress: (line) => events.emit({ type: 'rootfs-progress', line }) });
  events.emit({ type: 'rootfs-ready', hash: info.hash, path: info.path, built: info.built, sizeBytes: info.sizeBytes, buildMs: info.buildMs });
  return info;
}

// Commands (unless skipped), then the check; a failing command is recorded and the step goes on.
async function runStep(step: StepDef, info: StepInfo, skipped: boolean, sandbox: Sandbox, events: LabEvents, opts: RunOptions, labId: string): Promise<StepResult> {
  const t0 = performance.now();
  events.emit({ type: 'step-start', step: info, skipped });
  const sr: StepResult = { id: step.id, title: step.title, status: 'passed', skipped, commands: [], durationMs: 0 };
  const pcapDir = (phase: string): string | undefined => (opts.savePcap ? join(opts.savePcap, labId, `${String(info.index + 1).padStart(2, '0')}-${step.id}${phase}`) : undefined);
  const judge = async (check: StepDef['check'], phase: 'before' | 'after'): Promise<CheckResult | undefined> => {
    if (!check || opts.signal?.aborted) return undefined;
    const dir = pcapDir(phase === 'before' ? '-before' : '');
    const r = await runCheck(check, { sandbox, events, stepId: step.id, ...(dir ? { pcapDir: dir } : {}) });
    events.emit({ type: 'check-result', stepId: step.id, phase, result: r });
    return r;
  };
  const before = await judge(step.before, 'before');
  if (before) sr.before = before;
  if (!skipped) {
    for (const c of step.run) {
      const observer = observerFor(events, step.id, { expectFail: Boolean(c.expectFail) });
      const rec = c.start ? await sandbox.startContainer(c.start, false, observer) : await sandbox.exec(c.node, c.cmd, observer);
      const ok = commandOk(rec.exitCode, c.expectFail);
      sr.commands.push({ ...rec, expectFail: Boolean(c.expectFail), ok });
      if (ok && c.waitFor) {
        const wait = await waitUntil(sandbox, c.node, c.waitFor, observerFor(events, step.id));
        sr.commands.push({ ...wait, expectFail: false, ok: commandOk(wait.exitCode) });
      }
      if (opts.signal?.aborted) break;
    }
  }
  const check = await judge(step.check, 'after');
  if (check) sr.check = check;
  const commandsOk = sr.commands.every((c) => c.ok);
  const checksOk = (!check || check.pass) && (!before || before.pass);
  sr.status = !commandsOk || !checksOk ? 'failed' : check || before ? 'passed' : skipped ? 'skipped-commands' : 'not-checked';
  sr.durationMs = performance.now() - t0;
  events.emit({ type: 'step-end', stepId: step.id, status: sr.status, durationMs: sr.durationMs });
  return sr;
}

// Retries a readiness command with growing pauses until it succeeds or 10 s pass; one record for all tries.
async function waitUntil(sandbox: Sandbox, node: string, cmd: string, observer: CommandObserver): Promise<CommandRecord> {
  const started = performance.now();
  const display = `${cmd}   (repeated until it succeeds)`;
  observer.start?.({ argv: [], display, node });
  let pause = 10;
  let last: CommandRecord;
  for (;;) {
    last = await sandbox.exec(node, cmd);
    if (last.exitCode === 0 || performance.now() - started > 10_000) break;
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 2, 200);
  }
  const record = { ...last, display, durationMs: performance.now() - started };
  observer.end?.(record);
  return record;
}

