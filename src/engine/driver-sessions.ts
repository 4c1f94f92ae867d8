// The sandboxes of one driven run: the current session, and going back to a step's start (a fresh
// sandbox with the earlier steps' commands replayed, without their checks), so a retry never runs on
// top of a wrong attempt. The fresh sandbox can be made ahead (a spare), so going back costs only the swap.
import { InterruptedError } from '../errors.js';
import type { Replayed } from './driver-types.js';
import { LabEvents } from './events.js';
import type { LoadedLab } from './loader.js';
import { LabSession } from './session.js';

interface Spare {
  index: number; // the step whose start it is at
  ready: Promise<Fresh | undefined>; // undefined: it could not be made (going back then builds one)
  stop: AbortController;
}

interface Fresh {
  session: LabSession;
  replayed: Replayed[];
}

export interface SessionsOptions {
  events: LabEvents;
  signal: AbortSignal;
  savePcap?: string;
  straightThrough?: boolean;
}

// Replays steps [0, upTo) in a session: each step's commands, without its checks.
async function replayIn(session: LabSession, upTo: number, signal: AbortSignal): Promise<Replayed[]> {
  const rows: Replayed[] = [];
  for (const info of session.steps.slice(0, upTo)) {
    const cmds = await session.runCommands(info.id, { signal });
    if (signal.aborted) throw new InterruptedError(String(signal.reason ?? 'SIGINT'));
    rows.push({ info, commands: cmds.length, failed: cmds.filter((c) => !c.ok).map((c) => c.display) });
  }
  return rows;
}

export class Sessions {
  private spare: Spare | undefined;
  private readonly retired: Promise<unknown>[] = [];

  private constructor(
    private readonly loaded: LoadedLab,
    private readonly opts: SessionsOptions,
    public current: LabSession,
  ) {}

  // Opens the first sandbox; its events go straight to the run's.
  static async open(loaded: LoadedLab, opts: SessionsOptions): Promise<Sessions> {
    const first = await LabSession.open(loaded, {
      events: opts.events,
      signal: opts.signal,
      ...(opts.savePcap ? { savePcap: opts.savePcap } : {}),
      ...(opts.straightThrough ? { straightThrough: true } : {}),
    });
    return new Sessions(loaded, opts, first);
  }

  // A new session of the same lab; its events reach the run's only while it is the current one.
  private async reopen(signal: AbortSignal): Promise<LabSession> {
    const own = new LabEvents();
    let made: LabSession | undefined;
    own.onAny((e) => {
      if (made && this.current === made) this.opts.events.emit(e);
    });
    made = await LabSession.open(this.loaded, {
      events: own,
      signal,
      ...(this.opts.savePcap ? { savePcap: this.opts.savePcap } : {}),
    });
    return made;
  }

  // Replays steps [0, upTo) in the current session (a resumed run).
  replay(upTo: number): Promise<Replayed[]> {
    return replayIn(this.current, upTo, this.opts.signal);
  }

  // A session at the start of step `index`, built from scratch.
  private async freshAt(index: number, signal: AbortSignal): Promise<Fresh> {
    const session = await this.reopen(signal);
    try {
      const replayed = await replayIn(session, index, signal);
      const info = session.steps[index];
      if (info) await session.arrange(info.id);
      return { session, replayed };
    } catch (err) {
      await session.close();
      throw err;
    }
  }

  // Starts making the start of step `index` in the background (nothing if one is on its way).
  prepare(index: number): void {
    if (this.spare?.index === index) return;
    void this.dropSpare();
    const stop = new AbortController();
    const run = this.opts.signal;
    const onAbort = (): void => stop.abort(run.reason);
    run.addEventListener('abort', onAbort, { once: true });
    const ready = this.freshAt(index, stop.signal)
      .catch(() => undefined)
      .finally(() => run.removeEventListener('abort', onAbort));
    this.spare = { index, ready, stop };
  }

  // Removes a spare sandbox nobody will use.
  async dropSpare(): Promise<void> {
    const spare = this.spare;
    this.spare = undefined;
    if (!spare) return;
    spare.stop.abort('unused');
    await (await spare.ready)?.session.close();
  }

  // A spare no retry will use any more (the step is behind): removed in the background.
  retireSpare(): void {
    this.retired.push(this.dropSpare());
  }

  // The current session becomes one at the start of step `index` (the spare made for it, or a new one);
  // the old one is removed. Returns the replayed steps.
  async goto(index: number): Promise<Replayed[]> {
    const signal = this.opts.signal;
    const spare = this.spare?.index === index ? this.spare : undefined;
    if (spare) this.spare = undefined;
    else await this.dropSpare();
    let fresh = await spare?.ready;
    if (signal.aborted) {
      await fresh?.session.close();
      throw new InterruptedError(String(signal.reason ?? 'SIGINT'));
    }
    const old = this.current;
    if (fresh) this.retired.push(old.close());
    else {
      await old.close(); // first: the machine's sandbox slots are shared
      fresh = await this.freshAt(index, signal);
    }
    this.current = fresh.session;
    return fresh.replayed;
  }

  // Removes the current sandbox at once (an interrupt).
  abort(): void {
    void this.current.abort();
  }

  // Ends the run's sandboxes: keeps or removes the current one, removes the spare and the retired ones.
  async close(keep: boolean): Promise<Awaited<ReturnType<LabSession['close']>>> {
    const report = await this.current.close({ keep });
    await this.dropSpare();
    await Promise.allSettled(this.retired);
    return report;
  }
}
