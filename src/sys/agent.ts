// A node's resident command runner: one process started once in the node's namespaces (by whatever
// enters them, nsenter) that forks each command there. A command then costs one fork of a small
// process and its own exec, instead of a fork of the runner, an nsenter and its setns calls: where
// every program started is costly, that is most of a command's cost. The bounds are exec.ts's: its own
// process group killed whole at the bound, output kept as head and tail, a background child holding
// the pipes let go after PIPE_GRACE_MS. Protocol and script: perl/agent.pl.
import type { ChildProcess } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { perlScript } from './perl.js';
import {
  Bounded,
  DEFAULT_TIMEOUT_MS,
  finishRecord,
  labelOf,
  PIPE_GRACE_MS,
  startProcess,
  type CommandObserver,
  type CommandRecord,
  type CommandSpec,
} from './exec.js';
import { mark } from './timeline.js';

const READY_MS = 10_000;
const KILLED_MS = 2_000; // after the kill at the bound, how long its exit may take to be told

interface Job {
  spec: CommandSpec;
  all: Bounded;
  err: Bounded;
  text: { O: StringDecoder; E: StringDecoder };
  started: number;
  bound: number;
  exitCode?: number | undefined;
  exited: boolean;
  closed: boolean;
  timedOut: boolean;
  timer?: NodeJS.Timeout;
  observer: CommandObserver | undefined;
  resolve: (r: CommandRecord) => void;
}

export class Agent {
  readonly child: ChildProcess;
  // False when it could not start there (no perl in that root, say): run the command another way.
  readonly ready: Promise<boolean>;
  private readonly jobs = new Map<number, Job>();
  private nextId = 1;
  private pending = Buffer.alloc(0);
  private ended = false;
  private readied = false;

  // `enter` is the argv prefix that enters the node; env replaces the environment (a container's own).
  constructor(enter: string[], env?: Record<string, string>) {
    this.child = startProcess({ argv: [...enter, 'perl', '-e', perlScript('agent')], ...(env ? { env } : {}) });
    this.child.stdin?.on('error', () => undefined);
    this.child.stderr?.resume();
    let told: (ok: boolean) => void = () => undefined;
    this.ready = new Promise((resolve) => (told = resolve));
    const timer = setTimeout(() => {
      told(false);
      this.child.kill('SIGKILL');
    }, READY_MS);
    this.child.once('error', () => told(false));
    // After the last frame it wrote has been read.
    this.child.once('close', () => {
      clearTimeout(timer);
      this.end();
      told(false);
    });
    this.child.stdout?.on('data', (d: Buffer) =>
      this.read(d, () => {
        clearTimeout(timer);
        this.readied = true;
        told(true);
      }),
    );
  }

  // False once it ended (its node's namespaces went, or it was killed).
  get alive(): boolean {
    return !this.ended;
  }

  // True once it said it was ready: an agent that ended after that may be started again; one that
  // never started (no perl there) would not start the next time either.
  get wasReady(): boolean {
    return this.readied;
  }

  // Runs spec.argv (no prefix: the agent is in the node already) to completion, as runCommand does.
  run(spec: CommandSpec, observer?: CommandObserver): Promise<CommandRecord> {
    return this.job('R', Buffer.from(spec.argv.join('\0')), spec, observer);
  }

  // Forgets neighbour entries in the named nodes (`ip -n NODE neigh flush nud incomplete`, and `flush
  // all` in `all`) through netlink, in a child of the agent: no program started. The agent must be
  // where `ip -n` finds the nodes (the keeper's mount namespace). Exit 1 when a node could not be flushed.
  flushNeighbours(unresolved: string[], all: string[], node: string): Promise<CommandRecord> {
    const spec = {
      argv: ['flush-neighbours', unresolved.join(' '), all.join(' ')],
      display: 'flush neighbour entries',
      node,
    };
    return this.job('F', Buffer.from(`${unresolved.join(' ')}\0${all.join(' ')}`), spec);
  }

  // One request the agent carries out as a command (its output, exit and bound as run's).
  private job(op: 'R' | 'F', body: Buffer, spec: CommandSpec, observer?: CommandObserver): Promise<CommandRecord> {
    observer?.start?.(spec);
    mark(`start ${labelOf(spec)}`);
    const id = this.nextId++;
    const bound = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve) => {
      const job: Job = {
        spec,
        all: new Bounded(),
        err: new Bounded(),
        text: { O: new StringDecoder('utf8'), E: new StringDecoder('utf8') },
        started: performance.now(),
        bound,
        exited: false,
        closed: false,
        timedOut: false,
        observer,
        resolve,
      };
      this.jobs.set(id, job);
      if (this.ended) return this.finish(id, job);
      job.timer = setTimeout(() => {
        job.timedOut = true;
        this.send(`K ${id}\n`);
        job.timer = setTimeout(() => this.finish(id, job), KILLED_MS);
      }, bound);
      this.send(`${op} ${id} ${body.length}\n`, body);
    });
  }

  private send(head: string, body?: Buffer): void {
    if (this.ended) return;
    this.child.stdin?.write(body ? Buffer.concat([Buffer.from(head), body]) : head);
  }

  // Frames from the agent: a header line, then (O and E) that many bytes.
  private read(d: Buffer, ready: () => void): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, d]) : d;
    for (;;) {
      const nl = buf.indexOf(10);
      if (nl < 0) break;
      const [tag, idText, a, b] = buf.subarray(0, nl).toString('latin1').split(' ');
      const id = Number(idText);
      if (tag === 'O' || tag === 'E') {
        const len = Number(a);
        if (buf.length < nl + 1 + len) break;
        this.output(id, tag, buf.subarray(nl + 1, nl + 1 + len));
        buf = buf.subarray(nl + 1 + len);
        continue;
      }
      buf = buf.subarray(nl + 1);
      const job = this.jobs.get(id);
      if (tag === 'ready') ready();
      else if (tag === 'X' && job) {
        job.exited = true;
        job.exitCode = a === 'c' ? Number(b) : undefined;
        clearTimeout(job.timer);
        if (job.closed) this.finish(id, job);
        else {
          job.timer = setTimeout(() => {
            this.send(`D ${id}\n`);
            this.finish(id, job);
          }, PIPE_GRACE_MS);
        }
      } else if (tag === 'C' && job) {
        job.closed = true;
        if (job.exited) this.finish(id, job);
      }
    }
    this.pending = Buffer.from(buf);
  }

  private output(id: number, tag: 'O' | 'E', bytes: Buffer): void {
    const job = this.jobs.get(id);
    if (!job) return; // a background child of a command that has ended
    const text = job.text[tag].write(bytes);
    job.all.push(text);
    if (tag === 'E') job.err.push(text);
  }

  private finish(id: number, job: Job): void {
    if (!this.jobs.delete(id)) return;
    clearTimeout(job.timer);
    job.resolve(
      finishRecord(
        job.spec,
        {
          exitCode: job.exitCode,
          timedOut: job.timedOut,
          all: job.all,
          err: job.err,
          started: job.started,
          bound: job.bound,
        },
        job.observer,
      ),
    );
  }

  // The agent is gone (its node's namespaces died, or it was killed): what ran there ended unreported.
  private end(): void {
    this.ended = true;
    for (const [id, job] of this.jobs) this.finish(id, job);
  }
}
