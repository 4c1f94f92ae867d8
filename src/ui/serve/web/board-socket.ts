// The teacher's board: every student's row, pushed to the board's pages as it changes (and once a
// second, for the time since each one's last activity); a student's terminal watched read-only; kick
// and reset.
import type { ServeContext, StudentView } from '../context.js';
import type { Person } from './person.js';
import type { WebState } from './plugin.js';
import { str, type Handler } from './sockets.js';

export interface BoardRow extends StudentView {
  online: boolean; // a page of theirs is open
  terminals: string[]; // nodes whose terminal is open (the teacher can watch them)
}

const SOON_MS = 100;
const EVERY_MS = 1000;

export class BoardFeed {
  private readonly pages = new Set<(msg: object) => void>();
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  private last = '';

  constructor(
    private readonly ctx: ServeContext,
    private readonly people: Map<string, Person>,
  ) {}

  // The class as the server keeps it, with what only the pages know: who is online, which step they
  // look at, which terminals they have open.
  rows(): BoardRow[] {
    return this.ctx.classView().map((s) => {
      const p = this.people.get(s.id);
      return {
        ...s,
        step: (p?.live && p.live.lab === s.lab ? p.step : undefined) ?? s.step,
        online: Boolean(p?.pages.size),
        terminals: p?.terminals?.nodes() ?? [],
      };
    });
  }

  // Something changed: the board is told within a moment.
  changed(): void {
    if (!this.pages.size || this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      this.push(false);
    }, SOON_MS);
  }

  private message(rows: BoardRow[]): object {
    return { t: 'board', now: Date.now(), labs: this.ctx.labs(), students: rows };
  }

  private push(always: boolean): void {
    const rows = this.rows();
    const body = JSON.stringify(rows);
    if (!always && body === this.last) return;
    this.last = body;
    const msg = this.message(rows);
    for (const p of this.pages) p(msg);
  }

  add(send: (msg: object) => void): () => void {
    this.pages.add(send);
    if (!this.timer) {
      this.timer = setInterval(() => this.push(false), EVERY_MS);
      this.timer.unref();
    }
    send(this.message(this.rows()));
    return () => {
      this.pages.delete(send);
      if (!this.pages.size && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon);
    this.pages.clear();
  }
}

export function onBoardMessage(state: WebState, send: (msg: object) => void): Handler {
  const { ctx, people } = state;
  const leave = state.board.add(send);
  let unwatch: (() => void) | undefined;
  const run = (what: Promise<unknown>): void => {
    what.catch((err: Error) => send({ t: 'error', message: err.message }));
  };
  const handler: Handler = (msg) => {
    switch (msg.t) {
      case 'watch': {
        const id = str(msg, 'student', 100);
        const node = str(msg, 'node', 64);
        const t = people.get(id)?.terminals?.find(node);
        if (!t) throw new Error(`${ctx.student(id)?.name ?? id} has no terminal open in ${node}`);
        unwatch?.();
        unwatch = t.watch((data) => send({ t: 'term', student: id, node, data }));
        return;
      }
      case 'unwatch':
        unwatch?.();
        unwatch = undefined;
        return;
      case 'kick':
      case 'reset': {
        const id = str(msg, 'student', 100);
        const kick = msg.t === 'kick';
        people
          .get(id)
          ?.drop(kick ? 'the teacher removed you from the class' : 'the teacher reset your lab: open it again', kick);
        if (kick) people.delete(id);
        return run((kick ? ctx.kick(id) : ctx.reset(id)).then(() => state.board.changed()));
      }
      default:
        throw new Error(`unknown message "${String(msg.t)}"`);
    }
  };
  handler.close = () => {
    unwatch?.();
    leave();
  };
  return handler;
}
