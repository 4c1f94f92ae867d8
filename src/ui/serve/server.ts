// `lab serve` as a library: the class's store, the labs, the API and (when built) the web pages, bound
// to an address. Tests and the load bench start it in-process; the command adds the printing and signals.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { xdgState } from 'xdg-basedir';
import type { FastifyInstance } from 'fastify';
import type { LoadedLab } from '../../engine/loader.js';
import { buildApp } from './app.js';
import { Classroom } from './classroom.js';
import type { RegisterWeb } from './context.js';
import { ClassStore } from './store.js';

export interface ServeOptions {
  labs: LoadedLab[];
  port: number; // 0: any free port
  host: string;
  dataDir: string;
  maxStudents: number;
  idleMs: number;
  spares?: number; // sandboxes built ahead of the students' starts (default none)
  tls?: { cert: Buffer; key: Buffer };
  wrongCodesPerMinute?: number;
}

export interface Server {
  url: string; // where students go (ends with /)
  teacherToken: string;
  code: string;
  app: FastifyInstance;
  classroom: Classroom;
  close(): Promise<void>; // every sandbox removed, the socket and the database closed
}

// Where a class is kept when --data is not given.
export function defaultDataDir(): string {
  return join(process.env.XDG_STATE_HOME || xdgState || join(homedir(), '.local', 'state'), 'lab', 'serve');
}

// The web front end's pages and sockets, when they are part of this build.
async function webPlugin(): Promise<RegisterWeb | undefined> {
  const file = join(dirname(fileURLToPath(import.meta.url)), 'web', 'plugin.js');
  if (!existsSync(file)) return undefined;
  const mod = (await import('./web/plugin.js' as string)) as { registerWeb?: RegisterWeb };
  return mod.registerWeb;
}

// Opens the class and listens; throws (with nothing left behind) when the address cannot be bound.
export async function startServer(o: ServeOptions): Promise<Server> {
  const store = new ClassStore(o.dataDir);
  const classroom = new Classroom({
    store,
    labs: new Map(o.labs.map((l) => [l.def.id, l])),
    maxStudents: o.maxStudents,
    idleMs: o.idleMs,
    spares: o.spares ?? 0,
  });
  let app: FastifyInstance | undefined;
  try {
    app = await buildApp({
      classroom,
      ...(o.tls ? { tls: o.tls } : {}),
      ...(o.wrongCodesPerMinute ? { wrongCodesPerMinute: o.wrongCodesPerMinute } : {}),
    });
    const web = await webPlugin();
    if (web) await web(app, classroom);
    await app.listen({ port: o.port, host: o.host });
  } catch (err) {
    await app?.close().catch(() => undefined);
    await classroom.close();
    store.close();
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  const url = `${o.tls ? 'https' : 'http'}://${host}:${port}/`;
  const served = app;
  let closing: Promise<void> | undefined;
  return {
    url,
    teacherToken: store.teacherToken,
    code: store.code,
    app: served,
    classroom,
    close: () =>
      (closing ??= (async () => {
        await Promise.all([served.close().catch(() => undefined), classroom.close()]);
        store.close();
      })()),
  };
}
