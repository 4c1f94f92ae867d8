// The HTML report teaches, as chromium lays it out: the failing 03 report says its hint, its root cause and
// the MASQUERADE command --skip left out; lab 04's HTTP exchange is one arrow per TCP segment, as many as
// its pcap holds; no two labels of a diagram overlap (lab 07's long IPv6 addresses); chatter is folded.
import test from '../helpers/root-test.js';
import { chromium, type Browser, type Page } from 'playwright-core';
import { dirname, join, resolve } from 'node:path';
import { decodeFrame } from '../../src/capture/decode.js';
import { readPcap } from '../../src/capture/pcap-file.js';
import type { Packet } from '../../src/capture/types.js';
import { lab } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

interface Report {
  html: string;
  exitCode: number;
  output: string;
}

// Runs a lab with --report and --save-pcap into a fresh folder.
async function report(labId: string, extra: string[] = []): Promise<Report> {
  const dir = tempDir('lab-diagram-');
  const html = join(dir, 'r.html');
  const r = await lab(['run', labId, '--check', ...extra, '--reporter', 'plain', '--report', html, '--save-pcap', dir]);
  return { html, exitCode: r.exitCode, output: r.stdout + r.stderr };
}

const failing03 = report('03-masquerade', ['--skip', 'masquerade']);
const passing04 = report('04-port-mapping');
const passing07 = report('07-nptv6');
let browser: Promise<Browser> | undefined;

// A page of chromium (Debian's, nothing downloaded) showing the report at 1280x800.
async function open(html: string): Promise<Page> {
  browser ??= chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const page = await (await browser).newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`file://${html}`);
  return page;
}

test.after.always(async () => {
  if (browser) await (await browser).close();
});

// The packets of the pcap a step's check saved for a point, as linked from the report.
async function pcapOf(page: Page, html: string, step: string, point: string): Promise<Packet[]> {
  const href = await page.$eval(
    `#step-${step} .check:last-of-type .pcaps a[href$="${point.replace(':', '-')}.pcap"]`,
    (a) => a.getAttribute('href') ?? '',
  );
  return readPcap(resolve(dirname(html), decodeURIComponent(href))).frames.map((f) => decodeFrame(f));
}

interface Box {
  text: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

// Every text of every sequence diagram on the page, with its box as laid out.
async function diagramTexts(page: Page): Promise<Box[][]> {
  return page.$$eval('svg.sequence', (svgs) =>
    svgs.map((svg) =>
      [...svg.querySelectorAll('text')].map((t) => {
        const b = t.getBoundingClientRect();
        return { text: t.textContent ?? '', x: b.x, y: b.y, w: b.width, h: b.height };
      }),
    ),
  );
}

// Pairs of texts whose boxes overlap (by more than half a pixel each way).
function overlaps(boxes: Box[]): string[] {
  const out: string[] = [];
  for (const [i, a] of boxes.entries())
    for (const b of boxes.slice(i + 1)) {
      const dx = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
      const dy = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
      if (dx > 0.5 && dy > 0.5) out.push(`"${a.text}" overlaps "${b.text}"`);
    }
  return out;
}

const CHATTER_WORDS = /neighbor-|router-|mld|ip-proto-2|224\.0\.0\.|ff02:/i;

test('the failing 03 report says the hint, the root cause and the MASQUERADE command --skip left out', async (t) => {
  t.timeout(300_000); // three lab runs on a shared machine
  const r = await failing03;
  t.is(r.exitCode, 1, r.output);
  const page = await open(r.html);
  const step = '#step-masquerade';
  t.regex((await page.textContent(`${step} .hint`)) ?? '', /Hint:.*MASQUERADE/s);
  t.is(
    (await page.textContent(`${step} .cause`))?.trim(),
    'Root cause: source not rewritten: seen 172.17.0.100 where 10.0.2.15 was expected, at host:eth0',
  );
  const skipped = await page.$$eval(`${step} .cmd.skipped`, (xs) => xs.map((x) => x.textContent ?? ''));
  t.true(
    skipped.some((c) => /iptables -t nat -A POSTROUTING .*-j MASQUERADE/.test(c)),
    skipped.join('\n'),
  );
  t.true(await page.isVisible(`${step} svg.sequence`));
});

test("lab 04's HTTP exchange through DNAT: one arrow per TCP segment at each point, as many as the pcap holds", async (t) => {
  t.timeout(300_000); // three lab runs on a shared machine
  const r = await passing04;
  t.is(r.exitCode, 0, r.output);
  const page = await open(r.html);
  for (const point of ['host:eth0', 'host:br0']) {
    const arrows = await page.$$eval(
      `#step-dnat .check:last-of-type svg.sequence g.arrow[data-point="${point}"][data-proto="tcp"]`,
      (gs) => gs.map((g) => ({ n: Number(g.getAttribute('data-packets')), label: g.textContent ?? '' })),
    );
    const segments = (await pcapOf(page, r.html, 'dnat', point)).filter((p) => p.tcp);
    t.true(segments.length >= 7, `${point}: a handshake, a GET, a 200 and a close`);
    t.deepEqual(
      arrows.map((a) => a.n),
      segments.map(() => 1),
      `${point}: one arrow per segment`,
    );
    t.deepEqual(
      arrows.map((a) => a.label.split(/\s+/)[0]),
      segments.map((p) => p.tcp?.flags),
      `${point}: in the pcap's order`,
    );
    t.is(arrows.filter((a) => /HTTP GET \//.test(a.label)).length, 1, `${point}: the GET is drawn once`);
    t.is(arrows.filter((a) => /HTTP 200/.test(a.label)).length, 1, `${point}: the 200 is drawn once`);
  }
});

test('no two labels of a diagram overlap, however long the IPv6 address (labs 07, 04, 03)', async (t) => {
  t.timeout(300_000); // three lab runs on a shared machine
  for (const r of [await passing07, await passing04, await failing03]) {
    const page = await open(r.html);
    const diagrams = await diagramTexts(page);
    t.true(diagrams.length >= 3, r.html);
    for (const boxes of diagrams) t.deepEqual(overlaps(boxes), []);
    if (r === (await passing07))
      t.true(
        diagrams.flat().some((b) => b.text === '2001:db8:1:1:cf46::2'),
        'the long rewritten address is drawn',
      );
  }
});

test('chatter is folded out of the diagrams: no ND, MLD or IGMP arrow, and the fold is counted', async (t) => {
  t.timeout(300_000); // three lab runs on a shared machine
  let chatterSeen = 0;
  for (const r of [await passing07, await passing04, await failing03]) {
    const page = await open(r.html);
    const texts = (await diagramTexts(page)).flat().map((b) => b.text);
    t.deepEqual(
      texts.filter((x) => CHATTER_WORDS.test(x) && !/folded/.test(x)),
      [],
    );
    chatterSeen += texts.filter((x) => /ND\/MLD\/IGMP folded/.test(x)).length;
  }
  t.true(chatterSeen > 0, 'lab 07 sees neighbour discovery, and its diagrams say they folded it');
});
