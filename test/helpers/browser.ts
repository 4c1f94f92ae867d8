// The browser tests' chromium: Debian's own, driven by playwright-core (which downloads nothing), and a
// student joining a class from a fresh context of it.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { loadLab } from '../../src/engine/loader.js';
import { startServer, type Server } from '../../src/ui/serve/server.js';
import { tempDir } from './temp.js';

export const VIEW = { width: 1280, height: 800 };

// The in-process servers of these tests wait for a sandbox slot as long as a test may, not the class's
// short grace: the rest of the suite holds the machine's slots at times (the 503 has its own test).
process.env.LAB_SERVE_SLOT_GRACE_MS ??= '120000';

// A class of lab 03 served in this process on a random port of 127.0.0.1, its data in a temporary folder
// named after `name`; `url` without its trailing slash.
export async function class03(name: string, maxStudents = 5): Promise<{ server: Server; url: string }> {
  const server = await startServer({
    labs: [await loadLab('03-masquerade')],
    port: 0,
    host: '127.0.0.1',
    dataDir: tempDir(`lab-serve-${name}-`),
    maxStudents,
    idleMs: 600_000,
  });
  return { server, url: server.url.replace(/\/$/, '') };
}

// Debian's chromium, headless, with extra flags.
export function launchChromium(args: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', ...args] });
}

// A fresh context (its own storage) whose pages record every Content-Security-Policy violation, from
// before their first script runs: `cspViolations(page)` reads them.
export async function newContext(browser: Browser): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: VIEW });
  await ctx.addInitScript(`
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.cspViolations.push(e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') + ': ' + e.sample));
  `);
  ctx.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) consoleCsp.push(m.text());
  });
  return ctx;
}
const consoleCsp: string[] = [];

// The violations a page saw, and the console's CSP errors of every context made by `newContext`.
export async function cspViolations(page: Page): Promise<string[]> {
  const inPage = await page.evaluate<string[]>('window.cspViolations ?? []');
  return [...inPage, ...consoleCsp];
}

// Joins the class from a fresh browser context (its own storage): the student's page, at the lab list.
export async function joinAs(browser: Browser, url: string, code: string, name: string): Promise<Page> {
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  await page.goto(url);
  await page.fill('#join-code', code);
  await page.fill('#join-name', name);
  await page.click('#join-go');
  await page.waitForSelector('.lab-open', { timeout: 10_000 });
  return page;
}
