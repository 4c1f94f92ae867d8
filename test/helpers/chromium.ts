// Headless Debian chromium, as the reports' tests use it: the rendered DOM of a page, and a screenshot.
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Runs chromium on a local file with a fresh profile folder, removed afterwards.
async function chromium(args: string[]): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'lab-chromium-'));
  try {
    const r = await execa('chromium', [...FLAGS, `--user-data-dir=${profile}`, ...args], {
      reject: false,
      timeout: 30_000,
    });
    if (r.exitCode !== 0) throw new Error(`chromium exited ${r.exitCode}: ${r.stderr}`);
    return r.stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

// The DOM chromium built from the file, serialised.
export function dumpDom(file: string): Promise<string> {
  return chromium(['--dump-dom', `file://${file}`]);
}

// A PNG of the page.
export async function screenshot(file: string, png: string, size = '1300,2400'): Promise<void> {
  await chromium([`--window-size=${size}`, `--screenshot=${png}`, `file://${file}`]);
}

// The words a reader sees: the DOM without style, tags, and with entities decoded.
export function visibleText(dom: string): string {
  return dom
    .replace(/<style[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+/g, ' ');
}
