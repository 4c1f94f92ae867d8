// The capture child on its own, in a throwaway network namespace: it opens only the interfaces it is
// given (each libpcap socket costs the kernel grace periods), and reports the rest as it finds them.
import test from '../helpers/root-test.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FRAME, FrameReader, type SyncReply } from '../../src/capture/wire.js';

const CHILD = fileURLToPath(new URL('../../src/capture/child.js', import.meta.url));

interface Child {
  sync: (req?: { ifaces?: string[]; opening?: boolean }) => Promise<SyncReply>;
  want: (ifaces: string[]) => void;
  raw: (text: string) => void; // written to its stdin as is
  run: (cmd: string) => Promise<void>; // a shell line in the same namespace
  end: () => Promise<void>;
}

// A namespace with lo and two veth pairs up, and the child in it with `args`.
async function start(args: string[]): Promise<Child> {
  const setup =
    'ip link set lo up && ip link add a0 type veth peer name b0 && ip link add a1 type veth peer name b1 && for i in a0 b0 a1 b1; do ip link set $i up; done && mount -t sysfs t-sys /sys && exec "$0" "$@"';
  const p = spawn(
    'unshare',
    ['--net', '--mount', '--propagation', 'private', 'sh', '-c', setup, process.execPath, CHILD, ...args],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const reader = new FrameReader();
  const waiting = new Map<number, (r: SyncReply) => void>();
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  p.stdout.on('data', (d: Buffer) =>
    reader.push(d, (type, payload) => {
      if (type === FRAME.ready) ready();
      if (type === FRAME.sync) {
        const r = JSON.parse(payload.toString()) as SyncReply;
        waiting.get(r.id)?.(r);
      }
    }),
  );
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  await Promise.race([
    isReady,
    exited.then(() => Promise.reject(new Error('capture child exited before it was ready'))),
  ]);
  let id = 0;
  return {
    sync: (req = {}) =>
      new Promise((resolve) => {
        waiting.set(++id, resolve);
        p.stdin.write(`${JSON.stringify({ op: 'sync', id, ...req })}\n`);
      }),
    want: (ifaces) => void p.stdin.write(`${JSON.stringify({ op: 'want', ifaces })}\n`),
    raw: (text) => void p.stdin.write(text),
    run: (cmd) =>
      new Promise((resolve, reject) => {
        const c = spawn('nsenter', ['-t', String(p.pid), '--net', 'sh', '-c', cmd], { stdio: 'ignore' });
        c.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd}: exit ${code}`))));
      }),
    end: async () => {
      p.stdin.end();
      await exited;
    },
  };
}

test('given interfaces, the child opens those and no other', async (t) => {
  const c = await start(['a0', 'b1']);
  try {
    const r = await c.sync();
    t.deepEqual(r.ifaces.map((i) => i.name).sort(), ['a0', 'b1']);
    t.deepEqual(Object.keys(r.refused), []);
    for (const i of r.ifaces) t.is(i.drops, 0);
  } finally {
    await c.end();
  }
});

test('a blank line asks nothing: the child answers the next request', async (t) => {
  const c = await start(['a0']);
  try {
    c.raw('\n  \n');
    const r = await c.sync();
    t.deepEqual(
      r.ifaces.map((i) => i.name),
      ['a0'],
    );
  } finally {
    await c.end();
  }
});

test('given none, the child opens every interface that is up, and names one that is down', async (t) => {
  const c = await start([]);
  try {
    await c.run('ip link set b1 down');
    const r = await c.sync();
    t.deepEqual(r.ifaces.map((i) => i.name).sort(), ['a0', 'a1', 'b0', 'lo']);
    t.is(r.refused.b1, 'the interface is down');
  } finally {
    await c.end();
  }
});

test('an interface no longer wanted closes after the next opening sync answers; a window may open it again', async (t) => {
  const c = await start(['a0', 'b1']);
  try {
    t.deepEqual((await c.sync()).ifaces.map((i) => i.name).sort(), ['a0', 'b1']);
    c.want(['a0']);
    // The opening sync answers first, with b1 still open; b1 closes right after, while probes would run.
    t.deepEqual((await c.sync({ ifaces: ['a0'], opening: true })).ifaces.map((i) => i.name).sort(), ['a0', 'b1']);
    t.deepEqual(
      (await c.sync()).ifaces.map((i) => i.name),
      ['a0'],
      'b1 closed, and the scans leave it closed',
    );
    t.deepEqual(
      (await c.sync({ ifaces: ['b1'], opening: true })).ifaces.map((i) => i.name).sort(),
      ['a0', 'b1'],
      'a window asking for b1 opens it',
    );
    t.deepEqual(
      (await c.sync({ ifaces: ['b1'] })).ifaces.map((i) => i.name).sort(),
      ['a0', 'b1'],
      'and it stays open through that window',
    );
  } finally {
    await c.end();
  }
});
