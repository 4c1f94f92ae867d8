// A run's private world: a keeper, its namespaces, and the ways to run things inside them.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { InternalError } from '../errors.js';
import { runCommand, runChecked, type CommandObserver, type CommandRecord } from '../sys/exec.js';
import { assertNotRunnerNetns } from '../sys/netns-guard.js';
import { fileURLToPath } from 'node:url';
import { Keeper } from './keeper.js';
import { removeState, writeState } from './state.js';
import { baselineScript, nodeNames, type TopologySpec } from './topology.js';

const WAN_HTTP = fileURLToPath(new URL('./wan-http.js', import.meta.url));

export interface SandboxOptions {
  lab: string;
  topology: TopologySpec;
  observer?: CommandObserver;
}

// Short unique id of a run; also names its journal entry.
export function newRunId(lab: string): string {
  return `${lab.slice(0, 2)}-${randomBytes(4).toString('hex')}`;
}

export class Sandbox {
  readonly runId: string;
  readonly nodes: string[];
  private readonly keeper: Keeper;
  private readonly children = new Set<ChildProcess>();
  private torn = false;
  private tearing: Promise<void> | undefined;

  private constructor(runId: string, nodes: string[], keeper: Keeper) {
    this.runId = runId;
    this.nodes = nodes;
    this.keeper = keeper;
  }

  // Starts the keeper, journals it, and builds the baseline topology inside.
  static async create(opts: SandboxOptions): Promise<Sandbox> {
    const runId = newRunId(opts.lab);
    const keeper = new Keeper(runId);
    const pids = await keeper.start();
    const sb = new Sandbox(runId, nodeNames(opts.topology), keeper);
    writeState({ runId, lab: opts.lab, ...pids, runnerPid: process.pid, kept: false, nodes: sb.nodes, startedAt: new Date().toISOString() });
    try {
      await runChecked({ argv: [...sb.keeperPrefix(), 'sh', '-c', baselineScript(opts.topology)], display: 'build sandbox: host, wan, containers', node: '' }, opts.observer);
      await sb.startService('wan', [process.execPath, WAN_HTTP, '80'], 'listening');
    } catch (err) {
      await sb.teardown();
      throw err;
    }
    return sb;
  }

  get initPid(): number {
    return this.keeper.pids.initPid;
  }

  // argv prefix that enters the keeper's mount and PID namespaces.
  keeperPrefix(): string[] {
    return ['nsenter', '-t', String(this.initPid), '-m', '-p'];
  }

  // argv prefix that runs a program inside a node.
  nodePrefix(node: string): string[] {
    if (!this.nodes.includes(node)) throw new InternalError(`unknown node ${node}`);
    return [...this.keeperPrefix(), 'ip', 'netns', 'exec', node];
  }

  // Path of a node's network namespace file, readable from the real machine.
  nsPath(node: string): string {
    return `/proc/${this.initPid}/root/run/netns/${node}`;
  }

  // Runs one shell line in a node, as a student would type it.
  exec(node: string, cmd: string, observer?: CommandObserver, timeoutMs?: number): Promise<CommandRecord> {
    return runCommand({ argv: [...this.nodePrefix(node), 'sh', '-c', cmd], display: cmd, node, ...(timeoutMs ? { timeoutMs } : {}) }, observer);
  }

  // Runs a traffic generator in a node, refusing if that node were the real network namespace.
  probe(node: string, argv: string[], display: string, observer?: CommandObserver, timeoutMs?: number): Promise<CommandRecord> {
    assertNotRunnerNetns(this.nsPath(node), display);
    return runCommand({ argv: [...this.nodePrefix(node), ...argv], display, node, ...(timeoutMs ? { timeoutMs } : {}) }, observer);
  }

  // Starts a long-running process in a node; it dies with the sandbox at the latest.
  spawn(node: string, argv: string[]): ChildProcess {
    const child = spawn(this.nodePrefix(node)[0] ?? 'nsenter', [...this.nodePrefix(node).slice(1), ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  // Starts a server in a node and resolves once it prints its ready line (bounded).
  async startService(node: string, argv: string[], readyLine: string, timeoutMs = 5_000): Promise<void> {
    const child = this.spawn(node, argv);
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new InternalError(`${argv.join(' ')} in ${node} not ready after ${timeoutMs} ms: ${out}`)), timeoutMs);
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
        reject(new InternalError(`${argv.join(' ')} in ${node} exited with ${code}: ${out.trim()}`));
      });
    });
  }

  // Leaves everything up for `lab shell` and `lab clean`.
  keep(lab: string): void {
    if (this.torn) return;
    this.torn = true;
    // Services (wan's web server) stay up inside the kept sandbox; only our handles on them go.
    for (const c of this.children) {
      c.stdin?.destroy();
      c.stdout?.destroy();
      c.stderr?.destroy();
      c.unref();
    }
    writeState({ runId: this.runId, lab, ...this.keeper.pids, runnerPid: process.pid, kept: true, nodes: this.nodes, startedAt: new Date().toISOString() });
    this.keeper.keep();
  }

  // Removes the whole sandbox; idempotent, and complete because every namespace dies with the keeper.
  teardown(): Promise<void> {
    if (this.tearing) return this.tearing;
    if (this.torn) return Promise.resolve();
    this.torn = true;
    // Killing PID 1 takes every process inside with it; killing their nsenter parents first
    // orphans them inside the PID namespace, and the kernel then takes over a second to reap them.
    this.tearing = this.keeper.stop().then(() => {
      for (const c of this.children) c.kill('SIGKILL');
      removeState(this.runId);
    });
    return this.tearing;
  }
}
