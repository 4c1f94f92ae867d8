// A lab session: the one object front ends drive. It builds the sandbox and its live captures once,
// then runs a step's commands, checks a step (as often as asked), hands out a node's shell, repeats
// traffic, streams packets, and closes. Everything it does is told as events.
import { mark } from '../sys/timeline.js';
import { join } from 'node:path';
import type { CaptureHub } from '../capture/hub.js';
import type { CheckResult } from '../check/types.js';
import { InternalError } from '../errors.js';
import { shellSpec, type ShellSpec } from '../sandbox/enter.js';
import { ensureRootfs } from '../sandbox/rootfs.js';
import { resolveLimits } from '../sandbox/limits.js';
import { Sandbox, type TeardownReport } from '../sandbox/sandbox.js';
import type { SandboxState } from '../sandbox/state.js';
import type { CommandObserver, CommandRecord } from '../sys/exec.js';
import type { LabEvents, StepInfo } from './events.js';
import { startsInStep } from '../model/topology.js';
import { allCommands, usesWanWeb, type LabCommand, type LabDef, type StepDef } from '../model/lab.js';
import type { NodeFacts } from './links.js';
import type { LoadedLab } from './loader.js';
import { commandOk, observerFor } from './observer.js';
import type { StepResult } from './result.js';
import type { TraceResult } from './trace-types.js';

export type StepCommand = StepResult['commands'][number];

export interface SessionOptions {
  events: LabEvents;
  savePcap?: string; // one pcap per capture point per check, under DIR/LAB/NN-step
  signal?: AbortSignal; // ends a wait for a sandbox slot (the machine's limit)
  // A driver that runs each step once, in order, and shows no live packets (lab check): open may return
  // before the captures are armed (the first check window waits for them), and after each step's check
  // the captures close the interfaces no later step looks at. Default false: the stream is live.
  straightThrough?: boolean;
}

// The captures' and the checks' modules load beside the sandbox build, not before its first process.
let checkModule: Promise<typeof import('./check-runner.js')> | undefined;
const checkRunner = (): Promise<typeof import('./check-runner.js')> => (checkModule ??= import('./check-runner.js'));

const TRAFFIC_EVERY_MS = 200;
const SERVICE_READY_MS = 10_000;

// The nodes a lab runs commands, probes or looks in: their command runners start with the sandbox.
function commandNodes(def: LabDef): string[] {
  const nodes = [
    ...allCommands(def).map((c) => c.node),
    ...def.steps
      .flatMap((s) => [s.before, s.check])
      .flatMap((c) => [
        ...(c?.probes.map((p) => p.from) ?? []),
        ...(c?.looks?.map((l) => l.node) ?? []),
        ...(c?.views?.map((v) => v.node) ?? []),
      ]),
  ];
  return [...new Set(nodes)];
}

// The nodes whose neighbour caches decide whether an ARP or ND expectation can be seen: the probes'
// senders, and the nodes of the points those expectations watch (the host asks on its own uplink).
export function neighbourNodes(check: NonNullable<StepDef['check']>): string[] {
  const points = check.expectations
    .filter((e) => e.matcher.proto === 'arp' || /^neighbor-/.test(e.matcher.fields.icmpType ?? ''))
    .flatMap((e) => [e.point, e.other ?? '']);
  return [
    ...new Set([...check.probes.map((p) => p.from), ...points.filter(Boolean).map((p) => p.split(':')[0] ?? '')]),
  ];
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
    arrange: (s.arrange ?? []).map((c) => ({ node: c.node, cmd: c.cmd })),
    points: s.check?.points ?? [],
  }));
}

export class LabSession {
  readonly lab: LabDef;
  readonly file: string;
  readonly steps: StepInfo[];
  private readonly sandbox: Sandbox;
  private readonly hub: CaptureHub;
  private readonly opts: SessionOptions;
  rootfs: { hash: string; built: boolean } | undefined; // the containers' root, when the lab has any
  private traffic: { stepId: string; stop: () => Promise<void> } | undefined;
  private closing: Promise<TeardownReport> | undefined;
  private readonly arranged = new Set<string>(); // steps whose arrange part ran

  private constructor(loaded: LoadedLab, sandbox: Sandbox, hub: CaptureHub, opts: SessionOptions) {
    this.lab = loaded.def;
    this.file = loaded.file;
    this.steps = stepInfos(loaded.def);
    this.sandbox = sandbox;
    this.hub = hub;
    this.opts = opts;
  }

  // Builds the sandbox (root filesystem first, if the lab has containers) and starts its captures.
  static async open(loaded: LoadedLab, opts: SessionOptions): Promise<LabSession> {
    const { def } = loaded;
    const { events } = opts;
    const limits = resolveLimits(def.limits); // a bad LAB_* variable stops the run before anything is built
    const t0 = performance.now();
    let rootfs: { hash: string; built: boolean; path: string } | undefined;
    if (Object.keys(def.topology.containers).length) {
      const info = await ensureRootfs({ onProgress: (line) => events.emit({ type: 'rootfs-progress', line }) });
      events.emit({
        type: 'rootfs-ready',
        hash: info.hash,
        path: info.path,
        built: info.built,
        sizeBytes: info.sizeBytes,
        buildMs: info.buildMs,
      });
      rootfs = { hash: info.hash, built: info.built, path: info.path };
    }
    const points = new Set(def.steps.flatMap((s) => [...(s.before?.points ?? []), ...(s.check?.points ?? [])]));
    const hubModule = import('../capture/hub.js');
    hubModule.catch(() => undefined); // each is awaited where it is used
    checkRunner().catch(() => undefined);
    let hub: CaptureHub | undefined;
    // Captures start as soon as the nodes exist, beside the containers and services, so the packet stream
    // is live once the session is open (unless straightThrough); a node made by a step (lab 01's
    // container) gets its capture on first need. A failed start is retried by the first check, which
    // then names the point.
    const startCaptures = async (sb: Sandbox): Promise<void> => {
      const { CaptureHub } = await hubModule;
      hub = new CaptureHub(
        (node, argv) => sb.spawn(node, argv),
        (point, packet) => events.emit({ type: 'packet', point, packet }),
        [...points],
        def.vxlanPort ? { vxlanPort: def.vxlanPort } : {},
      );
      const nodes = [...new Set([...points].map((p) => p.split(':')[0] ?? ''))].filter(
        (n) => sb.nodes.includes(n) && !startsInStep(def.topology, n),
      );
      const armed = Promise.all(nodes.map((n) => hub?.ensure(n).catch(() => undefined)));
      if (!opts.straightThrough) await armed;
    };
    let sandbox: Sandbox;
    try {
      // wan's web server (a Node process) only for labs whose probes or commands say they may talk TCP to it.
      const wanHttp = usesWanWeb(def);
      sandbox = await Sandbox.create({
        lab: def.id,
        commandNodes: commandNodes(def),
        topology: def.topology,
        limits,
        observer: observerFor(events, 'setup', { setup: true }),
        onNodes: startCaptures,
        wanHttp,
        onContainer: (e) => events.emit({ type: 'container', ...e }),
        onWait: (line) => events.emit({ type: 'sandbox-waiting', line }),
        onSlot: () => events.emit({ type: 'sandbox-slot' }),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(rootfs ? { rootfs: rootfs.path } : {}),
      });
    } catch (err) {
      await hub?.close();
      throw err;
    }
    if (!hub) throw new InternalError('the sandbox was built without its captures');
    const session = new LabSession(loaded, sandbox, hub, opts);
    if (rootfs) session.rootfs = { hash: rootfs.hash, built: rootfs.built };
    mark('sandbox ready');
    events.emit({
      type: 'sandbox-ready',
      runId: sandbox.runId,
      nodes: sandbox.nodes,
      durationMs: performance.now() - t0,
    });
    return session;
  }

  // A session over a sandbox another run built and kept (or still runs), entered through its recorded
  // namespaces only (attach.ts): nothing is built and no command runs; check() judges the sandbox as it
  // is now, the same way as in a run. release() lets go of it as it was.
  static async attach(loaded: LoadedLab, state: SandboxState, opts: SessionOptions): Promise<LabSession> {
    const { def } = loaded;
    const { recordedHandles } = await import('./attach.js');
    const sandbox = Sandbox.adopt(state, recordedHandles(state), {
      lab: def.id,
      topology: def.topology,
      limits: resolveLimits(def.limits),
      commandNodes: commandNodes(def),
    });
    try {
      const { CaptureHub } = await import('../capture/hub.js');
      const points = new Set(def.steps.flatMap((s) => [...(s.before?.points ?? []), ...(s.check?.points ?? [])]));
      const hub = new CaptureHub(
        (node, argv) => sandbox.spawn(node, argv),
        (point, packet) => opts.events.emit({ type: 'packet', point, packet }),
        [...points],
        def.vxlanPort ? { vxlanPort: def.vxlanPort } : {},
      );
      return new LabSession(loaded, sandbox, hub, opts);
    } catch (err) {
      await sandbox.release();
      throw err;
    }
  }

  // Ends a session over a sandbox it did not build (attach): its captures and command runners stop,
  // and the sandbox stays as it was.
  async release(): Promise<void> {
    await this.stopTraffic();
    await this.hub.close();
    await this.sandbox.release();
  }

  // True once the sandbox died under the session (its keeper killed): the front end says so and stops.
  get died(): boolean {
    return this.sandbox.died;
  }

  get runId(): string {
    return this.sandbox.runId;
  }

  get nodes(): string[] {
    return this.sandbox.nodes;
  }

  // A step by id, or an internal error (front ends only pass ids the session gave them).
  step(id: string): StepDef {
    const s = this.lab.steps.find((x) => x.id === id);
    if (!s) throw new InternalError(`lab ${this.lab.id} has no step ${id}`);
    return s;
  }

  // Runs the step's arrange part (once per session), then its commands in order, leaving out those at
  // `omit` (indexes into `run`), or other commands `instead` (a plausible mistake); failures are recorded.
  async runCommands(
    stepId: string,
    opts: { omit?: number[]; signal?: AbortSignal; instead?: LabCommand[] } = {},
  ): Promise<StepCommand[]> {
    const out: StepCommand[] = await this.arrange(stepId);
    for (const [i, c] of (opts.instead ?? this.step(stepId).run).entries()) {
      if (opts.omit?.includes(i)) continue;
      if (opts.signal?.aborted) break;
      out.push(...(await this.runOne(stepId, c)));
    }
    return out;
  }

  // The step's setup apart from the commands under test; runs once per session, even for a skipped step.
  async arrange(stepId: string): Promise<StepCommand[]> {
    if (this.arranged.has(stepId)) return [];
    this.arranged.add(stepId);
    const out: StepCommand[] = [];
    for (const c of this.step(stepId).arrange ?? []) out.push(...(await this.runOne(stepId, c)));
    return out;
  }

  // One command as its kind says (a line, a container start/stop/restart, a detached service), then its readiness wait.
  private async runOne(stepId: string, c: LabCommand): Promise<StepCommand[]> {
    const { events } = this.opts;
    const shows = c.kind === 'sh' && Boolean(c.readOnly);
    const observer = observerFor(events, stepId, { expectFail: Boolean(c.expectFail), shows });
    let rec: CommandRecord;
    let exited: () => string | null = () => null;
    let waitFor: string | undefined;
    switch (c.kind) {
      case 'start':
        rec = await this.sandbox.startContainer(c.container, false, observer);
        break;
      case 'stop':
        rec = await this.sandbox.stopContainer(c.container, observer);
        break;
      case 'restart':
        rec = await this.sandbox.restartContainer(c.container, c, observer);
        waitFor = c.waitFor;
        break;
      case 'service': {
        const started = this.startService(c.node, c.cmd, observer);
        rec = started.rec;
        exited = started.exited;
        waitFor = c.waitFor;
        break;
      }
      case 'sh':
        rec = await this.sandbox.exec(c.node, c.cmd, observer, c.timeoutMs);
    }
    const ok = commandOk(rec.exitCode, c.expectFail, rec.limit);
    const out: StepCommand[] = [{ ...rec, expectFail: Boolean(c.expectFail), ok }];
    if (ok && waitFor) {
      const wait = await this.waitUntil(c.node, waitFor, observerFor(events, stepId), exited);
      out.push({ ...wait, expectFail: false, ok: commandOk(wait.exitCode) });
    }
    return out;
  }

  // Starts a service that runs until teardown; `exited` says how it ended if it already died.
  private startService(
    node: string,
    cmd: string,
    observer: CommandObserver,
  ): { rec: CommandRecord; exited: () => string | null } {
    const t0 = performance.now();
    const display = `${cmd}   (runs until teardown)`;
    observer.start?.({ argv: [], display, node });
    const d = this.sandbox.startDetached(node, cmd);
    const rec: CommandRecord = {
      display,
      node,
      argv: [],
      exitCode: 0,
      output: '',
      stderr: '',
      durationMs: performance.now() - t0,
      timedOut: false,
    };
    observer.end?.(rec);
    const exited = (): string | null =>
      d.child.exitCode !== null && d.child.exitCode !== 0
        ? `exited with ${d.child.exitCode}: ${d.output().trim()}`
        : null;
    return { rec, exited };
  }

  // Retries a readiness command with growing pauses until it succeeds or the bound passes; one record.
  private async waitUntil(
    node: string,
    cmd: string,
    observer: CommandObserver,
    exited: () => string | null = () => null,
  ): Promise<CommandRecord> {
    const started = performance.now();
    const display = `${cmd}   (repeated until it succeeds)`;
    observer.start?.({ argv: [], display, node });
    let pause = 10;
    let last: CommandRecord;
    for (;;) {
      const left = SERVICE_READY_MS - (performance.now() - started);
      last = await this.sandbox.exec(node, cmd, undefined, Math.max(left, 100));
      if (last.exitCode === 0 || performance.now() - started >= SERVICE_READY_MS) break;
      const died = exited(); // a detached service that died will never answer
      if (died !== null) {
        last = { ...last, exitCode: 1, output: `${last.output}\nthe service ${died}` };
        break;
      }
      await new Promise((r) => setTimeout(r, pause));
      pause = Math.min(pause * 2, 200);
    }
    const record = { ...last, display, durationMs: performance.now() - started };
    observer.end?.(record);
    return record;
  }

  // Checks a step's state before ('before') or after its commands; re-runnable, never rebuilds.
  async check(stepId: string, phase: 'before' | 'after' = 'after'): Promise<CheckResult | undefined> {
    const step = this.step(stepId);
    const check = phase === 'before' ? step.before : step.check;
    if (!check) return undefined;
    mark(`check ${stepId} (${phase})`);
    const paused = this.traffic?.stepId;
    if (paused) await this.stopTraffic();
    try {
      await this.settle(check);
      const index = this.lab.steps.indexOf(step);
      const pcapDir = this.opts.savePcap
        ? join(
            this.opts.savePcap,
            this.lab.id,
            `${String(index + 1).padStart(2, '0')}-${step.id}${phase === 'before' ? '-before' : ''}`,
          )
        : undefined;
      const result = await (
        await checkRunner()
      ).runCheck(check, {
        sandbox: this.sandbox,
        hub: this.hub,
        events: this.opts.events,
        stepId,
        ...(pcapDir ? { pcapDir } : {}),
      });
      this.opts.events.emit({ type: 'check-result', stepId, phase, result });
      if (this.opts.straightThrough && phase === 'after')
        await this.hub.keepOnly(
          this.lab.steps.slice(index + 1).flatMap((s) => [...(s.before?.points ?? []), ...(s.check?.points ?? [])]),
        );
      return result;
    } finally {
      if (paused) this.startTraffic(paused);
    }
  }

  // The packet's path: the step's first probe sent once more, its first packet traced through netfilter.
  async trace(stepId: string): Promise<TraceResult> {
    const step = this.step(stepId);
    const probe = (step.check ?? step.before)?.probes[0];
    if (!probe) {
      const error = `step ${stepId} sends no probe to trace`;
      return { stepId, probe: '', from: '', match: '', nodes: [], lines: [`no trace: ${error}`], durationMs: 0, error };
    }
    const paused = this.traffic?.stepId;
    if (paused) await this.stopTraffic();
    try {
      const { traceProbe } = await import('./trace.js'); // only runs with --trace load it
      const trace = await traceProbe(this.sandbox, probe, stepId);
      this.opts.events.emit({ type: 'trace', stepId, trace });
      return trace;
    } finally {
      if (paused) this.startTraffic(paused);
    }
  }

  // Reads the wiring of every node as it is now and tells it (`links` event); for drawings of the topology.
  async links(stepId: string): Promise<NodeFacts[]> {
    const { readLinks } = await import('./links.js'); // only drawings of the topology need it
    const nodes = await readLinks(this.sandbox);
    this.opts.events.emit({ type: 'links', stepId, nodes });
    return nodes;
  }

  // Makes the state a check's evidence depends on known before its window opens. Packets still queued
  // behind an unanswered ARP or neighbour solicitation (an earlier window's probes, a student's ping)
  // would be sent inside this window once it is answered: every node drops them. A check that expects
  // ARP or ND would find the answers cached by the commands, a student's exploring or the last check:
  // the nodes that ask (the probes' senders, and the nodes whose interfaces it watches for them) forget
  // every learned entry, unless the check keeps them.
  private async settle(check: NonNullable<StepDef['check']>): Promise<void> {
    const asks = check.expectations.some(
      (e) => e.matcher.proto === 'arp' || /^neighbor-/.test(e.matcher.fields.icmpType ?? ''),
    );
    const askers = asks && !check.keepNeighbours ? neighbourNodes(check) : [];
    await this.sandbox.flushNeighbours(this.sandbox.nodes, askers);
  }

  // The exact argv and environment of a person's shell (or one command) in a node; the front end spawns it.
  shell(node: string, cmd: string[] = []): ShellSpec {
    return shellSpec(this.sandbox.enter(node), node, cmd, process.env);
  }

  // One command a person runs in a node through a front end (its argv unchanged, no shell), bounded like
  // a lab command; it is not a step's command, so no event tells it.
  exec(node: string, argv: string[], timeoutMs?: number): Promise<CommandRecord> {
    return this.sandbox.execArgv(node, argv, undefined, timeoutMs);
  }

  // Repeats the step's probes every ~200 ms until stopped; their packets arrive on the stream.
  startTraffic(stepId: string): void {
    const check = this.step(stepId).check ?? this.step(stepId).before;
    if (!check || this.traffic) return;
    let running = true;
    const loop = (async () => {
      while (running) {
        const t0 = performance.now();
        await (
          await checkRunner()
        )
          .sendProbes(check, { sandbox: this.sandbox, events: this.opts.events, stepId }, true)
          .catch(() => undefined);
        const rest = TRAFFIC_EVERY_MS - (performance.now() - t0);
        if (running && rest > 0) await new Promise((r) => setTimeout(r, rest));
      }
    })();
    this.traffic = {
      stepId,
      stop: async () => {
        running = false;
        await loop;
      },
    };
    this.opts.events.emit({ type: 'traffic', stepId, on: true });
  }

  // Stops repeating traffic and waits for the round in flight.
  async stopTraffic(): Promise<void> {
    const t = this.traffic;
    if (!t) return;
    this.traffic = undefined;
    await t.stop();
    this.opts.events.emit({ type: 'traffic', stepId: t.stepId, on: false });
  }

  get trafficStep(): string | undefined {
    return this.traffic?.stepId;
  }

  // Ends the session: keeps the sandbox up for `lab shell`, or removes it; safe to call twice.
  close(opts: { keep?: boolean } = {}): Promise<TeardownReport> {
    this.closing ??= (async () => {
      const t0 = performance.now();
      mark('session closing: captures stop');
      await this.stopTraffic();
      // The captures end first, on their own (EOF), so that nothing of the run is still dying when it returns.
      await this.hub.close();
      if (opts.keep) {
        this.sandbox.keep();
        const shell = `lab shell ${this.runId} NODE   (nodes: ${this.nodes.join(', ')})`;
        this.opts.events.emit({
          type: 'teardown-end',
          kept: true,
          ok: true,
          leftovers: [],
          durationMs: performance.now() - t0,
          shell,
        });
        return { ok: true, leftovers: [] };
      }
      mark('teardown');
      const report = await this.sandbox.teardown();
      mark('teardown done');
      this.opts.events.emit({
        type: 'teardown-end',
        kept: false,
        ok: report.ok,
        leftovers: report.leftovers,
        durationMs: performance.now() - t0,
      });
      return report;
    })();
    return this.closing;
  }

  // Removes the sandbox at once (an interrupt); the closing work above is not waited for.
  abort(): Promise<TeardownReport> {
    return this.sandbox.teardown();
  }
}
