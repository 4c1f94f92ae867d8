// The pages' files, bundled at build time (scripts/build-web.mjs) into public/ beside this module, read
// once: the server hands out these names only, never a path a request names.
import { readdirSync, readFileSync } from 'node:fs';

export interface Asset {
  type: string;
  body: Buffer;
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

export const PUBLIC_DIR = new URL('./public/', import.meta.url);

export function loadAssets(dir: URL = PUBLIC_DIR): Map<string, Asset> {
  const out = new Map<string, Asset>();
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return out; // not built: the pages say so
  }
  for (const name of names) {
    const type = TYPES[name.split('.').pop() ?? ''];
    if (type) out.set(name, { type, body: readFileSync(new URL(name, dir)) });
  }
  return out;
}
