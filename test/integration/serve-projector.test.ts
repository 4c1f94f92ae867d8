// The teacher's demo view for the projector (/projector, the teacher's token): its own page in large
// type, the topology with the nodes the step works in drawn out, the step's text, live packets at the
// step's capture points, next and previous driven by the teacher (buttons and a presenter's Page Up /
// Page Down), and the step's commands run in the teacher's own sandbox. A screenshot at 1280x800 is
// left for a person to look at.
import test from '../helpers/root-test.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { class03, cspViolations, launchChromium, newContext } from '../helpers/browser.js';
import { tempDir } from '../helpers/temp.js';

const SHOTS = process.env.LAB_SERVE_SHOTS ?? tempDir('lab-serve-shots-');

// The page's computed font size of the first element matching `selector`, in CSS pixels.
async function fontPx(page: Page, selector: string): Promise<number> {
  type Styled = { getComputedStyle(e: unknown): { fontSize: string } };
  const v = await page
    .locator(selector)
    .first()
    .evaluate((e) => (globalThis as unknown as Styled).getComputedStyle(e).fontSize);
  return Number.parseFloat(v);
}

// The topology's nodes drawn out as the step's, by name.
async function touched(page: Page): Promise<string[]> {
  const names = await page
    .locator('#topology g.node.touched')
    .evaluateAll((gs) => gs.map((g) => (g as unknown as { dataset: Record<string, string> }).dataset.node ?? ''));
  return names.sort();
}

test('the projector: large type, the step’s nodes drawn out, packets, driven by the teacher in their sandbox', async (t) => {
  t.timeout(240_000);
  mkdirSync(SHOTS, { recursive: true });
  const { server, url } = await class03('projector');
  const browser = await launchChromium();
  t.teardown(async () => {
    await browser.close();
    await server.close();
  });

  const page = await (await newContext(browser)).newPage();
  await page.goto(`${url}/projector#${server.teacherToken}`);
  t.is(new URL(page.url()).hash, '', 'the teacher token leaves the address bar');
  t.is(await page.getAttribute('body', 'class'), 'projector', 'its own page, not the student’s');
  t.is(await page.locator('#view-join').count(), 0, 'no join form');
  await page.click('.lab-open[data-lab="03-masquerade"]');
  // The lab opens, or the page says why not (a machine with no free sandbox slot says so at once).
  await page.waitForSelector('#view-lab:not([hidden]) .step-pill.on[data-step="bridge"], #notice:not([hidden])', {
    timeout: 60_000,
  });
  t.true(await page.isHidden('#notice'), `the lab opened: ${await page.textContent('#notice')}`);

  // Large type for the back row.
  t.true((await fontPx(page, '#step-title')) >= 26, 'the step title is large');
  t.true((await fontPx(page, '#step-explain')) >= 20, 'its text is large');
  t.true((await fontPx(page, 'code.cmd')) >= 18, 'its commands are large');
  t.true((await fontPx(page, '#btn-next')) >= 18, 'its buttons are large');

  // The first step works in host: host is drawn out, the others are not.
  await page.waitForSelector('#topology g.node.touched', { timeout: 15_000 });
  t.deepEqual(await touched(page), ['host']);
  t.true((await page.locator('#topology g.node:not(.touched)').count()) >= 1);

  // The teacher runs the step's commands: in the teacher's sandbox, the step passes.
  await page.click('#btn-run');
  await page.waitForSelector('.step-pill[data-step="bridge"][data-state="passed"]', { timeout: 60_000 });
  await page.waitForSelector('#topology .ifname:text-is("br0")', { timeout: 10_000 }); // the bridge it made, drawn
  t.true(server.classroom.classView().length === 0, 'no student row: the projector is the teacher’s own');

  // Next, by the button: the veth step works in host and mycontainer.
  await page.click('#btn-next');
  await page.waitForSelector('.step-pill.on[data-step="veth"]', { timeout: 10_000 });
  await page.waitForFunction(
    "[...document.querySelectorAll('#topology g.node.touched')].map((g) => g.dataset.node).sort().join() === 'host,mycontainer'",
    undefined,
    { timeout: 10_000 },
  );
  await page.click('#btn-run');
  await page.waitForSelector('.step-pill[data-step="veth"][data-state="passed"]', { timeout: 60_000 });

  // A presenter's remote: Page Down is next, Page Up previous.
  await page.click('#step-title');
  await page.keyboard.press('PageDown');
  await page.waitForSelector('.step-pill.on[data-step="observe"]', { timeout: 10_000 });
  await page.keyboard.press('PageUp');
  await page.waitForSelector('.step-pill.on[data-step="veth"]', { timeout: 10_000 });
  await page.keyboard.press('PageDown');
  await page.waitForSelector('.step-pill.on[data-step="observe"]', { timeout: 10_000 });
  t.deepEqual(await touched(page), ['host'], 'observe captures in host only');

  // Its check pings the internet from the container: the packets show at the step's capture points.
  t.regex((await page.textContent('#points')) ?? '', /host:br0, host:eth0/);
  await page.click('#btn-check');
  await page.waitForSelector('#packets .packet:has-text("echo-request")', { timeout: 60_000 });
  t.regex((await page.textContent('#packets .packet .point')) ?? '', /^host:(br0|eth0)$/);
  t.true((await fontPx(page, '#packets .packet')) >= 15, 'packets in large type');
  await page.waitForSelector('.step-pill[data-step="observe"][data-state="passed"]', { timeout: 60_000 });

  // The terminal is the teacher's sandbox's: br0 is there.
  await page.click('.tab[data-node="host"]');
  await page.waitForSelector('.pane[data-node="host"] .xterm-rows:has-text("[host]#")', { timeout: 15_000 });
  await page.click('.pane[data-node="host"] .xterm');
  await page.keyboard.type('ip -br addr show br0\n', { delay: 5 });
  await page.waitForSelector('.pane[data-node="host"] .xterm-rows:has-text("172.17.0.1/24")', { timeout: 15_000 });
  // Page Down typed in the terminal is the terminal's, not the slides'.
  await page.keyboard.press('PageDown');
  t.is(await page.getAttribute('.step-pill.on', 'data-step'), 'observe');

  await page.click('#step-title');
  t.is(
    await page.evaluate<number>('document.documentElement.scrollWidth'),
    1280,
    'nothing runs off the screen sideways',
  );
  await page.screenshot({ path: join(SHOTS, 'projector.png') });
  t.deepEqual(await cspViolations(page), [], 'no CSP violation on the projector');
});
