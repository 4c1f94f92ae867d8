// The browser pages of `lab serve`, in Debian's chromium driven by playwright-core (it downloads
// nothing): a student joins, types in host's terminal and the step turns green with no click; the
// teacher's board shows it within 2 s; another student cannot reach the first one's terminal; a socket
// from another site is refused. Screenshots of both pages at 1280x800 are left for a person to look at.
import test from '../helpers/root-test.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { tempDir } from '../helpers/temp.js';
import { class03, cspViolations, joinAs, launchChromium, newContext } from '../helpers/browser.js';

// Screenshots to look at are kept where LAB_SERVE_SHOTS says; otherwise they go with the test's temporary folders.
const SHOTS = process.env.LAB_SERVE_SHOTS ?? tempDir('lab-serve-shots-');

// The colour the page draws the first element matching `selector` in.
function colorOf(page: Page, selector: string): Promise<string> {
  type Styled = { getComputedStyle(e: unknown): { color: string } };
  return page
    .locator(selector)
    .first()
    .evaluate((e) => (globalThis as unknown as Styled).getComputedStyle(e).color);
}

// What a raw socket to the server is told after authenticating with `token` and sending `msgs`:
// the messages it gets within `ms`, and how it was closed (if it was).
async function rawSocket(
  url: string,
  path: string,
  token: string,
  msgs: object[],
  origin: string,
  ms = 2000,
): Promise<{ got: Record<string, unknown>[]; closed?: number }> {
  const ws = new WebSocket(url.replace('http', 'ws') + path, { origin });
  const got: Record<string, unknown>[] = [];
  let closed: number | undefined;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    ws.on('open', () => {
      ws.send(JSON.stringify({ t: 'auth', token }));
      for (const m of msgs) ws.send(JSON.stringify(m));
    });
    ws.on('message', (d) => got.push(JSON.parse(String(d)) as Record<string, unknown>));
    ws.on('close', (code) => {
      closed = code;
      clearTimeout(timer);
      resolve();
    });
    ws.on('error', () => undefined);
    ws.on('unexpected-response', (_req, res) => {
      closed = res.statusCode;
      clearTimeout(timer);
      resolve();
    });
  });
  ws.terminate();
  return { got, ...(closed !== undefined ? { closed } : {}) };
}

test("a student types in host's terminal: the step turns green with no click, and the board shows it", async (t) => {
  t.timeout(240_000);
  mkdirSync(SHOTS, { recursive: true });
  const { server, url } = await class03('web', 10);
  const browser = await launchChromium();
  t.teardown(async () => {
    await browser.close();
    await server.close();
  });

  const board = await (await newContext(browser)).newPage();
  await board.goto(`${url}/teacher#${server.teacherToken}`);
  t.is(new URL(board.url()).hash, '', 'the teacher token leaves the address bar');

  const page = await joinAs(browser, url, server.code, 'Ada');
  const ada = server.classroom.classView().find((s) => s.name === 'Ada');
  if (!ada) return t.fail('Ada did not join');
  await page.click('.lab-open[data-lab="03-masquerade"]');
  await page.waitForSelector('#view-lab:not([hidden]) #step-title', { timeout: 60_000 });
  await page.waitForSelector('.tab[data-node="host"]', { timeout: 10_000 });

  // The steps before "forward" are run for her (the buttons), then she goes to it.
  for (const step of ['bridge', 'veth']) {
    await page.click(`.step-pill[data-step="${step}"]`);
    await page.waitForSelector(`#step-card[data-state]`);
    await page.waitForSelector(`.step-pill.on[data-step="${step}"]`);
    await page.click('#btn-run');
    await page.waitForSelector(`.step-pill[data-step="${step}"][data-state="passed"]`, { timeout: 60_000 });
  }
  await page.click('.step-pill[data-step="forward"]');
  await page.waitForSelector('.step-pill.on[data-step="forward"]');
  t.is(await page.getAttribute('#step-card', 'data-state'), 'untried');
  // The topology, as the sandbox is wired now: the bridge the first step made is drawn.
  await page.waitForSelector('#topology svg .node', { timeout: 10_000 });
  t.regex((await page.textContent('#topology')) ?? '', /br0/);

  // Her prediction, recorded and shown on the board.
  await page.click('#prediction .choice[data-choice="1"]');
  await page.waitForSelector('#prediction .choice.answer');

  // host's terminal: she types the command; nothing is clicked after the Enter key.
  await page.click('.tab[data-node="host"]');
  await page.waitForSelector('.pane[data-node="host"] .xterm-rows:has-text("[host]#")', { timeout: 15_000 });
  await page.click('.pane[data-node="host"] .xterm');
  await page.keyboard.type('sysctl -w net.ipv4.ip_forward=1\n', { delay: 5 });
  await page.waitForSelector('#step-card[data-state="passed"]', { timeout: 30_000 });
  const greenAt = Date.now();
  t.regex(
    ((await page.textContent('.pane[data-node="host"] .xterm-rows')) ?? '').replace(/\s/g, ' '),
    /\[host\]# sysctl -w net\.ipv4\.ip_forward=1 *net\.ipv4\.ip_forward = 1/,
    'the command ran in host',
  );

  // The board: her row shows the step passed within 2 s, and her prediction.
  await board.waitForSelector(`tr[data-student="${ada.id}"] td.cell[data-step="forward"][data-state="passed"]`, {
    timeout: 2000,
  });
  t.true(Date.now() - greenAt <= 2000, 'the board followed within 2 s');
  t.regex((await board.textContent(`tr[data-student="${ada.id}"]`)) ?? '', /Ada/);
  t.regex((await board.textContent('.summary [data-step="forward"]')) ?? '', /1 of 1 passed.*B 1/s);

  // The teacher watches her terminal read-only: its recent output is there.
  await board.click(`tr[data-student="${ada.id}"] .watch-btn[data-node="host"]`);
  await board.waitForSelector('#watch-term .xterm-rows:has-text("ip_forward = 1")', { timeout: 5000 });

  // A 24-bit colour (xterm sets it as the cell's style): drawn, with no inline style allowed.
  await page.click('.pane[data-node="host"] .xterm');
  await page.keyboard.type("printf '\\033[38;2;255;0;0mtrue%s\\033[0m\\n' colour\n", { delay: 5 });
  const red = '.pane[data-node="host"] .xterm-rows span:text-is("truecolour")';
  await page.waitForSelector(red, { timeout: 10_000 });
  t.is(await colorOf(page, red), 'rgb(255, 0, 0)');
  // xterm's own stylesheet (its <style> elements, with the page's nonce) is in force: the rows take
  // the theme's colour, and a page without it would draw them in the default black.
  t.is(await colorOf(page, '.pane[data-node="host"] .xterm-rows'), 'rgb(216, 222, 233)');

  await page.screenshot({ path: join(SHOTS, 'student.png') });

  // A reload brings her back where she was: the same step, passed, and the same shell with its output.
  await page.reload();
  await page.waitForSelector('.step-pill.on[data-step="forward"][data-state="passed"]', { timeout: 15_000 });
  await page.waitForSelector('.pane[data-node="host"] .xterm-rows:has-text("ip_forward = 1")', { timeout: 10_000 });
  await board.screenshot({ path: join(SHOTS, 'board.png') });

  // She leaves the shell (exit): a key opens a new one in the same node.
  const hostRows = '.pane[data-node="host"] .xterm-rows';
  await page.click('.pane[data-node="host"] .xterm');
  await page.keyboard.type('exit\n', { delay: 5 });
  await page.waitForSelector(`${hostRows}:has-text("the shell ended")`, { timeout: 10_000 });
  await page.keyboard.press('Enter');
  await page.waitForSelector(`${hostRows}:has-text("[host]#"):not(:has-text("the shell ended"))`, { timeout: 10_000 });
  await page.keyboard.type('echo again-$((40+2))\n', { delay: 5 });
  await page.waitForSelector(`${hostRows}:has-text("again-42")`, { timeout: 10_000 });

  // The projector view: the teacher's token opens the lab page (a sandbox of the teacher's own).
  const projector = await board.context().newPage();
  await projector.goto(`${url}/projector#${server.teacherToken}`);
  await projector.waitForSelector('.lab-open[data-lab="03-masquerade"]', { timeout: 10_000 });
  t.is(new URL(projector.url()).hash, '');
  await projector.close();

  // A second student: her page cannot reach Ada's terminal, nor the board.
  const bob = await joinAs(browser, url, server.code, 'Bob');
  const bobToken = await bob.evaluate<string | null>("localStorage.getItem('lab-student-token')");
  if (!bobToken) return t.fail('Bob has no token');
  const asBob = await rawSocket(
    url,
    '/ws/lab',
    bobToken,
    [{ t: 'term-open', node: 'host', student: ada.id, cols: 80, rows: 24 }],
    url,
  );
  t.false(
    asBob.got.some((m) => m.t === 'term'),
    "Bob's socket got no terminal output (Ada's terminal is not his)",
  );
  t.true(asBob.got.some((m) => m.t === 'error' && /no lab is running/.test(String(m.message))));
  t.is(
    (await rawSocket(url, '/ws/board', bobToken, [{ t: 'watch', student: ada.id, node: 'host' }], url)).closed,
    4403,
  );
  t.is((await rawSocket(url, '/ws/lab', 'f'.repeat(32), [], url)).closed, 4401, 'a made-up token is refused');
  const foreign = await rawSocket(url, '/ws/lab', bobToken, [], 'http://evil.example');
  t.true(
    foreign.closed === 403 || foreign.closed === 4403,
    `a socket from another site is refused (${foreign.closed})`,
  );

  // The teacher removes Bob: his page is told at once, and his token no longer works.
  const bobId = server.classroom.classView().find((s) => s.name === 'Bob')?.id;
  board.on('dialog', (d) => void d.accept());
  await board.click(`tr[data-student="${bobId}"] button:has-text("kick")`);
  await bob.waitForSelector('#view-join:not([hidden])', { timeout: 5000 });
  t.is(server.classroom.who(bobToken), undefined);

  const res = await fetch(`${url}/api/class/export.csv`, {
    headers: { authorization: `Bearer ${server.teacherToken}` },
  });
  t.is(res.status, 200);
  t.regex(await res.text(), new RegExp(`${ada.id},Ada,03-masquerade,forward,true,1,true,`));
  const adaToken = await page.evaluate<string | null>("localStorage.getItem('lab-student-token')");
  t.is((await fetch(`${url}/api/class/export.json`, { headers: { authorization: `Bearer ${adaToken}` } })).status, 403);
  t.is((await fetch(`${url}/api/class/export.json`, { headers: { authorization: `Bearer ${bobToken}` } })).status, 401);
  const csp = (await fetch(url)).headers.get('content-security-policy') ?? '';
  t.regex(csp, /script-src 'self';/);
  t.notRegex(csp, /unsafe-inline/);
  const nonce = /style-src 'self' 'nonce-([A-Za-z0-9+/=]{24})'/.exec(csp)?.[1];
  t.truthy(nonce, `a nonce for styles: ${csp}`);
  t.not(
    /'nonce-([^']+)'/.exec((await fetch(url)).headers.get('content-security-policy') ?? '')?.[1],
    nonce,
    'a new one each time',
  );
  t.deepEqual(await cspViolations(page), [], "no CSP violation on the student's page");
  t.deepEqual(await cspViolations(board), [], 'none on the board');
  // The recorder does hear one: a <style> put in by markup (no nonce) is refused and counted.
  await board.evaluate("document.body.insertAdjacentHTML('beforeend', '<style>body { color: red }</style>')");
  await board.waitForFunction('window.cspViolations.length > 0', undefined, { timeout: 5000 });
  t.regex((await cspViolations(board)).join('\n'), /style-src-elem blocked inline/);
});
