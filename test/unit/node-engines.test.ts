// Node 20.19 is the oldest Node the product supports: no locked package may ask for a newer one.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';

const OLDEST: [number, number] = [20, 19];

// The lowest major.minor a simple engines range (">=22", "^22.1", "20.x || 22.x") accepts.
function lowest(range: string): [number, number] | undefined {
  const floors = range.split('||').map((part) => {
    const m = /(\d+)(?:\.(\d+|x))?/.exec(part);
    return m ? ([Number(m[1]), m[2] && m[2] !== 'x' ? Number(m[2]) : 0] as [number, number]) : undefined;
  });
  if (floors.some((f) => !f)) return undefined;
  return (floors as [number, number][]).sort((a, b) => a[0] - b[0] || a[1] - b[1])[0];
}

test('every locked package runs on Node 20.19 (its engines field)', (t) => {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { engines?: { node?: string } | string[] }>;
  };
  const tooNew = Object.entries(lock.packages).flatMap(([name, p]) => {
    const range = !p.engines || Array.isArray(p.engines) ? undefined : p.engines.node;
    const floor = range ? lowest(range) : undefined;
    const newer = floor && (floor[0] > OLDEST[0] || (floor[0] === OLDEST[0] && floor[1] > OLDEST[1]));
    return newer ? [`${name} needs node ${range}`] : [];
  });
  t.true(Object.keys(lock.packages).length > 100, 'the lock file lists the installed packages');
  t.deepEqual(tooNew, []);
});
