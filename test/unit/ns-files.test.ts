// Namespace files the real root trusts: no link followed below the start, a namespace file, the one
// recorded, never one of the real machine's.
import test from 'ava';
import { closeSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { checkNamespace, fileId, NsRefused, openBeneath, openNamespace } from '../../src/sys/ns-files.js';

const dir = mkdtempSync(join(tmpdir(), 'ns-files-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'run/netns'), { recursive: true });
writeFileSync(join(dir, 'run/netns/plain'), '');
symlinkSync('/proc/self/ns/net', join(dir, 'run/netns/link'));
symlinkSync(join(dir, 'run/netns'), join(dir, 'run/dirlink'));

test('a link as the last component or on the way is refused; a plain file is not a namespace', (t) => {
  t.throws(() => checkNamespace(openBeneath(dir, 'run/netns/link'), undefined, 'link'), {
    instanceOf: NsRefused,
    message: /link is a symbolic link/,
  });
  t.throws(() => openBeneath(dir, 'run/dirlink/plain'), {
    instanceOf: NsRefused,
    message: /\/run\/dirlink is a symbolic link or not a folder/,
  });
  t.throws(() => openBeneath(dir, 'run/../run/netns/plain'), { instanceOf: NsRefused });
  t.throws(() => checkNamespace(openBeneath(dir, 'run/netns/plain'), undefined, 'plain'), {
    instanceOf: NsRefused,
    message: /plain is not a namespace file/,
  });
});

test("the real machine's own namespaces are refused; another is taken only if it is the one recorded", async (t) => {
  t.throws(() => openNamespace('/proc/self/ns/net', undefined), {
    instanceOf: NsRefused,
    message: /namespace of the real machine/,
  });
  const own = readlinkSync('/proc/self/ns/uts');
  const child = spawn('unshare', ['--uts', 'sleep', '10'], { stdio: 'ignore' });
  try {
    const path = `/proc/${child.pid}/ns/uts`;
    const end = Date.now() + 5_000;
    while (
      Date.now() < end &&
      (() => {
        try {
          return readlinkSync(path) === own;
        } catch {
          return true;
        }
      })()
    )
      await delay(10);
    t.throws(() => openNamespace(path, '1:2'), {
      instanceOf: NsRefused,
      message: /not the namespace the sandbox was built with/,
    });
    const fd = openNamespace(path, undefined);
    const id = fileId(fd);
    closeSync(fd);
    const again = openNamespace(path, id);
    t.is(fileId(again), id);
    closeSync(again);
  } finally {
    child.kill('SIGKILL');
  }
});
