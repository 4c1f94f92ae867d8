// Output files the user names: never through another user's link in a shared folder, never another user's
// file truncated, and a failed write names the file (exit 3). A second user is made for the test and removed.
import test from 'ava';
import {
  chmodSync,
  chownSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../../src/errors.js';
import { PcapWriter } from '../../src/capture/pcap-file.js';
import { checkOutputFile, makeOutputDir, OutputFileError, writeOutputFile } from '../../src/sys/output-file.js';
import { makeOtherUser, type OtherUser } from '../helpers/other-user.js';

const SECRET = 'root only\n';
let other: OtherUser;
const made: string[] = [];

// Making a second user takes root: as any other user the tests that need one are skipped (their titles say why).
const root = process.getuid?.() === 0;
const withOtherUser = root ? test.serial : test.serial.skip;

test.before(async () => {
  if (root) other = await makeOtherUser('out');
});
test.after.always(async () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
  await other?.remove();
});

// A sticky, world-writable folder like /tmp, and a root-only folder holding a 0600 root file.
function scene(): { shared: string; vault: string; secret: string } {
  const shared = mkdtempSync(join(tmpdir(), 'lab-out-shared-'));
  chmodSync(shared, 0o1777);
  const vault = mkdtempSync(join(tmpdir(), 'lab-out-vault-'));
  chmodSync(vault, 0o700);
  const secret = join(vault, 'secret');
  writeFileSync(secret, SECRET, { mode: 0o600 });
  made.push(shared, vault);
  return { shared, vault, secret };
}

withOtherUser(
  'a link another user planted in a sticky folder is not followed: the root file stays as it was (needs root to add a user)',
  async (t) => {
    const { shared, secret } = scene();
    const planted = join(shared, 'report.json');
    t.is((await other.run(['ln', '-s', secret, planted])).exitCode, 0);
    const e = t.throws(() => writeOutputFile(planted, '{"x":1}\n'), { instanceOf: OutputFileError });
    t.is(e?.exitCode, EXIT.environment);
    t.regex(
      e?.message ?? '',
      new RegExp(
        `cannot write ${planted}: .*symbolic link that ${other.name} \\(uid ${other.uid}\\) made in the shared folder`,
      ),
    );
    t.throws(() => checkOutputFile(planted), { instanceOf: OutputFileError });
    t.throws(() => PcapWriter.open(planted), { message: /symbolic link that/ });
    t.is(readFileSync(secret, 'utf8'), SECRET);
  },
);

withOtherUser(
  'a planted link as a folder on the way is not followed either, for a file or a --save-pcap folder (needs root to add a user)',
  async (t) => {
    const { shared, vault, secret } = scene();
    t.is((await other.run(['ln', '-s', vault, join(shared, 'sub')])).exitCode, 0);
    t.throws(() => writeOutputFile(join(shared, 'sub', 'secret'), 'x'), {
      message: /symbolic link that .* made in the shared folder/,
    });
    t.throws(() => makeOutputDir(join(shared, 'sub', 'lab', '01-step')), { message: /symbolic link that/ });
    t.is(readFileSync(secret, 'utf8'), SECRET);
    t.deepEqual(readdirSync(vault), ['secret']);
  },
);

withOtherUser(
  "another user's file is never truncated, in a shared folder or in one of root's (needs root to add a user)",
  async (t) => {
    const { shared } = scene();
    const theirs = join(shared, 'theirs.xml');
    t.is((await other.run(['sh', '-c', `echo theirs > ${theirs}`])).exitCode, 0);
    t.throws(() => writeOutputFile(theirs, 'mine'), { message: new RegExp(`belongs to another user, ${other.name}`) });
    t.is(readFileSync(theirs, 'utf8'), 'theirs\n');
    const own = mkdtempSync(join(tmpdir(), 'lab-out-own-'));
    made.push(own);
    writeFileSync(join(own, 'r.html'), 'theirs\n');
    chownSync(join(own, 'r.html'), other.uid, other.gid);
    t.throws(() => writeOutputFile(join(own, 'r.html'), 'mine'), { message: /belongs to another user/ });
    t.is(readFileSync(join(own, 'r.html'), 'utf8'), 'theirs\n');
  },
);

test.serial('a second name of a root file in a shared folder is not truncated', (t) => {
  const { shared, secret } = scene();
  linkSync(secret, join(shared, 'hard.json'));
  t.throws(() => writeOutputFile(join(shared, 'hard.json'), 'x'), {
    message: /has 2 names and lies in the shared folder/,
  });
  t.is(readFileSync(secret, 'utf8'), SECRET);
});

test.serial("the caller's own links and files are used as usual: followed, created, truncated", (t) => {
  const { shared } = scene();
  const own = mkdtempSync(join(tmpdir(), 'lab-out-own-'));
  made.push(own);
  writeFileSync(join(own, 'old.json'), 'a much longer old content\n');
  symlinkSync(join(own, 'old.json'), join(shared, 'mine.json'));
  writeOutputFile(join(shared, 'mine.json'), 'new\n');
  t.is(readFileSync(join(own, 'old.json'), 'utf8'), 'new\n');
  writeOutputFile(join(own, 'fresh.json'), 'fresh\n');
  t.is(readFileSync(join(own, 'fresh.json'), 'utf8'), 'fresh\n');
  makeOutputDir(join(own, 'a', 'b', 'c'));
  t.true(existsSync(join(own, 'a', 'b', 'c')));
  mkdirSync(join(own, 'dir'));
  t.throws(() => writeOutputFile(join(own, 'dir'), 'x'), { message: /it is a folder/ });
  t.throws(() => writeOutputFile(join(own, 'no', 'such', 'f.json'), 'x'), {
    message: new RegExp(`cannot write ${own}/no/such/f.json: .*ENOENT`),
  });
});

test.serial('a full device is exit 3 naming the file, not a bug', (t) => {
  const e = t.throws(() => writeOutputFile('/dev/full', 'x'.repeat(100)), { instanceOf: OutputFileError });
  t.is(e?.exitCode, EXIT.environment);
  t.regex(e?.message ?? '', /^cannot write \/dev\/full: no space left on its device \(ENOSPC\)$/);
});
