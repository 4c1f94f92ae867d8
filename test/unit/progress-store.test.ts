// Saved progress lives per lab under $XDG_STATE_HOME/lab, survives a reload, and is forgotten on reset.
import test from 'ava';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  allProgress,
  loadProgress,
  newProgress,
  progressDir,
  resetProgress,
  saveProgress,
} from '../../src/ui/walk/progress-store.js';

test('save, load, list and reset, in $XDG_STATE_HOME/lab/progress', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-progress-'));
  const before = process.env.XDG_STATE_HOME;
  process.env.XDG_STATE_HOME = dir;
  try {
    t.is(progressDir(), join(dir, 'lab', 'progress'));
    t.is(loadProgress('03-masquerade'), undefined);
    const p = newProgress('03-masquerade', 5);
    p.reached = 3;
    p.steps.bridge = { done: true, how: 'typed', passed: true };
    p.predictions.bridge = { choice: 1, right: true };
    saveProgress(p);
    t.deepEqual(loadProgress('03-masquerade')?.predictions, { bridge: { choice: 1, right: true } });
    t.is(loadProgress('03-masquerade')?.reached, 3);
    t.deepEqual(
      allProgress().map((x) => x.lab),
      ['03-masquerade'],
    );
    writeFileSync(join(progressDir(), '04-port-mapping.json'), '{ half a file');
    t.is(loadProgress('04-port-mapping'), undefined); // unreadable: started afresh, not a crash
    t.true(resetProgress('03-masquerade'));
    t.false(resetProgress('03-masquerade'));
    t.false(existsSync(join(progressDir(), '03-masquerade.json')));
  } finally {
    if (before === undefined) delete process.env.XDG_STATE_HOME;
    else process.env.XDG_STATE_HOME = before;
    rmSync(dir, { recursive: true, force: true });
  }
});
