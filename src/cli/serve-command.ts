// `lab serve`: a whole class on this machine. Prints where the teacher and the students go, then
// serves until SIGINT or SIGTERM, which remove every student's sandbox and exit 0.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { EnvironmentError, UsageError } from '../errors.js';
import { labIds, loadLab, probeLabs, resolveLab } from '../engine/loader.js';
import { checkEnvironment } from '../engine/preflight.js';
import { sandboxCapacity } from '../engine/capacity.js';

export interface ServeFlags {
  port?: string;
  host?: string;
  labs?: string[];
  maxStudents?: string;
  data?: string;
  idleMinutes?: string;
  spares?: string;
  tlsCert?: string;
  tlsKey?: string;
  json?: boolean;
}

// A whole number within bounds, or a usage error naming the option.
function intOption(name: string, v: string | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max)
    throw new UsageError('BAD_OPTION', `${name} must be a whole number from ${min} to ${max}, not "${v}"`);
  return n;
}

// --idle-minutes: a number of minutes, fractions allowed (0.1 is 6 s), from 0.05 to a day.
function minutesOption(v: string | undefined): number {
  if (v === undefined) return 20;
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || n < 0.05 || n > 24 * 60)
    throw new UsageError('BAD_OPTION', `--idle-minutes must be a number of minutes from 0.05 to 1440, not "${v}"`);
  return n;
}

// True for an address that only this machine reaches.
const loopback = (host: string): boolean => host === 'localhost' || /^127\./.test(host) || host === '::1';

// Reads a TLS file the teacher named, or says which could not be read.
function readTls(option: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError('BAD_OPTION', `${option} ${file} cannot be read: ${(err as Error).message}`);
  }
}

// The certificate and key the teacher named, proven to parse and to belong together before anything is
// built: a wrong file is the teacher's to fix, named, not a failure halfway through starting.
function readTlsPair(certFile: string, keyFile: string): { cert: Buffer; key: Buffer } {
  const cert = readTls('--tls-cert', certFile);
  const key = readTls('--tls-key', keyFile);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new UsageError('BAD_OPTION', `--tls-cert ${certFile} is not a PEM certificate: ${(err as Error).message}`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new UsageError(
      'BAD_OPTION',
      `--tls-key ${keyFile} is not a PEM private key (without a passphrase): ${(err as Error).message}`,
    );
  }
  if (!x509.checkPrivateKey(privateKey))
    throw new UsageError('BAD_OPTION', `--tls-key ${keyFile} is not the key of --tls-cert ${certFile}`);
  return { cert, key };
}

export async function serveCommand(o: ServeFlags): Promise<number> {
  const port = intOption('--port', o.port, 8080, 0, 65535);
  const maxStudents = intOption('--max-students', o.maxStudents, 40, 1, 1000);
  const idleMinutes = minutesOption(o.idleMinutes);
  const spares = intOption('--spares', o.spares, 2, 0, 50);
  const host = o.host ?? '127.0.0.1';
  if (host !== 'localhost' && !isIP(host))
    throw new UsageError('BAD_OPTION', `--host must be an IP address (or localhost), not "${host}"`);
  if (Boolean(o.tlsCert) !== Boolean(o.tlsKey))
    throw new UsageError('BAD_OPTION', '--tls-cert and --tls-key go together', 'give both, or neither');
  const tls = o.tlsCert && o.tlsKey ? readTlsPair(o.tlsCert, o.tlsKey) : undefined;

  const ids = o.labs?.length ? o.labs.map((l) => resolveLabId(l)) : labIds();
  const probed = probeLabs(ids.map((id) => resolveLab(id)));
  const labs = [];
  for (const id of ids) labs.push(await loadLab(id, undefined, probed.get(resolveLab(id))));
  for (const l of labs) checkEnvironment(l.def);

  // Listened for before the spares are built and the address printed (whoever reads it may signal at
  // once): a signal then still removes every sandbox.
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => resolve(s));
  });
  const { startServer, defaultDataDir } = await import('../ui/serve/server.js');
  let server;
  try {
    server = await startServer({
      labs,
      port,
      host,
      dataDir: o.data ?? defaultDataDir(),
      maxStudents,
      idleMs: idleMinutes * 60_000,
      spares,
      ...(tls ? { tls } : {}),
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL')
      throw new EnvironmentError(
        'CANNOT_LISTEN',
        `cannot listen on ${host}:${port}: ${(err as Error).message}`,
        'choose another --port (or --host)',
      );
    throw err;
  }
  if (!loopback(host) && !tls)
    process.stderr.write(
      `warning: serving plain HTTP on ${host}: anyone on this network can read the class code, tokens and terminals. Give --tls-cert and --tls-key on a shared network.\n`,
    );
  // A class bigger than the machine's sandbox bound is refused at "start": say so before anyone joins.
  const room = sandboxCapacity();
  if (maxStudents + spares > room)
    process.stderr.write(
      `warning: this machine runs ${room} sandboxes at once, and up to ${maxStudents} students and ${spares} spares were asked for: a start past ${room} is refused (503) until one is free. Set LAB_MAX_SANDBOXES=${maxStudents + spares + 1} to allow them (a lab 03 sandbox takes about 15 MiB).\n`,
    );
  if (o.json)
    process.stdout.write(
      `${JSON.stringify({ url: server.url, teacherToken: server.teacherToken, code: server.code })}\n`,
    );
  else
    process.stdout.write(
      `teacher: ${server.url}teacher#${server.teacherToken}\nstudents: ${server.url}  code ${server.code}\n`,
    );

  // Served until a signal; then every sandbox goes before the exit.
  const signal = await signalled;
  process.stderr.write(`lab serve: ${signal}: removing every student's sandbox\n`);
  await server.close();
  return 0;
}

// A lab the teacher named (an id or its number), as its id; a usage error for an unknown one.
function resolveLabId(ref: string): string {
  const ids = labIds();
  const id = ids.find((x) => x === ref || x.startsWith(`${ref}-`));
  if (!id) throw new UsageError('UNKNOWN_LAB', `--labs: no lab "${ref}"`, `the labs are: ${ids.join(', ')}`);
  return id;
}
