// A student's page loses the network and comes back (the browser goes offline and the connection
// breaks under it, as a dropped Wi-Fi does): the page says it is reconnecting, then returns to the same
// step with the same shell in the same sandbox (a shell variable and a link made before the loss are
// still there), and the live check still turns the step green from what is typed afterwards.
import test from '../helpers/root-test.js';
import { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { heartbeat } from '../../src/ui/serve/web/sockets.js';
import { class03, joinAs, launchChromium } from '../helpers/browser.js';

test('the network drops and comes back: same step, same shell and sandbox, the live check still works', async (t) => {
  t.timeout(240_000);
  const { server, url } = await class03('net');
  // Every TCP connection the server accepts, so the test can break them as a lost network does.
  const conns = new Set<Socket>();
  server.app.server.on('connection', (s: Socket) => {
    conns.add(s);
    s.once('close', () => conns.delete(s));
  });
  const browser = await launchChromium();
  t.teardown(async () => {
    await browser.close();
    await server.close();
  });

  const page = await joinAs(browser, url, server.code, 'Nia');
  await page.click('.lab-open[data-lab="03-masquerade"]');
  await page.waitForSelector('#view-lab:not([hidden]) #step-title', { timeout: 60_000 });
  for (const step of ['bridge', 'veth']) {
    await page.click(`.step-pill[data-step="${step}"]`);
    await page.waitForSelector(`.step-pill.on[data-step="${step}"]`);
    await page.click('#btn-run');
    await page.waitForSelector(`.step-pill[data-step="${step}"][data-state="passed"]`, { timeout: 60_000 });
  }
  await page.click('.step-pill[data-step="forward"]');
  await page.waitForSelector('.step-pill.on[data-step="forward"]');
  const rows = '.pane[data-node="host"] .xterm-rows';
  await page.click('.tab[data-node="host"]');
  await page.waitForSelector(`${rows}:has-text("[host]#")`, { timeout: 15_000 });
  await page.click('.pane[data-node="host"] .xterm');
  // Before the loss: a shell variable (this shell's) and a link (this sandbox's).
  await page.keyboard.type('MARK=kept-$((6*7)); ip link add probe0 type veth peer name probe1 && echo made-$MARK\n', {
    delay: 5,
  });
  await page.waitForSelector(`${rows}:has-text("made-kept-42")`, { timeout: 15_000 });
  t.not(await page.getAttribute('#step-card', 'data-state'), 'passed', 'not before ip_forward is set');

  // The loss: the browser is offline and its connections break.
  await page.context().setOffline(true);
  for (const s of conns) s.destroy();
  await page.waitForSelector('#conn-text[data-state="reconnecting"]', { timeout: 10_000 });
  t.regex((await page.textContent('#conn-text')) ?? '', /reconnecting/);
  t.is(await page.getAttribute('#conn', 'class'), 'conn down');
  // It keeps trying while offline (the tries fail), and says so.
  await page.waitForSelector('#conn-text:text-matches("\\(try [2-9]\\)")', { timeout: 10_000 });

  // Back online: the page reconnects by itself, at the same step, with the shell's output replayed.
  await page.context().setOffline(false);
  await page.waitForSelector('#conn-text[data-state="up"]', { state: 'attached', timeout: 15_000 });
  t.is(await page.getAttribute('#conn', 'class'), 'conn up');
  await page.waitForSelector('.step-pill.on[data-step="forward"]', { timeout: 10_000 });
  await page.waitForSelector(`${rows}:has-text("made-kept-42")`, { timeout: 10_000 });

  // The same shell (its variable) in the same sandbox (its link).
  await page.click('.pane[data-node="host"] .xterm');
  await page.keyboard.type('echo still-$MARK; ip -br link show probe0\n', { delay: 5 });
  await page.waitForSelector(`${rows}:has-text("still-kept-42")`, { timeout: 15_000 });
  await page.waitForSelector(`${rows}:has-text("probe0@probe1")`, { timeout: 15_000 });

  // The live check still follows the terminal: the step turns green with no click.
  await page.keyboard.type('sysctl -w net.ipv4.ip_forward=1\n', { delay: 5 });
  await page.waitForSelector('#step-card[data-state="passed"]', { timeout: 30_000 });
  t.pass();
});

// Polls `ok` until it holds or `ms` pass.
async function waitUntil(ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

test.serial(
  'a page whose network went away without closing is dropped by the heartbeat, and shows offline',
  async (t) => {
    t.timeout(60_000);
    const beat = heartbeat.ms;
    heartbeat.ms = 300;
    const { server, url } = await class03('beat');
    t.teardown(async () => {
      heartbeat.ms = beat;
      await server.close();
    });
    const join = async (name: string): Promise<string> => {
      const r = await fetch(`${url}/api/join`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: server.code, name }),
      });
      return ((await r.json()) as { token: string }).token;
    };
    // A socket that answers pings (as every browser does), and one that has gone silent.
    const open = async (
      token: string,
      autoPong: boolean,
      path = '/ws/lab',
    ): Promise<{ ws: WebSocket; closed: Promise<number> }> => {
      const ws = new WebSocket(`${url.replace('http', 'ws')}${path}`, { origin: url, autoPong });
      const closed = new Promise<number>((resolve) => ws.on('close', resolve));
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      ws.send(JSON.stringify({ t: 'auth', token }));
      return { ws, closed };
    };
    // The teacher's board, as its page hears it: who is online.
    const teacher = await open(server.teacherToken, true, '/ws/board');
    let rows: { name: string; online: boolean }[] = [];
    teacher.ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as { t: string; students?: typeof rows };
      if (m.t === 'board' && m.students) rows = m.students;
    });
    const online = (name: string): boolean | undefined => rows.find((r) => r.name === name)?.online;
    const live = await open(await join('Ola'), true);
    const silent = await open(await join('Sid'), false);
    await waitUntil(() => online('Sid') === true && online('Ola') === true, 5000);
    const code = await Promise.race([silent.closed, new Promise<number>((r) => setTimeout(() => r(-1), 5000))]);
    t.is(code, 1006, 'the silent socket is dropped (abnormal close: no closing handshake)');
    await waitUntil(() => online('Sid') === false, 5000);
    t.false(online('Sid'), 'the silent student shows offline on the board');
    t.true(online('Ola'), 'the one answering pings stays online, through many beats');
    t.is(live.ws.readyState, WebSocket.OPEN);
    t.is(teacher.ws.readyState, WebSocket.OPEN);
    teacher.ws.close();
    live.ws.close();
  },
);

test.serial('a connection that goes silent without closing: the page notices by itself and reconnects', async (t) => {
  t.timeout(60_000);
  const beat = heartbeat.ms;
  heartbeat.ms = 400;
  const { server, url } = await class03('silent');
  const conns = new Set<Socket>();
  server.app.server.on('connection', (s: Socket) => {
    conns.add(s);
    s.once('close', () => conns.delete(s));
  });
  const browser = await launchChromium();
  const holes: Socket[] = [];
  t.teardown(async () => {
    heartbeat.ms = beat;
    for (const s of holes) Socket.prototype.destroy.call(s);
    await browser.close();
    await server.close();
  });
  const page = await joinAs(browser, url, server.code, 'Quinn');
  await page.waitForSelector('#conn-text[data-state="up"]', { state: 'attached', timeout: 10_000 });

  // A black hole, as a network gone between the two ends: nothing read, nothing written, and no close
  // ever reaches the page (the server's own heartbeat cannot close it for the page either).
  for (const s of conns) {
    s.pause();
    s.write = () => true;
    s.end = () => s;
    s.destroy = () => s;
    holes.push(s);
  }
  conns.clear();
  await page.waitForSelector('#conn-text[data-state="reconnecting"]', { timeout: 10_000 });
  await page.waitForSelector('#conn-text[data-state="up"]', { state: 'attached', timeout: 15_000 });
  t.true(conns.size >= 1, 'the page came back on a new connection');
  await page.waitForSelector('.lab-open[data-lab="03-masquerade"]', { timeout: 10_000 });
  t.is(await page.getAttribute('#conn', 'class'), 'conn up');
});
