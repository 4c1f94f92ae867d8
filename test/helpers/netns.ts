// Throwaway network namespaces for testing the node tools: `unshare -n cat`, entered with nsenter.
// The namespace lives as long as its cat; closing cat's stdin (or the test process dying) ends it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { waitFor } from './procs.js';

export const TOOLS = fileURLToPath(new URL('../../src/tools/', import.meta.url));
const OWN_NETNS = readlinkSync('/proc/self/ns/net');

export interface Ran {
  status: number;
  stdout: string;
  stderr: string;
}

export class Netns {
  private constructor(
    readonly pid: number,
    private readonly child: ChildProcess,
  ) {}

  // Creates a fresh, empty network namespace (only lo, down) and waits until it exists.
  static async create(): Promise<Netns> {
    const child = spawn('unshare', ['-n', '--', 'cat'], { stdio: ['pipe', 'ignore', 'inherit'] });
    const pid = child.pid;
    if (pid === undefined) throw new Error('unshare -n did not start');
    const ready = await waitFor(() => {
      try {
        return readlinkSync(`/proc/${pid}/ns/net`) !== OWN_NETNS;
      } catch {
        return false;
      }
    }, 5000);
    if (!ready) {
      child.kill('SIGKILL');
      throw new Error('unshare -n did not make a namespace within 5 s');
    }
    const ns = new Netns(pid, child);
    ns.run(['ip', 'link', 'set', 'lo', 'up']);
    return ns;
  }

  // Refuses to go on if this namespace is the test runner's own (the real one).
  private guard(): void {
    if (readlinkSync(`/proc/${this.pid}/ns/net`) === OWN_NETNS)
      throw new Error('refusing: the namespace is the real one');
  }

  // argv prefixed to run a program inside this namespace.
  enter(argv: string[]): string[] {
    this.guard();
    return ['nsenter', '-t', String(this.pid), '-n', '--', ...argv];
  }

  // Runs a program in the namespace to completion (bounded), never throwing for a non-zero exit.
  run(argv: string[], timeoutMs = 20_000): Ran {
    const [file, ...args] = this.enter(argv);
    const r = spawnSync(file ?? 'nsenter', args, { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' });
    return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  // Runs a shell script in the namespace and fails loudly when it fails.
  sh(script: string): string {
    const r = this.run(['sh', '-ec', script]);
    if (r.status !== 0) throw new Error(`sh failed (${r.status}): ${script}\n${r.stderr}`);
    return r.stdout;
  }

  // Waits (bounded) until each interface's carrier is up: a veth drops what is sent before the kernel's
  // link watcher has activated it, which under load takes up to a second after `ip link set up`.
  async waitUp(ifaces: string[], timeoutMs = 5000): Promise<void> {
    const up = (): boolean => {
      const r = this.run(['ip', '-j', 'link', 'show']);
      if (r.status !== 0) return false;
      const links = JSON.parse(r.stdout) as { ifname: string; operstate: string }[];
      return ifaces.every((i) => links.some((l) => l.ifname === i && l.operstate === 'UP'));
    };
    if (!(await waitFor(up, timeoutMs)))
      throw new Error(`interfaces ${ifaces.join(', ')} not up within ${timeoutMs} ms`);
  }

  // Runs a built tool (nat66, lk) in the namespace, as `node dist/src/tools/NAME.js ARGS`.
  tool(name: string, args: string[], prefix: string[] = []): Ran {
    return this.run([...prefix, process.execPath, `${TOOLS}${name}.js`, ...args]);
  }

  // Ends the namespace: cat exits at end of input, and the kernel frees the namespace with it.
  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}

// Drops the comment lines (with their time stamps) from iptables-save output, so two saves compare byte for byte.
export function saved(text: string): string {
  return text
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');
}
