// scripts/setup.sh decides what a fresh clone lacks. Here dpkg-query, apt-get, npm, id and node are stubs
// on PATH (a temp dir) and the project is a temp folder: fast, no network, the real script.
import test from 'ava';
import { execa } from 'execa';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';

const SETUP = join(ROOT, 'scripts', 'setup.sh');
// The package list, read from the script itself so the test follows it.
const PKGS = /^pkgs=\(([^)]*)\)/m.exec(readFileSync(SETUP, 'utf8'))?.[1]?.trim().split(/\s+/) ?? [];

const STUBS: Record<string, string> = {
  'dpkg-query': `echo "dpkg-query $*" >>"$CALLS"; rc=0
for p in "$@"; do case $p in -*) continue ;; esac
  if grep -qx "$p" "$STATE"; then echo "$p install ok installed"; else echo "dpkg-query: no packages found matching $p" >&2; rc=1; fi
done; exit $rc`,
  'apt-get': `echo "apt-get $*" >>"$CALLS"
if [[ $* == *install* && -n \${APT_FAIL:-} ]]; then echo "E: Unable to locate package x" >&2; exit 100; fi
if [[ $* == *install* ]]; then for p in "$@"; do case $p in -*|install) ;; *) echo "$p" >>"$STATE" ;; esac; done; fi
if [[ $* == *install*nodejs* ]]; then echo v20.19.2 > "$STATE.node"; fi`,
  'apt-cache':
    'echo "apt-cache $*" >>"$CALLS"; echo "$2:"; echo "  Installed: (none)"; echo "  Candidate: ${STUB_APT_NODE:-(none)}"',
  id: 'echo "id $*" >>"$CALLS"; echo "${STUB_UID:-0}"',
  npm: `echo "npm $*" >>"$CALLS"
if [[ -n \${NPM_FAIL:-} ]]; then echo "$NPM_FAIL" >&2; exit 1; fi
if [[ $1 == ci ]]; then mkdir -p node_modules/pcap/build/Release && touch node_modules/pcap/build/Release/pcap_binding.node && mkdir -p node_modules/better-sqlite3/build/Release && touch node_modules/better-sqlite3/build/Release/better_sqlite3.node && cp package-lock.json node_modules/.package-lock.json; fi`,
  node: 'echo "node $*" >>"$CALLS"; if [[ $1 == --version ]]; then cat "$STATE.node" 2>/dev/null || echo "${STUB_NODE:-v20.19.0}"; else exit 1; fi',
};

interface World {
  dir: string;
  project: string;
  run: (env?: Record<string, string>) => Promise<{ exitCode: number; stderr: string; calls: string[] }>;
}

// A project folder, a dpkg status file and the stubs; `installed` are the packages dpkg knows.
function world(t: { teardown: (f: () => void) => void }, installed: string[], opts: { modules?: boolean } = {}): World {
  const dir = mkdtempSync(join(tmpdir(), 'lab-setup-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'bin');
  const project = join(dir, 'project');
  mkdirSync(bin);
  mkdirSync(project);
  for (const [name, body] of Object.entries(STUBS)) {
    writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  writeFileSync(join(dir, 'state'), installed.map((p) => `${p}\n`).join(''));
  const past = new Date(Date.now() - 3_600_000);
  writeFileSync(join(dir, 'dpkg-status'), '');
  utimesSync(join(dir, 'dpkg-status'), past, past);
  writeFileSync(join(project, 'package.json'), '{}\n');
  writeFileSync(join(project, 'package-lock.json'), '{}\n');
  utimesSync(join(project, 'package-lock.json'), past, past);
  if (opts.modules !== false) {
    mkdirSync(join(project, 'node_modules', 'pcap', 'build', 'Release'), { recursive: true });
    writeFileSync(join(project, 'node_modules', 'pcap', 'build', 'Release', 'pcap_binding.node'), '');
    mkdirSync(join(project, 'node_modules', 'better-sqlite3', 'build', 'Release'), { recursive: true });
    writeFileSync(join(project, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'), '');
    writeFileSync(join(project, 'node_modules', '.package-lock.json'), '{}\n');
  }
  const run = async (env: Record<string, string> = {}) => {
    writeFileSync(join(dir, 'calls'), '');
    const r = await execa('bash', [SETUP], {
      reject: false,
      cwd: dir,
      env: {
        PATH: `${bin}:/usr/bin:/bin`,
        LAB_SETUP_DIR: project,
        LAB_SETUP_DPKG_STATUS: join(dir, 'dpkg-status'),
        LAB_SETUP_SKIP_BUILD: '1',
        CALLS: join(dir, 'calls'),
        STATE: join(dir, 'state'),
        ...env,
      },
      extendEnv: false,
      timeout: 20_000,
    });
    return {
      exitCode: r.exitCode ?? -1,
      stderr: String(r.stderr),
      calls: readFileSync(join(dir, 'calls'), 'utf8').split('\n').filter(Boolean),
    };
  };
  return { dir, project, run };
}

const lines = (s: string) => s.split('\n').filter(Boolean);

test('the package list is the one the README names', (t) => {
  t.true(PKGS.length >= 10);
  for (const p of ['iproute2', 'iptables', 'nftables', 'conntrack', 'libpcap-dev', 'tcpdump', 'debootstrap', 'g++'])
    t.true(PKGS.includes(p), p);
});

test('nothing missing: exit 0, silent, nothing installed; the next run decides without dpkg-query or node', async (t) => {
  const w = world(t, PKGS);
  const r = await w.run();
  t.is(r.exitCode, 0, r.stderr);
  t.is(r.stderr, '');
  t.deepEqual(
    r.calls.filter((c) => /^(apt-get|npm|id)/.test(c)),
    [],
  );
  t.is(r.calls.filter((c) => c.startsWith('dpkg-query')).length, 1, 'one dpkg-query for all packages');
  rmSync(join(w.project, '.setup.lock'));
  const again = await w.run();
  t.is(again.exitCode, 0, again.stderr);
  t.deepEqual(again.calls, [], 'the no-op path runs no dpkg-query, no node, no npm');
  t.false(existsSync(join(w.project, '.setup.lock')), 'and takes no lock');
  // dpkg changed since: packages are checked again.
  utimesSync(join(w.dir, 'dpkg-status'), new Date(), new Date(Date.now() + 5_000));
  t.is((await w.run()).calls.filter((c) => c.startsWith('dpkg-query')).length, 1);
});

test('some packages missing (dpkg-query exits 1): installs exactly those, as root, and says so', async (t) => {
  const w = world(
    t,
    PKGS.filter((p) => p !== 'iptables' && p !== 'libpcap-dev'),
  );
  const r = await w.run();
  t.is(r.exitCode, 0, r.stderr);
  t.true(r.calls.includes('apt-get update -qq'));
  t.true(
    r.calls.includes(
      'apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold iptables libpcap-dev',
    ),
    r.calls.join('\n'),
  );
  t.regex(r.stderr, /^setup: installing Debian packages: iptables libpcap-dev$/m);
  t.regex(r.stderr, /^setup: installed Debian packages \(\d+\.\d s\): iptables libpcap-dev$/m);
  t.is(r.calls.filter((c) => c.startsWith('dpkg-query')).length, 2, 'checked again after installing');
});

test('apt-get fails: one line naming it and what to run, exit 3', async (t) => {
  const w = world(
    t,
    PKGS.filter((p) => p !== 'tcpdump'),
  );
  const r = await w.run({ APT_FAIL: '1' });
  t.is(r.exitCode, 3, r.stderr);
  const own = lines(r.stderr).filter((l) => l.startsWith('setup: '));
  t.deepEqual(own, [
    'setup: installing Debian packages: tcpdump',
    'setup: apt-get install failed (output above); run: apt-get install -y --no-install-recommends tcpdump',
  ]);
  t.regex(r.stderr, /E: Unable to locate package/, "apt-get's own output is shown");
});

test('not root with packages missing: "run: sudo apt-get install ...", exit 3, nothing installed', async (t) => {
  const w = world(
    t,
    PKGS.filter((p) => p !== 'nftables' && p !== 'curl'),
  );
  const r = await w.run({ STUB_UID: '1000' });
  t.is(r.exitCode, 3, r.stderr);
  t.deepEqual(lines(r.stderr), [
    'setup: missing Debian packages: nftables curl; run: sudo apt-get install -y nftables curl',
  ]);
  t.deepEqual(
    r.calls.filter((c) => c.startsWith('apt-get')),
    [],
  );
});

test('Node too old, and no Debian nodejs new enough: exit 3 before anything else; 20.19 and 22.1 pass', async (t) => {
  const w = world(t, PKGS);
  for (const [v, apt] of [
    ['v18.20.4', '(none)'],
    ['v20.18.3', '18.19.0+dfsg-6~deb12u2'],
  ] as const) {
    const r = await w.run({ STUB_NODE: v, STUB_APT_NODE: apt });
    t.is(r.exitCode, 3, v);
    t.deepEqual(lines(r.stderr), [
      `setup: Node.js >= 20.19 is required, this is ${v}; run: apt-get install nodejs (20.19+, e.g. from deb.nodesource.com), or see https://nodejs.org`,
    ]);
    t.deepEqual(
      r.calls.filter((c) => /^(npm|apt-get install|dpkg-query)/.test(c)),
      [],
      'nothing installed, nothing else asked',
    );
  }
  rmSync(join(w.project, 'node_modules', '.lab-setup-ok'), { force: true });
  t.is((await w.run({ STUB_NODE: 'v20.19.0' })).exitCode, 0);
  rmSync(join(w.project, 'node_modules', '.lab-setup-ok'), { force: true });
  t.is((await w.run({ STUB_NODE: 'v22.1.0' })).exitCode, 0);
});

test("Node missing or too old where Debian's nodejs is new enough (trixie): it is installed with the rest, and said so", async (t) => {
  for (const missing of [true, false]) {
    const w = world(t, PKGS);
    // Missing: no node anywhere on PATH, so the system's folders come as links without node.
    const env: Record<string, string> = { STUB_NODE: 'v18.19.0', STUB_APT_NODE: '20.19.2+dfsg-1' };
    if (missing) {
      const sys = join(w.dir, 'sys');
      mkdirSync(sys);
      for (const d of ['/usr/bin', '/bin'])
        for (const f of readdirSync(d))
          if (!/^(node|npm|npx)$/.test(f) && !existsSync(join(sys, f))) symlinkSync(join(d, f), join(sys, f));
      renameSync(join(w.dir, 'bin', 'node'), join(w.dir, 'node-after-install'));
      // apt-get's stub "installs" node by putting it back.
      writeFileSync(
        join(w.dir, 'bin', 'apt-get'),
        `${readFileSync(join(w.dir, 'bin', 'apt-get'), 'utf8')}\nif [[ $* == *install*nodejs* ]]; then cp ${join(w.dir, 'node-after-install')} ${join(w.dir, 'bin', 'node')}; fi\n`,
      );
      env.PATH = `${join(w.dir, 'bin')}:${sys}`;
    }
    const r = await w.run(env);
    t.is(r.exitCode, 0, r.stderr);
    const why = missing ? 'Node.js is missing' : 'Node.js >= 20.19 is required, this is v18.19.0';
    t.regex(
      r.stderr,
      new RegExp(
        `^setup: ${why.replace(/[.+]/g, '\\$&')}: Debian's nodejs 20\\.19\\.2\\+dfsg-1 will be installed, with npm$`,
        'm',
      ),
    );
    t.true(
      r.calls.some((c) => /^apt-get install .*nodejs npm/.test(c)),
      r.calls.join('\n'),
    );
    t.regex(r.stderr, /^setup: installed Debian packages \(\d+\.\d s\): nodejs npm$/m);
  }
});

test('a lockfile newer than node_modules runs npm ci, and says so', async (t) => {
  const w = world(t, PKGS);
  t.is((await w.run()).exitCode, 0);
  const future = new Date(Date.now() + 60_000);
  utimesSync(join(w.project, 'package-lock.json'), future, future);
  const r = await w.run();
  t.is(r.exitCode, 0, r.stderr);
  t.true(r.calls.includes('npm ci --no-audit --no-fund'), r.calls.join('\n'));
  t.regex(r.stderr, /^setup: installing npm packages \(npm ci\)$/m);
  t.regex(r.stderr, /^setup: installed npm packages \(\d+\.\d s\)$/m);
});

test('npm ci fails: the cause is named (registry, Node headers, libpcap), exit 3', async (t) => {
  const w = world(t, PKGS, { modules: false });
  const cases: [string, RegExp][] = [
    [
      'npm error code ENOTFOUND\nnpm error request to https://registry.npmjs.org/x failed',
      /npm ci failed: the npm registry \(.*\) is unreachable; run: .*npm ci$/,
    ],
    [
      'gyp http GET https://nodejs.org/download/release/v20.20.2/node-v20.20.2-headers.tar.gz\ngyp ERR! stack Error: connect ETIMEDOUT',
      /npm ci failed: node-gyp found no Node.js headers.*; run: install them at \/usr\/include\/node/,
    ],
    [
      '../src/pcap_session.cc:1:10: fatal error: pcap.h: No such file or directory\ngyp ERR! build error',
      /npm ci failed: the libpcap headers are missing; run: apt-get install -y libpcap-dev, then npm ci$/,
    ],
  ];
  for (const [out, want] of cases) {
    const r = await w.run({ NPM_FAIL: out });
    t.is(r.exitCode, 3, out);
    const own = lines(r.stderr).filter((l) => l.startsWith('setup: '));
    t.is(own.length, 2, own.join('\n'));
    t.regex(own[1] ?? '', want);
  }
});

test('an unforeseen failure still says where and exits 3, never 1', async (t) => {
  const w = world(t, PKGS);
  symlinkSync(join(w.dir, 'no-such-dir', 'x'), join(w.project, 'node_modules', '.lab-setup-ok')); // touch fails
  const r = await w.run();
  t.is(r.exitCode, 3, r.stderr);
  t.deepEqual(
    lines(r.stderr).filter((l) => l.startsWith('setup: ')),
    [lines(r.stderr).at(-1)],
  );
  t.regex(
    r.stderr,
    /setup: internal step failed at scripts\/setup\.sh line \d+ \(touch "\$stamp"\); run: bash -x scripts\/setup\.sh/,
  );
  const gone = await w.run({ LAB_SETUP_DIR: join(w.dir, 'no-such-project') });
  t.is(gone.exitCode, 3);
  t.regex(gone.stderr, /^setup: cannot enter the project folder .*no-such-project; run: /);
});

test('./lab exits 3 when setup fails', async (t) => {
  const w = world(t, PKGS);
  const r = await execa(join(ROOT, 'lab'), ['list'], {
    reject: false,
    env: {
      PATH: `${join(w.dir, 'bin')}:/usr/bin:/bin`,
      LAB_SETUP_DIR: w.project,
      LAB_SETUP_DPKG_STATUS: join(w.dir, 'dpkg-status'),
      LAB_SETUP_SKIP_BUILD: '1',
      CALLS: join(w.dir, 'calls'),
      STATE: join(w.dir, 'state'),
      STUB_NODE: 'v18.0.0',
    },
    extendEnv: false,
    timeout: 20_000,
  });
  t.is(r.exitCode, 3, String(r.stderr));
  t.regex(String(r.stderr), /^setup: Node\.js >= 20\.19 is required/);
});

test('./lab started many times while a source changed: one builds, and none runs before the build is whole', async (t) => {
  const w = world(t, PKGS);
  // tsc as a stub: the build takes a moment and writes its output folder (--outDir) only at the end.
  const npx = `echo "npx $*" >>"$CALLS"; out=dist; prev=
for a in "$@"; do [[ $prev == --outDir ]] && out=$a; prev=$a; done
mkdir -p "$out"; sleep 0.4; echo whole > "$out/main.js"`;
  writeFileSync(join(w.dir, 'bin', 'npx'), `#!/bin/bash\n${npx}\n`);
  chmodSync(join(w.dir, 'bin', 'npx'), 0o755);
  const past = new Date(Date.now() - 3_600_000);
  mkdirSync(join(w.project, 'dist'));
  writeFileSync(join(w.project, 'dist', 'main.js'), 'whole\n');
  writeFileSync(join(w.project, 'dist', '.build-stamp'), '');
  utimesSync(join(w.project, 'dist', '.build-stamp'), past, past);
  mkdirSync(join(w.project, 'src'));
  writeFileSync(join(w.project, 'src', 'edited.ts'), '');
  // Each copy runs setup, then at once reads the build as the CLI would; started 0-450 ms apart.
  const env = {
    PATH: `${join(w.dir, 'bin')}:/usr/bin:/bin`,
    LAB_SETUP_DIR: w.project,
    LAB_SETUP_DPKG_STATUS: join(w.dir, 'dpkg-status'),
    CALLS: join(w.dir, 'calls'),
    STATE: join(w.dir, 'state'),
  };
  writeFileSync(join(w.dir, 'calls'), '');
  const copies = Array.from({ length: 10 }, (_, i) =>
    new Promise((r) => setTimeout(r, i * 50)).then(() =>
      execa('bash', ['-c', `bash ${SETUP} && cat "$LAB_SETUP_DIR/dist/main.js"`], {
        reject: false,
        env,
        extendEnv: false,
        timeout: 30_000,
      }),
    ),
  );
  const runs = await Promise.all(copies);
  for (const r of runs) t.is(`${r.exitCode} ${String(r.stdout)}`, '0 whole', String(r.stderr));
  t.is(
    readFileSync(join(w.dir, 'calls'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('npx ')).length,
    1,
    'one build',
  );
  t.false(
    existsSync(join(w.project, 'dist.next')) || existsSync(join(w.project, 'dist.old')),
    'no build folder left beside dist',
  );
});
