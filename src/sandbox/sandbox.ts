// A run's private world: a keeper, its namespaces, its containers, and the ways to run things inside.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { CommandError, EnvironmentError, InternalError, UsageError } from '../errors.js';
import { runCommand, runChecked, startProcess, type CommandObserver, type CommandRecord } from '../sys/exec.js';
import { assertNotRunnerNetns } from '../sys/netns-guard.js';
import { closeAll, openBeneath } from '../sys/ns-files.js';
import { containerRoot, initScript, overlayArgv } from './container.js';
import { unshareArgv } from '../model/topology.js';
import { enterNode, keeperPrefix, machineryPrefix, nodePrefix, type EnterSpec } from './enter.js';
import { NsHandles, PINS } from './ns-handles.js';
import { childOf, Keeper, killQuietly } from './keeper.js';
import { isAlive, removeState, writeState, type SandboxState } from './state.js';
import { containerToolsScript, EVENTS_FILE, hostToolsScript, nodePath, TOOLS_DIR } from './node-tools.js';
import { baselineScript } from './topology.js';
import {
  autoContainers,
  endpoint,
  isContainer,
  nodeNames,
  prebuiltNodes,
  type TopologySpec,
} from '../model/topology.js';
import { closeSync, fstatSync, writeSync, constants as fsc } from 'node:fs';
import { takeSandboxSlot } from './slots.js';
import { plainWords } from './plain-words.js';
import { Agent } from '../sys/agent.js';
import { limitReached, resolveLimits } from './limits.js';
import { type SandboxLimits } from '../model/limits.js';
import { SandboxCgroup, type LimitCounts } from './cgroup.js';

const WAN_HTTP = fileURLToPath(new URL('./wan-http.js', import.meta.url));
const READY_MS = 10_000;

export interface SandboxOptions {
  lab: string;
  topology: TopologySpec;
  rootfs?: string; // cached root the containers overlay; required when the topology has containers
  limits?: SandboxLimits; // default: resolveLimits() (defaults and LAB_* variables)
  observer?: CommandObserver;
  signal?: AbortSignal; // ends a wait for a slot (see slots.ts)
  onWait?: (line: string) => void; // told once when the run waits for a slot
  onSlot?: () => void; // told when a run that waited has its slot
  onNodes?: (sb: Sandbox) => Promise<void>; // runs once the nodes exist, beside the containers' start
  wanHttp?: boolean; // false: the lab sends no TCP to the internet, so wan's web server is not started
  onContainer?: (e: ContainerEvent) => void; // every container event, also appended to EVENTS_FILE
  commandNodes?: string[]; // nodes the lab runs commands in: their command runners start once they exist
}

// A container started, stopped, or got a new address; `addresses` are its IPv4/IPv6 CIDRs then.
export interface ContainerEvent {
  event: 'started' | 'stopped' | 'address';
  container: string;
  addresses: string[];
}

// How a container restarts: optionally with a new address on an interface (and its default route).
export interface RestartOptions {
  address?: string; // CIDR
  iface?: string; // default eth0
  gateway?: string; // default route after the change
}

// Short unique id of a run; also names its journal entry.
export function newRunId(lab: string): string {
  return `${lab.slice(0, 2)}-${randomBytes(4).toString('hex')}`;
}

export class Sandbox {
  readonly runId: string;
  readonly nodes: string[];
  readonly limits: SandboxLimits; // what this sandbox may use (see limits.ts)
  private readonly keeper: Keeper;
  private readonly opts: SandboxOptions;
  private readonly cgroup: SandboxCgroup;
  private seen: LimitCounts = { pids: 0, oom: 0 }; // the cgroup's counters at the last command's end
  private readonly children = new Set<ChildProcess>();
  private readonly containers = new Map<string, number>(); // name -> PID 1 of the container
  private readonly rooted = new Set<string>(); // containers whose overlay and tools are mounted
  private readonly agents = new Map<string, Agent>(); // node (and its container's PID 1) -> its command runner
  private kept = false;
  private torn = false;
  private tearing: Promise<TeardownReport> | undefined;
  private releaseSlot: () => void = () => undefined;
  private wired: Promise<unknown> = Promise.resolve(); // the baseline (links and addresses) is done
  private ns: NsHandles; // every namespace of the sandbox, held open: the only way in (see enter.ts)
  private eventsFd: number | undefined; // EVENTS_FILE, opened once the baseline made it

  private constructor(
    runId: string,
    keeper: Keeper,
    opts: SandboxOptions,
    cgroup: SandboxCgroup,
    limits: SandboxLimits,
  ) {
    this.runId = runId;
    this.nodes = nodeNames(opts.topology);
    this.limits = limits;
    this.keeper = keeper;
    this.opts = opts;
    this.ns = new NsHandles(runId, keeper.pids.initPid);
    this.cgroup = cgroup;
  }

  // Starts the keeper, journals it, builds the baseline topology and starts the containers.
  static async create(opts: SandboxOptions): Promise<Sandbox> {
    const runId = newRunId(opts.lab);
    const limits = opts.limits ?? resolveLimits();
    let waited = false;
    const releaseSlot = await takeSandboxSlot({
      ...(opts.signal ? { signal: opts.signal } : {}),
      onWait: (line) => {
        waited = true;
        opts.onWait?.(line);
      },
    });
    if (waited) opts.onSlot?.();
    let cgroup: SandboxCgroup;
    try {
      cgroup = SandboxCgroup.create(runId, limits); // before the keeper: nothing of the sandbox runs outside it
    } catch (err) {
      releaseSlot();
      throw err;
    }
    // Its mount namespace holds the containers' root view, read-only, from the start (see userns.ts).
    const keeper = new Keeper(
      runId,
      prebuiltNodes(opts.topology),
      {
        diskMb: limits.diskMb,
        toolsDir: TOOLS_DIR,
        nodeBin: process.execPath,
        ...(opts.rootfs ? { rootfs: opts.rootfs } : {}),
      },
      cgroup.joinArgv(),
    );
    try {
      await keeper.start();
    } catch (err) {
      await keeper.stop().catch(() => undefined);
      await cgroup.remove();
      releaseSlot();
      throw err;
    }
    const sb = new Sandbox(runId, keeper, opts, cgroup, limits);
    sb.releaseSlot = releaseSlot;
    try {
      // The keeper made every namespace and nothing else has run in them yet: hold them from now on.
      sb.ns.openKeeper();
      for (const n of prebuiltNodes(opts.topology)) sb.ns.openPin(n, 'net');
    } catch (err) {
      await sb.teardown();
      throw err;
    }
    sb.journal();
    // The namespaces exist (the keeper made them): in parallel now the node processes that take longest
    // to start (captures, wan's web server), the baseline that wires the nodes, and each container.
    const baseline = runChecked(
      {
        argv: [...sb.inside(sb.keeperPrefix()), 'sh', '-c', `${baselineScript(opts.topology)}\n${hostToolsScript()}`],
        display: 'build sandbox: host, wan, containers',
        node: '',
      },
      opts.observer,
    ).then(() => sb.afterBaseline());
    sb.wired = baseline;
    // A plain node's runner once the baseline has given the node its own hostname.
    const plain = (opts.commandNodes ?? []).filter((n) => !isContainer(opts.topology, n));
    void baseline.then(
      () => plain.forEach((n) => sb.warm(n)),
      () => undefined,
    );
    const parts: Promise<unknown>[] = [
      baseline,
      Promise.all([
        opts.wanHttp === false
          ? undefined
          : sb.startService('wan', [process.execPath, WAN_HTTP, '80'], 'listening', READY_MS),
        opts.onNodes?.(sb),
      ]),
      ...autoContainers(opts.topology).map((c) => sb.startContainer(c, true, opts.observer)),
    ];
    try {
      // Every part settles (each is bounded) before a failure tears the sandbox down under none of them.
      const failed = (await Promise.allSettled(parts)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } catch (err) {
      await sb.teardown();
      // A part of the baseline that did not come up in time: the machine is too busy, not a bug.
      if (
        err instanceof ServiceError ||
        (err instanceof InternalError && /did not start: .*not ready after/.test(err.message))
      ) {
        throw new EnvironmentError(
          'MACHINE_BUSY',
          `the sandbox could not be built in time: ${err.message.split('\n')[0]}`,
          'the machine is overloaded: run fewer labs at once, or set LAB_MAX_SANDBOXES lower',
        );
      }
      throw err;
    }
    return sb;
  }

  // A sandbox another run built and kept (or still runs), entered only through `ns`: its namespaces
  // reopened and checked against its journal entry (engine/attach.ts). Nothing is built, journalled or
  // removed from here; release() lets go of it as it was.
  static adopt(state: SandboxState, ns: NsHandles, opts: SandboxOptions): Sandbox {
    const pids = { outerPid: state.outerPid, initPid: state.initPid, idBase: state.idBase ?? 0 };
    const cgroup = SandboxCgroup.adopt(state.runId, state.cgroups ?? []);
    const sb = new Sandbox(state.runId, Keeper.adopt(state.runId, pids), opts, cgroup, opts.limits ?? resolveLimits());
    sb.ns = ns;
    sb.kept = true; // a teardown from here removes nothing
    for (const [name, pid] of Object.entries(state.containers ?? {})) {
      sb.containers.set(name, pid);
      sb.rooted.add(name);
    }
    sb.seen = cgroup.counts(); // only the limits reached from now on are this run's to tell
    return sb;
  }

  // Lets go of an adopted sandbox: the runner's own processes in it end (a command runner ends at the
  // end of its input; what lingers is killed), and its namespace files close. The sandbox stays as it was.
  async release(): Promise<void> {
    this.torn = true;
    const running = [...this.children].filter((c) => c.exitCode === null && c.signalCode === null);
    const exited = running.map((c) => new Promise((resolve) => c.once('exit', resolve)));
    for (const c of running) c.stdin?.end();
    const killer = setTimeout(() => running.forEach((c) => c.kill('SIGKILL')), 2_000);
    await Promise.all(exited);
    clearTimeout(killer);
    this.ns.close();
  }

  get initPid(): number {
    return this.keeper.pids.initPid;
  }

  private journal(): void {
    const s: SandboxState = {
      runId: this.runId,
      lab: this.opts.lab,
      ...this.keeper.pids,
      runnerPid: process.pid,
      kept: this.kept,
      nodes: this.nodes,
      containers: Object.fromEntries(this.containers),
      withoutNetAdmin: Object.entries(this.opts.topology.containers)
        .filter(([, c]) => c.netAdmin === false)
        .map(([n]) => n),
      startedAt: new Date().toISOString(),
      namespaces: this.ns.record(),
      cgroups: this.cgroup.dirs,
    };
    writeState(s);
  }

  // Once the baseline pinned the plain nodes' other namespaces and made the events file (nothing of a
  // lab has run yet): holds them open, and journals what they are.
  private afterBaseline(): void {
    const plain = prebuiltNodes(this.opts.topology).filter((n) => !isContainer(this.opts.topology, n));
    for (const kind of Object.keys(PINS) as (keyof typeof PINS)[])
      if (kind !== 'net') for (const n of plain) this.ns.openPin(n, kind);
    this.eventsFd = openEventsFile(this.initPid, this.keeper.pids.idBase, this.runId);
    this.journal();
  }

  // An argv prefix of the sandbox's own processes, joined to its cgroup first (so its limits hold).
  private inside(prefix: string[]): string[] {
    return [...this.cgroup.joinArgv(), ...prefix];
  }

  // argv prefix that enters the keeper's mount and PID namespaces.
  keeperPrefix(): string[] {
    return keeperPrefix(this.ns);
  }

  // argv prefix that runs a program in a node's network namespace (see enter.ts).
  nodePrefix(node: string): string[] {
    if (!this.nodes.includes(node)) throw new InternalError(`unknown node ${node}`);
    return nodePrefix(this.ns, node);
  }

  // argv prefix for the runner's own programs in a node (see enter.ts).
  machineryPrefix(node: string): string[] {
    if (!this.nodes.includes(node)) throw new InternalError(`unknown node ${node}`);
    return machineryPrefix(this.ns, node);
  }

  // How to run something the way a student types it in a node: inside the container if it is one.
  enter(node: string): EnterSpec {
    if (!this.nodes.includes(node))
      throw new UsageError(
        'UNKNOWN_NODE',
        `sandbox ${this.runId} has no node "${node}"`,
        `its nodes are: ${this.nodes.join(', ')}`,
      );
    const container = isContainer(this.opts.topology, node);
    const pid = this.containers.get(node);
    if (container && !pid)
      throw new UsageError(
        'CONTAINER_NOT_RUNNING',
        `container ${node} is not running yet`,
        'a step must start it first (startContainer)',
      );
    const entered = enterNode(this.ns, node, container, this.opts.topology.containers[node]?.netAdmin !== false);
    const spec = { ...entered, argv: this.inside(entered.argv) };
    return container ? spec : { ...spec, env: { ...(spec.env ?? stringEnv()), PATH: nodePath() } };
  }

  // Network namespace file of a node, as the runner holds it open.
  nsPath(node: string): string {
    const path = this.ns.node(node, 'net');
    if (!path)
      throw new UsageError(
        'CONTAINER_NOT_RUNNING',
        `${node} has no network namespace yet`,
        'a step must start it first (startContainer)',
      );
    return path;
  }

  // Runs one shell line in a node, as a student would type it (without the shell when it would only
  // split words: see plain-words.ts).
  exec(node: string, cmd: string, observer?: CommandObserver, timeoutMs?: number): Promise<CommandRecord> {
    return this.run(node, plainWords(cmd) ?? ['sh', '-c', cmd], cmd, false, observer, timeoutMs);
  }

  // Runs one command given as its argv (a front end's API), no shell between, bounded like a lab command.
  execArgv(node: string, argv: string[], observer?: CommandObserver, timeoutMs?: number): Promise<CommandRecord> {
    return this.run(node, argv, argv.join(' '), false, observer, timeoutMs);
  }

  // Runs a traffic generator in a node, refusing if that node were the real network namespace.
  probe(
    node: string,
    argv: string[],
    display: string,
    observer?: CommandObserver,
    timeoutMs?: number,
  ): Promise<CommandRecord> {
    return this.run(node, argv, display, true, observer, timeoutMs);
  }

  // True once the keeper died under the run (killed by a step, or from outside).
  get died(): boolean {
    return this.keeper.died;
  }

  private async run(
    node: string,
    argv: string[],
    display: string,
    guard: boolean,
    observer?: CommandObserver,
    timeoutMs?: number,
  ): Promise<CommandRecord> {
    if (this.died)
      return failedRecord(
        node,
        display,
        `the sandbox is gone: its keeper (pid ${this.keeper.started?.initPid}) died`,
        observer,
      );
    let p;
    try {
      p = this.enter(node);
    } catch (err) {
      return failedRecord(node, display, (err as Error).message, observer);
    }
    if (guard) assertNotRunnerNetns(this.nsPath(node), display);
    const agent = this.agent(node, p);
    const watched: CommandObserver = {
      start: (s) => observer?.start?.(s),
      end: (r) => observer?.end?.(this.noteLimits(r)),
    };
    if (await agent.ready)
      return this.noteLimits(await agent.run({ argv, display, node, ...(timeoutMs ? { timeoutMs } : {}) }, watched));
    // No agent there (a root without perl): nsenter for each command.
    return this.noteLimits(
      await runCommand(
        {
          argv: [...p.argv, ...argv],
          display,
          node,
          ...(p.env ? { env: p.env } : {}),
          ...(timeoutMs ? { timeoutMs } : {}),
        },
        watched,
      ),
    );
  }

  // Adds to a command's record the limit the sandbox reached while it ran (its cgroup's counters went
  // up), so the step fails saying which; the same record is noted once.
  private noteLimits(r: CommandRecord): CommandRecord {
    if (r.limit !== undefined) return r;
    const now = this.cgroup.counts();
    const hit = [
      now.pids > this.seen.pids ? limitReached('pids', this.limits) : '',
      now.oom > this.seen.oom ? limitReached('memoryMb', this.limits) : '',
    ].filter(Boolean);
    this.seen = now;
    if (!hit.length) return r;
    r.limit = hit.join('; ');
    r.output = r.output ? `${r.output}\n${r.limit}` : r.limit;
    r.stderr = r.stderr ? `${r.stderr}\n${r.limit}` : r.limit;
    return r;
  }

  // Starts a node's command runner ahead of its first command, so that command does not wait for it.
  private warm(node: string): void {
    if (!this.torn) this.agent(node, this.enter(node));
  }

  // The node's resident command runner (see agent.ts), started on its first command; a restarted
  // container gets a new one, as its old one died with it, and so does a node whose runner was killed
  // (a step's `kill -9 -1`). Where it could not start at all, the node keeps that answer.
  private agent(node: string, p: EnterSpec): Agent {
    const key = `${node} ${this.containers.get(node) ?? ''}`;
    let agent = this.agents.get(key);
    if (!agent || (!agent.alive && agent.wasReady)) {
      agent = new Agent(p.argv, p.env);
      this.agents.set(key, agent);
      const child = agent.child;
      this.children.add(child);
      child.once('exit', () => this.children.delete(child));
    }
    return agent;
  }

  // Starts a container: overlay on the cached root, then unshare into it; `setup` also mounts and names it.
  async startContainer(name: string, setup: boolean, observer?: CommandObserver): Promise<CommandRecord> {
    if (!this.opts.rootfs) throw new InternalError(`container ${name} needs a root filesystem`);
    const started = performance.now();
    const display = `${unshareArgv(name).join(' ')} sh   (then pivot_root into ${containerRoot(name)}, the old root detached)`;
    observer?.start?.({ argv: unshareArgv(name), display, node: 'host' });
    let output = '';
    let exitCode: number | undefined = 0;
    try {
      const fresh = !this.rooted.has(name);
      if (fresh) {
        // One shell in the keeper: the overlay (its own script, the name and path as arguments), then the tools.
        const [, , overlay, ...args] = overlayArgv(name, this.opts.rootfs, this.limits.diskMb);
        const script = `(${overlay}
) || exit 1
${containerToolsScript(containerRoot(name))}`;
        await runChecked({
          argv: [...this.inside(this.keeperPrefix()), 'sh', '-c', script, ...args],
          display: `overlay and tools for ${name}`,
          node: '',
        });
        this.rooted.add(name);
      }
      const hostname = this.opts.topology.containers[name]?.hostname ?? name;
      const child = await this.startService(
        '',
        [...unshareArgv(name), '/bin/sh', '-c', initScript(setup), 'init', hostname, containerRoot(name)],
        'ready',
        READY_MS,
        this.inside(this.keeperPrefix()),
      );
      if (!child.pid) throw new InternalError(`container ${name} has no pid`);
      const pid = childOf(childOf(child.pid));
      this.containers.set(name, pid);
      this.ns.openContainer(name, pid);
      this.journal();
      if (this.opts.commandNodes?.includes(name)) this.warm(name);
      // Its first start: its namespace has only lo, unless the baseline linked it (then ask).
      const linked = (this.opts.topology.links ?? []).some((l) => l.endpoints.some((e) => endpoint(e).node === name));
      await this.containerEvent('started', name, fresh && !linked ? [] : undefined);
    } catch (err) {
      // A container that fails to come up is the step's failure; anything else is a bug.
      if (!(err instanceof CommandError) && !(err instanceof ServiceError)) throw err;
      exitCode = 1;
      output = err.message;
    }
    const record: CommandRecord = {
      display,
      node: 'host',
      argv: unshareArgv(name),
      exitCode,
      output,
      stderr: output,
      durationMs: performance.now() - started,
      timedOut: false,
    };
    observer?.end?.(record);
    if (exitCode !== 0 && setup) throw new InternalError(`container ${name} did not start: ${output}`);
    return record;
  }

  // Stops a container: its PID 1 dies, and every process in its PID namespace with it; its network stays.
  async stopContainer(name: string, observer?: CommandObserver): Promise<CommandRecord> {
    const started = performance.now();
    const display = `kill -KILL <PID 1 of ${name}>   (stop the container)`;
    observer?.start?.({ argv: [], display, node: 'host' });
    const pid = this.containers.get(name);
    let output = '';
    if (pid) {
      killQuietly(pid);
      const deadline = Date.now() + 5_000;
      while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      if (isAlive(pid)) output = `PID ${pid} still alive after 5 s`;
      this.containers.delete(name);
      this.ns.dropContainer(name);
      this.journal();
      await this.containerEvent('stopped', name);
    } else output = `container ${name} is not running`;
    const record: CommandRecord = {
      display,
      node: 'host',
      argv: [],
      exitCode: output ? 1 : 0,
      output,
      stderr: output,
      durationMs: performance.now() - started,
      timedOut: false,
    };
    observer?.end?.(record);
    return record;
  }

  // Stops a container and starts it again, optionally with a new address: events stopped, address, started.
  async restartContainer(name: string, opts: RestartOptions, observer?: CommandObserver): Promise<CommandRecord> {
    const stop = await this.stopContainer(name, observer);
    if (stop.exitCode !== 0) return stop;
    if (opts.address) {
      const dev = opts.iface ?? 'eth0';
      const lines = [
        `addr flush dev ${dev}`,
        `addr add ${opts.address} dev ${dev}`,
        ...(opts.gateway ? [`route replace default via ${opts.gateway}`] : []),
      ];
      const rec = await runCommand(
        {
          argv: [...this.nodePrefix(name), 'sh', '-c', `ip -batch - <<'EOF'\n${lines.join('\n')}\nEOF`],
          display: `ip addr add ${opts.address} dev ${dev}   (${name}'s new address)`,
          node: name,
        },
        observer,
      );
      if (rec.exitCode !== 0) return rec;
      await this.containerEvent('address', name);
    }
    return this.startContainer(name, true, observer);
  }

  // Tells a container event to the engine and appends it to EVENTS_FILE for watchers in the sandbox:
  // one line "EVENT NAME ADDR,ADDR" ("-" when it has none), e.g. "started web 172.17.0.100/24".
  private async containerEvent(event: ContainerEvent['event'], name: string, known?: string[]): Promise<void> {
    await this.wired.catch(() => undefined); // addresses the baseline gives it are part of what it says
    const addresses = known ?? (await this.globalAddresses(name));
    try {
      if (this.eventsFd !== undefined) writeSync(this.eventsFd, `${event} ${name} ${addresses.join(',') || '-'}\n`);
    } catch {
      // the sandbox is going away
    }
    this.opts.onContainer?.({ event, container: name, addresses });
  }

  // Forgets neighbour entries so a check window starts from a known state: in `unresolved` nodes the
  // entries still waiting for an answer (deleting one drops the packets queued behind it), in `all` nodes
  // every learned entry. Through the command runner of a plain node when the lab has one (it shares the
  // keeper's mount namespace, where `ip -n` finds every node), by netlink in a child of it, so a check
  // starts no program for it; else one shell in the keeper's namespaces. A node whose namespace is gone
  // is passed over.
  async flushNeighbours(unresolved: string[], all: string[]): Promise<void> {
    const known = (ns: string[]): string[] => ns.filter((n) => this.nodes.includes(n));
    const script =
      'for n in $1; do ip -n "$n" neigh flush nud incomplete 2>/dev/null; done; for n in $2; do ip -n "$n" neigh flush all 2>/dev/null; done; exit 0';
    const [u, a] = [known(unresolved).join(' '), known(all).join(' ')];
    if (!u && !a) return;
    const display = 'flush neighbour entries';
    const via = (this.opts.commandNodes ?? []).find(
      (n) => this.nodes.includes(n) && !isContainer(this.opts.topology, n),
    );
    if (via && !this.died) {
      const agent = this.agent(via, this.enter(via));
      if (await agent.ready) {
        // A node it could not flush is tried once more the other way (its namespace gone: passed over there).
        if ((await agent.flushNeighbours(known(unresolved), known(all), via)).exitCode === 0) return;
      }
    }
    await runCommand({
      argv: [...this.keeperPrefix(), 'sh', '-c', script, 'flush', u, a],
      env: machineryEnv(),
      display,
      node: '',
    });
  }

  // A node's global IPv4 and IPv6 addresses, as CIDRs.
  private async globalAddresses(node: string): Promise<string[]> {
    const rec = await runCommand({
      argv: [...this.nodePrefix(node), 'ip', '-o', 'addr', 'show', 'scope', 'global'],
      display: '',
      node,
    });
    return [...rec.output.matchAll(/\binet6? (\S+)/g)].map((m) => m[1] ?? '');
  }

  // Starts a shell line that runs until the sandbox goes (a service, a watcher), entered as exec() enters;
  // resolves at once with the process, whose output is kept for the record.
  startDetached(node: string, cmd: string): { child: ChildProcess; output: () => string } {
    const p = this.enter(node);
    const child = startProcess({ argv: [...p.argv, 'sh', '-c', cmd], ...(p.env ? { env: p.env } : {}) });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    child.stdin?.end();
    let out = '';
    const keep = (d: Buffer): void => void (out = (out + d.toString()).slice(-4096));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('error', (err) => keep(Buffer.from(err.message)));
    return { child, output: () => out };
  }

  // Starts a long-running process in a node; it dies with the sandbox at the latest. By default it is the
  // runner's own machinery (a capture, the wan's web server): real root, in the node's network namespace only.
  spawn(node: string, argv: string[], prefix = this.machineryPrefix(node)): ChildProcess {
    // The real root in a node: the guard the probes have, on the very file nsenter will open.
    if (node) assertNotRunnerNetns(this.nsPath(node), argv.join(' '));
    const child = startProcess({ argv: [...prefix, ...argv], env: machineryEnv() });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  // Starts a server and resolves once it prints its ready line (bounded).
  async startService(
    node: string,
    argv: string[],
    readyLine: string,
    timeoutMs = 5_000,
    prefix?: string[],
  ): Promise<ChildProcess> {
    const child = this.spawn(node, argv, prefix ?? this.machineryPrefix(node));
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new ServiceError(`${argv.join(' ')} not ready after ${timeoutMs} ms: ${out}`)),
        timeoutMs,
      );
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes(readyLine)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new ServiceError(`${argv.join(' ')} exited with ${code}: ${out.trim()}`));
      });
    });
    return child;
  }

  // Leaves everything up for `lab shell` and `lab clean`.
  keep(): void {
    if (this.torn) return;
    this.torn = true;
    this.kept = true;
    // Services and containers stay up inside the kept sandbox; only our handles on them go.
    for (const c of this.children) {
      c.stdin?.destroy();
      c.stdout?.destroy();
      c.stderr?.destroy();
      c.unref();
    }
    this.journal();
    this.keeper.keep();
    this.closeFiles();
    this.releaseSlot();
  }

  // Lets go of the sandbox's namespaces and events file, so they go with the sandbox.
  private closeFiles(): void {
    this.ns.close();
    closeAll(this.eventsFd === undefined ? [] : [this.eventsFd]);
    this.eventsFd = undefined;
  }

  // Removes the whole sandbox and says what, if anything, survived; idempotent.
  teardown(): Promise<TeardownReport> {
    if (this.tearing) return this.tearing;
    if (this.kept) return Promise.resolve({ ok: true, leftovers: [] });
    this.torn = true;
    // Killing PID 1 takes every process inside with it; killing their nsenter parents first
    // orphans them inside the PID namespace, and the kernel then takes over a second to reap them.
    this.tearing = (async () => {
      const leftovers: string[] = [];
      const init = this.keeper.started?.initPid;
      try {
        await this.keeper.stop();
      } catch (err) {
        leftovers.push(`keeper: ${(err as Error).message}`);
      }
      for (const c of this.children) c.kill('SIGKILL');
      this.closeFiles();
      leftovers.push(...(await this.cgroup.remove()));
      this.releaseSlot();
      if (init && isAlive(init)) leftovers.push(`sandbox init process ${init} still alive`);
      try {
        removeState(this.runId);
      } catch (err) {
        leftovers.push(`journal entry ${this.runId}: ${(err as Error).message}`);
      }
      return { ok: leftovers.length === 0, leftovers };
    })();
    return this.tearing;
  }
}

export interface TeardownReport {
  ok: boolean;
  leftovers: string[]; // what could not be removed, in words
}

// The events file the baseline made (owned by the sandbox's root), opened for appending with no link
// followed and checked to be that plain file: the runner never writes it by path again.
function openEventsFile(initPid: number, idBase: number, runId: string): number {
  let fd: number | undefined;
  try {
    fd = openBeneath(`/proc/${initPid}/root`, EVENTS_FILE, fsc.O_WRONLY | fsc.O_APPEND | fsc.O_NONBLOCK | fsc.O_NOCTTY);
    const s = fstatSync(fd);
    if (!s.isFile() || s.uid !== idBase || s.nlink !== 1) throw new Error("not a plain file of the sandbox's root");
    return fd;
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    throw new EnvironmentError(
      'SANDBOX_TAMPERED',
      `refusing to write the container events of sandbox ${runId}: ${EVENTS_FILE} ${(err as Error).message}`,
      `remove the sandbox: lab clean ${runId}`,
    );
  }
}

// A server that did not come up: the step's failure, not the runner's.
export class ServiceError extends Error {}

// A command that could not even start (e.g. its container is not running), as a failed record.
function failedRecord(node: string, display: string, message: string, observer?: CommandObserver): CommandRecord {
  observer?.start?.({ argv: [], display, node });
  const r: CommandRecord = {
    display,
    node,
    argv: [],
    exitCode: 127,
    output: message,
    stderr: message,
    durationMs: 0,
    timedOut: false,
  };
  observer?.end?.(r);
  return r;
}

// The environment of the runner's own processes (Node ones among them): no NODE_EXTRA_CA_CERTS, since
// none makes a TLS connection and Node would parse that whole bundle at every start.
function machineryEnv(): Record<string, string> {
  const { NODE_EXTRA_CA_CERTS: _, ...env } = stringEnv();
  return env;
}

// The runner's environment without unset entries.
function stringEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
}
