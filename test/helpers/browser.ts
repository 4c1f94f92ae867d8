// The browser tests' chromium: Debian's own, driven by playwright-core (which downloads nothing), and a
// student joining a class from a fresh context of it.
import { chromium, type Browser, type Page } from 'playwright-core';

export const VIEW = { width: 1280, height: 800 };

// Debian's chromium, headless, with extra flags.
export function launchChromium(args: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', ...args] });
}

// Joins the class from a fresh browser context (its own storage): the student's page, at the lab list.
export async function joinAs(browser: Browser, url: string, code: string, name: string): Promise<Page> {
  const ctx = await browser.newContext({ viewport: VIEW });
  const page = await ctx.newPage();
  await page.goto(url);
  await page.fill('#join-code', code);
  await page.fill('#join-name', name);
  await page.click('#join-go');
  await page.waitForSelector('.lab-open', { timeout: 10_000 });
  return page;
}
