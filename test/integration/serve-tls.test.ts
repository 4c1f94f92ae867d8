// `lab serve --tls-cert F --tls-key F`: a self-signed certificate for 127.0.0.1 made with openssl in a
// temporary folder; the API over HTTPS with that certificate trusted, the board's socket as wss, the
// student's page in chromium trusting it by its key's fingerprint, no plain-HTTP warning on another
// address; and files that are not a certificate, a key, or a matching pair exit 2 before anything is built.
import test from '../helpers/root-test.js';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { chromium } from 'playwright-core';
import { WebSocket } from 'ws';
import { lab } from '../helpers/cli.js';
import { serve } from '../helpers/serve.js';
import { tempDir } from '../helpers/temp.js';

const LAB = '03-masquerade';
const state = tempDir('lab-serve-tls-state-');
const env = { LAB_STATE_DIR: state, LAB_MAX_SANDBOXES: '50' };

// A self-signed certificate and its key for IP 127.0.0.1, in DIR (named NAME.crt, NAME.key).
function selfSigned(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    '/usr/bin/openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore', timeout: 30_000 },
  );
  return { cert, key };
}

// A JSON call over HTTPS that trusts only `ca`; the reply, and the fingerprint of the certificate served.
async function httpsJson(
  url: string,
  ca: Buffer,
  body?: object,
): Promise<{ status: number; json: Record<string, unknown>; fingerprint: string; hsts: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: body ? 'POST' : 'GET',
        ca,
        headers: body ? { 'content-type': 'application/json' } : {},
        timeout: 20_000,
      },
      (res) => {
        const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            json: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>,
            fingerprint,
            hsts: res.headers['strict-transport-security'],
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer over HTTPS in 20 s')));
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

test('HTTPS and wss with the certificate given; no plain-HTTP warning on another address', async (t) => {
  t.timeout(180_000);
  const dir = tempDir('lab-serve-tls-');
  const pair = selfSigned(dir, 'class');
  const ca = readFileSync(pair.cert);
  const x509 = new X509Certificate(ca);
  const log = join(dir, 'stderr');
  const s = await serve(
    [
      '--labs',
      LAB,
      '--data',
      tempDir('lab-serve-tls-data-'),
      '--spares',
      '0',
      '--host',
      '0.0.0.0',
      '--tls-cert',
      pair.cert,
      '--tls-key',
      pair.key,
    ],
    env,
    { stderrFile: log },
  );
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      // Trusted by its key's fingerprint, as a teacher would add the certificate: no prompt, no bypass.
      `--ignore-certificate-errors-spki-list=${createHash('sha256')
        .update(x509.publicKey.export({ type: 'spki', format: 'der' }))
        .digest('base64')}`,
    ],
  });
  t.teardown(async () => {
    await browser.close();
    s.child.kill('SIGTERM');
    await s.child;
  });
  t.regex(s.url, /^https:\/\/0\.0\.0\.0:\d+\/$/);
  const base = s.url.replace('0.0.0.0', '127.0.0.1');

  // The API over HTTPS: the certificate served is the one given, and a join works.
  const joined = await httpsJson(`${base}api/join`, ca, { code: s.code, name: 'Tess' });
  t.is(joined.status, 201, JSON.stringify(joined.json));
  t.is(joined.fingerprint, x509.fingerprint256);
  t.regex(joined.hsts ?? '', /max-age=\d+/, 'HSTS under TLS');

  // The board's socket as wss, trusting the same certificate: it authenticates and gets the class.
  const board = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const ws = new WebSocket(`${base.replace('https', 'wss')}ws/board`, { ca, origin: base.replace(/\/$/, '') });
    const timer = setTimeout(() => reject(new Error('no board message over wss in 15 s')), 15_000);
    ws.on('open', () => ws.send(JSON.stringify({ t: 'auth', token: s.teacherToken })));
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as Record<string, unknown>;
      if (m.t !== 'board') return; // the heartbeat's terms come first or after
      clearTimeout(timer);
      ws.close();
      resolve(m);
    });
    ws.on('error', reject);
  });
  t.is(board.t, 'board');
  t.true((board.students as { name: string }[]).some((x) => x.name === 'Tess'));

  // The student's page over HTTPS: its socket (wss) brings the lab list.
  const page = await browser.newPage();
  await page.goto(base);
  await page.fill('#join-code', s.code);
  await page.fill('#join-name', 'Uma');
  await page.click('#join-go');
  await page.waitForSelector(`.lab-open[data-lab="${LAB}"]`, { timeout: 15_000 });
  t.is(await page.getAttribute('#conn', 'class'), 'conn up');

  t.notRegex(readFileSync(log, 'utf8'), /plain HTTP/, 'TLS given: no plain-HTTP warning');
});

test('a certificate or key that is not one, or a pair that does not match, exits 2 naming the option', async (t) => {
  t.timeout(120_000);
  const dir = tempDir('lab-serve-tls-bad-');
  const a = selfSigned(dir, 'a');
  const b = selfSigned(dir, 'b');
  const junk = join(dir, 'junk.pem');
  writeFileSync(junk, '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n');
  const cases: [string[], RegExp][] = [
    [['--tls-cert', junk, '--tls-key', a.key], /--tls-cert .*junk\.pem is not a PEM certificate/],
    [['--tls-cert', a.cert, '--tls-key', junk], /--tls-key .*junk\.pem is not a PEM private key/],
    [['--tls-cert', a.key, '--tls-key', a.key], /--tls-cert .*a\.key is not a PEM certificate/],
    [['--tls-cert', a.cert, '--tls-key', b.key], /--tls-key .*b\.key is not the key of --tls-cert .*a\.crt/],
    [['--tls-cert', a.cert, '--tls-key', join(dir, 'missing.key')], /--tls-key .*missing\.key cannot be read/],
    [['--tls-cert', a.cert], /--tls-cert and --tls-key go together/],
  ];
  for (const [args, said] of cases) {
    const data = join(tempDir('lab-serve-tls-bad-data-'), 'class');
    const r = await lab(['serve', '--port', '0', '--labs', LAB, '--data', data, '--spares', '0', ...args], env);
    t.is(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, said);
    t.false(existsSync(data), 'no class database was made');
  }
  const ps = JSON.parse((await lab(['ps', '--json'], env)).stdout) as { sandboxes: { journaled: boolean }[] };
  t.deepEqual(
    ps.sandboxes.filter((x) => x.journaled),
    [],
    'no sandbox of this state folder was built',
  );
});
