// The packet's path: trace the first packet of a probe through netfilter, in the node that sent it and
// in the node that routes it (the labs' `host`), with `nft monitor` and a short-lived `inet lab_trace` table.
import type { ChildProcess } from 'node:child_process';
import type { Probe } from '../model/probes.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import { runCommand, type CommandRecord } from '../sys/exec.js';
import { probeCommand } from '../model/probes.js';
import { formatNodeTrace } from './trace-format.js';
import { iptablesByHandle, parseNftRuleset, parseTrace } from './trace-parse.js';
import type { ChainRules } from './trace-tried.js';
import { iptablesChains } from './trace-tried.js';
import { probeMatch } from '../model/probes.js';
import { TRACE_TABLE, traceTableScript } from './trace-table.js';
import type { NodeTrace, TraceResult } from './trace-types.js';

export type { NodeTrace, TraceHop, TraceResult } from './trace-types.js';

const READY_MS = 5_000; // the monitor has seen our table appear
const DRAIN_MS = 3_000; // the monitor has seen it go: every trace event before it has been printed
const STOP_MS = 1_000;
const TOOL_MS = 5_000;
const MONITOR_BOUND_S = 30; // the monitor ends by itself even if nobody stops it
// The system's tools only: a PATH with node_modules/.bin first finds @vercel/nft's `nft` (node file trace).
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// `nft -a monitor` in a node: ruleset events tell when it listens and when it has printed everything.
class Monitor {
  private out = '';
  private err = '';
  exited = false;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => this.push(d.toString(), false));
    child.stderr?.on('data', (d: Buffer) => this.push(d.toString(), true));
    child.stdin?.on('error', () => undefined);
    const gone = (): void => {
      this.exited = true;
      this.wake();
    };
    child.once('exit', gone);
    child.once('error', (e) => {
      this.err += e.message;
      gone();
    });
  }

  // Starts the monitor; it stops when its stdin closes (our stop, or our death) or after the bound.
  static start(sandbox: Sandbox, node: string): Monitor {
    const script = `PATH=${SYSTEM_PATH}; timeout ${MONITOR_BOUND_S} nft -a monitor & p=$!; read _; kill $p 2>/dev/null; wait $p`;
    return new Monitor(sandbox.spawn(node, ['sh', '-c', script]));
  }

  private push(text: string, err: boolean): void {
    if (err) this.err += text;
    else this.out += text;
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters) w();
  }

  get text(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err.trim();
  }

  // Resolves true once a line after offset `from` matches; false at the bound or when the monitor has exited.
  waitFor(re: RegExp, ms: number, from = 0): Promise<boolean> {
    const seen = (): boolean => re.test(this.out.slice(from));
    return new Promise((resolve) => {
      const check = (): void => {
        const ok = seen();
        if (!ok && !this.exited) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(ok);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve(seen());
      }, ms);
      this.waiters.add(check);
      check();
    });
  }

  // Closes stdin (the shell then ends nft), and kills it if it lingers.
  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((r) => this.waiters.add(() => this.exited && r()));
    this.child.stdin?.end();
    const killer = setTimeout(() => this.child.kill('SIGKILL'), STOP_MS);
    await gone;
    clearTimeout(killer);
  }
}

// A host tool in a node's network namespace (containers too: their own root may lack nft).
function tool(sandbox: Sandbox, node: string, argv: string[], input?: string): Promise<CommandRecord> {
  const env = { PATH: SYSTEM_PATH, LC_ALL: 'C' };
  return runCommand({
    argv: [...sandbox.nodePrefix(node), ...argv],
    display: argv.join(' '),
    node,
    env,
    timeoutMs: TOOL_MS,
    ...(input === undefined ? {} : { input }),
  });
}

// A read-only listing's stdout alone (warnings on stderr would be interleaved with it), or '' if it failed.
async function listing(sandbox: Sandbox, node: string, cmd: string): Promise<string | undefined> {
  const r = await tool(sandbox, node, ['sh', '-c', `${cmd} 2>/dev/null`]);
  return r.exitCode === 0 ? r.output : undefined;
}

// The nodes to trace in: the probe's own, then the one that routes it (the labs' host).
export function traceNodes(nodes: string[], from: string): string[] {
  return [...new Set([from, ...(nodes.includes('host') ? ['host'] : [])])].filter((n) => nodes.includes(n));
}

const TABLE_ADDED = new RegExp(`^add table inet ${TRACE_TABLE}\\b`, 'm');
const TABLE_GONE = new RegExp(`^delete table inet ${TRACE_TABLE}\\b`, 'm');

interface Armed {
  node: string;
  monitor: Monitor;
  added: boolean;
  error?: string;
}

// Starts a node's monitor, then adds the table until the monitor prints its creation (it may not listen yet
// when the first one is added); armed then, and every later trace event reaches it.
async function arm(sandbox: Sandbox, node: string, match: string): Promise<Armed> {
  const monitor = Monitor.start(sandbox, node);
  const script = traceTableScript(match);
  const until = performance.now() + READY_MS;
  let added = false;
  for (let wait = 50; performance.now() < until; wait = Math.min(wait * 2, 400)) {
    await tool(sandbox, node, ['nft', 'delete', 'table', 'inet', TRACE_TABLE]); // a leftover, or our last attempt
    const from = monitor.text.length;
    const r = await tool(sandbox, node, ['nft', '-f', '-'], script);
    if (r.exitCode !== 0)
      return {
        node,
        monitor,
        added: false,
        error: `could not add the trace table: ${r.output.trim() || `exit ${r.exitCode}`}`,
      };
    added = true;
    if (await monitor.waitFor(TABLE_ADDED, wait, from)) return { node, monitor, added };
    if (monitor.exited) break;
  }
  return {
    node,
    monitor,
    added,
    error: `nft monitor did not start within ${READY_MS} ms${monitor.stderr ? `: ${monitor.stderr}` : ''}`,
  };
}

// Removes the table (always), waits until the monitor has printed everything before that, stops it.
async function disarm(sandbox: Sandbox, a: Armed): Promise<string | undefined> {
  const from = a.monitor.text.length;
  const del = await tool(sandbox, a.node, ['nft', 'delete', 'table', 'inet', TRACE_TABLE]);
  if (a.added && del.exitCode === 0) await a.monitor.waitFor(TABLE_GONE, DRAIN_MS, from);
  await a.monitor.stop();
  const left = await tool(sandbox, a.node, ['nft', 'list', 'tables']);
  if (left.output.includes(`inet ${TRACE_TABLE}`))
    return `the trace table could not be removed from ${a.node}: ${del.output.trim()}`;
  return undefined;
}

// What a node's rules look like in iptables' words, and whether it forwards; read-only.
async function nodeFacts(
  sandbox: Sandbox,
  node: string,
  ipv6: boolean,
): Promise<{ ipt: Map<string, string>; chains: Map<string, ChainRules>; forwarding?: string }> {
  const [ruleset, v4, v6, fwd] = await Promise.all([
    listing(sandbox, node, 'nft -a list ruleset'),
    listing(sandbox, node, 'iptables-save'),
    listing(sandbox, node, 'ip6tables-save'),
    listing(sandbox, node, `sysctl -n ${ipv6 ? 'net.ipv6.conf.all.forwarding' : 'net.ipv4.ip_forward'}`),
  ]);
  const nft = parseNftRuleset(ruleset ?? '');
  const saves = { ip: v4 ?? '', ip6: v6 ?? '' };
  const ipt = iptablesByHandle(nft, saves);
  return { ipt, chains: iptablesChains(nft, saves), ...(fwd ? { forwarding: fwd.trim() } : {}) };
}

// Traces the first packet of `probe`; the trace table is gone from every node when this resolves.
export async function traceProbe(sandbox: Sandbox, probe: Probe, stepId: string): Promise<TraceResult> {
  const t0 = performance.now();
  const pc = probeCommand(probe);
  const match = probeMatch(probe);
  const base = { stepId, probe: pc.display, from: pc.node, match };
  const nodes = traceNodes(sandbox.nodes, pc.node);
  const armed: Armed[] = [];
  const errors = new Map<string, string>();
  let probeExitCode: number | undefined;
  let probeSaid = '';
  const ipv6 = match.includes('ip6 ') || match.includes('icmpv6');
  const facts = new Map<string, ReturnType<typeof nodeFacts>>(); // read while the tables are removed
  try {
    const started = await Promise.allSettled(nodes.map((n) => arm(sandbox, n, match)));
    for (const [i, s] of started.entries()) {
      if (s.status === 'fulfilled') armed.push(s.value);
      else errors.set(nodes[i] ?? '', (s.reason as Error).message);
    }
    for (const a of armed) if (a.error) errors.set(a.node, a.error);
    if (armed.some((a) => !a.error)) {
      const rec = await sandbox.probe(pc.node, pc.argv, pc.display, undefined, pc.timeoutMs);
      probeExitCode = rec.exitCode ?? -1;
      probeSaid =
        rec.output
          .split('\n')
          .find((l) => /unreachable|error|fail|refused|cannot|not /i.test(l))
          ?.trim() ?? '';
      for (const a of armed)
        facts.set(
          a.node,
          nodeFacts(sandbox, a.node, ipv6).catch(() => ({
            ipt: new Map<string, string>(),
            chains: new Map<string, ChainRules>(),
          })),
        );
    }
  } finally {
    const removed = await Promise.all(armed.map((a) => disarm(sandbox, a).catch((err: Error) => err.message)));
    removed.forEach((e, i) => e && errors.set(armed[i]?.node ?? '', e));
  }
  const traces: NodeTrace[] = [];
  for (const node of nodes) {
    const a = armed.find((x) => x.node === node);
    const error = errors.get(node);
    if (!a || (error && !a.monitor.text)) {
      traces.push({
        node,
        hops: [],
        fate: 'not traced',
        lines: [`not traced: ${error ?? 'unknown error'}`],
        raw: [],
        error: error ?? 'unknown error',
      });
      continue;
    }
    const known = (await facts.get(node)) ?? { ipt: new Map<string, string>() };
    let t = formatNodeTrace(parseTrace(a.monitor.text), { node, ...known });
    // Nothing left the sender: say what the probe itself said (e.g. "connect: Network is unreachable").
    if (node === pc.node && !t.raw.length && probeSaid)
      t = { ...t, fate: `sent nothing: ${probeSaid}`, lines: [`sent nothing: ${probeSaid}`] };
    traces.push(error ? { ...t, error, lines: [...t.lines, `warning: ${error}`] } : t);
  }
  const head = `trace of the first packet of [${pc.node}] $ ${pc.display}   (nft: ${match})`;
  // A packet delivered inside its own node never reaches the router: say nothing of the router then.
  const local = traces.find((t) => t.node === pc.node)?.fate.startsWith('delivered to');
  const shown = traces.filter((t) => t.node === pc.node || t.raw.length || t.error || !local);
  const lines = [head, ...shown.flatMap((t) => t.lines.map((l) => `  [${t.node}] ${l}`))];
  const allFailed = traces.every((t) => t.error && !t.raw.length);
  return {
    ...base,
    ...(probeExitCode === undefined ? {} : { probeExitCode }),
    nodes: traces,
    lines,
    durationMs: performance.now() - t0,
    ...(allFailed ? { error: traces.map((t) => `${t.node}: ${t.error}`).join('; ') } : {}),
  };
}
