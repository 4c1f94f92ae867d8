// A real `lab serve` in a child process on a random port of 127.0.0.1, and a small client for its API.
import { execa, type ResultPromise } from 'execa';
import { createInterface } from 'node:readline';
import { MAIN, ROOT } from './cli.js';

export interface Served {
  url: string;
  teacherToken: string;
  code: string;
  child: ResultPromise;
}

// Starts `lab serve --port 0 --json ARGS` and resolves once it printed its address (bounded).
export async function serve(
  args: string[],
  env: Record<string, string>,
  opts: { boundMs?: number; stderrFile?: string } = {},
): Promise<Served> {
  const boundMs = opts.boundMs ?? 90_000;
  const child = execa(process.execPath, [MAIN, 'serve', '--port', '0', '--json', ...args], {
    reject: false,
    ...(opts.stderrFile ? { stderr: { file: opts.stderrFile } } : {}),
    cwd: ROOT,
    // A start waits for a slot as long as a test may (the suite's other tests hold the machine's slots at
    // times); a test of the 503 sets its own grace.
    env: { CI: 'true', LAB_SERVE_SLOT_GRACE_MS: '120000', ...env },
  });
  const lines = createInterface({ input: child.stdout! });
  let timer: NodeJS.Timeout | undefined;
  try {
    const first = await Promise.race([
      new Promise<string>((resolve) => lines.once('line', resolve)),
      child.then((r) => {
        throw new Error(`lab serve exited ${r.exitCode} before it listened: ${String(r.stderr)}`);
      }),
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error('lab serve did not listen')), boundMs)),
      ),
    ]);
    const o = JSON.parse(first) as { url: string; teacherToken: string; code: string };
    return { ...o, child };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

// One API call: JSON in and out, an optional bearer token.
export async function api<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(new URL(path, base), {
    method,
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    signal: AbortSignal.timeout(opts.timeoutMs ?? 120_000),
  });
  const text = await r.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = { text };
  }
  return { status: r.status, body: body as T, headers: r.headers };
}
