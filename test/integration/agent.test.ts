// A node's resident command runner on its own, in a throwaway network namespace (unshare -n): each
// command's exit, its output kept apart, its bound, a background child that keeps the pipes, a program
// that is not there, the agent killed under a command, and a root without perl.
import test from '../helpers/root-test.js';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { Agent } from '../../src/sys/agent.js';

const ENTER = ['unshare', '--net'];
const run = (a: Agent, argv: string[], timeoutMs?: number) =>
  a.run({ argv, display: argv.join(' '), node: 'n1', ...(timeoutMs ? { timeoutMs } : {}) });

// The process group ids of live processes whose command line is exactly argv.
function groupsOf(argv: string[]): number[] {
  const want = `${argv.join('\0')}\0`;
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8') !== want) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z') out.push(Number(fields[2]));
    } catch {
      // gone
    }
  }
  return out;
}

test('runs a command in the node: exit code, stdout and stderr (two pipes: no order between them), stderr apart, its own network namespace', async (t) => {
  const a = new Agent(ENTER);
  t.true(await a.ready);
  const r = await run(a, ['sh', '-c', 'echo out; echo err >&2; exit 3']);
  t.is(r.exitCode, 3);
  t.deepEqual(r.output.split('\n').sort(), ['err', 'out']);
  t.is(r.stderr, 'err');
  t.false(r.timedOut);
  const links = await run(a, ['ip', '-o', 'link']);
  t.is(links.exitCode, 0);
  t.is(links.output.split('\n').length, 1, 'only lo: the agent is in a namespace of its own');
  a.child.stdin?.end();
});

test('commands run side by side, each with its own output', async (t) => {
  const a = new Agent(ENTER);
  const [slow, fast] = await Promise.all([run(a, ['sh', '-c', 'sleep 0.2; echo slow']), run(a, ['echo', 'fast'])]);
  t.is(slow.output, 'slow');
  t.is(fast.output, 'fast');
  t.true(fast.durationMs < slow.durationMs);
  a.child.stdin?.end();
});

test('a program that is not there: exit 127 naming it', async (t) => {
  const a = new Agent(ENTER);
  const r = await run(a, ['no-such-program-here', 'x']);
  t.is(r.exitCode, 127);
  t.regex(r.output, /no-such-program-here: No such file or directory/);
  a.child.stdin?.end();
});

test('at its bound the whole process group is killed, grandchildren too', async (t) => {
  const a = new Agent(ENTER);
  const sleeper = ['sleep', '97.25'];
  const t0 = performance.now();
  const r = await run(a, ['sh', '-c', 'sleep 97.25 & sleep 97.25'], 1_000);
  t.true(performance.now() - t0 < 5_000);
  t.true(r.timedOut);
  t.is(r.exitCode, undefined);
  t.regex(r.output, /did not end within its bound of 1 s: its whole process tree was killed/);
  await delay(100);
  t.deepEqual(groupsOf(sleeper), [], 'no sleep is left');
  a.child.stdin?.end();
});

test('a background child that keeps the pipes open does not hold the command up', async (t) => {
  const a = new Agent(ENTER);
  const t0 = performance.now();
  const r = await run(a, ['sh', '-c', 'echo started; sleep 96.5 & exit 0']);
  t.is(r.exitCode, 0);
  t.is(r.output, 'started');
  t.true(performance.now() - t0 < 2_000);
  const next = await run(a, ['echo', 'next']);
  t.is(next.output, 'next', 'the next command is not mixed with the old pipes');
  for (const g of groupsOf(['sleep', '96.5'])) process.kill(-g, 'SIGKILL');
  a.child.stdin?.end();
});

test('a large output keeps its head and tail and the real exit code', async (t) => {
  const a = new Agent(ENTER);
  const r = await run(a, ['sh', '-c', 'head -c 20000000 /dev/zero | tr "\\0" x; exit 4']);
  t.is(r.exitCode, 4);
  t.regex(r.output, /\[\.\.\. \d+ bytes of output cut \.\.\.\]/);
  t.true(r.output.length < 200_000);
  a.child.stdin?.end();
});

test('the agent killed under a command: the command ends unreported (exit undefined), and the agent is not alive', async (t) => {
  const a = new Agent(ENTER);
  t.true(await a.ready);
  const pending = run(a, ['sleep', '95.75']);
  await delay(100);
  a.child.kill('SIGKILL');
  const r = await pending;
  t.is(r.exitCode, undefined);
  t.false(a.alive);
  for (const g of groupsOf(['sleep', '95.75'])) process.kill(-g, 'SIGKILL');
});

test('a root without perl: not ready, so the caller runs the command another way', async (t) => {
  const a = new Agent(['env', 'PATH=/nonexistent']);
  t.false(await a.ready);
  t.false(a.alive);
});

test('a command ending while the agent waits for the runner to read (a busy runner): no output lost, every exit told', async (t) => {
  const a = new Agent(ENTER);
  t.true(await a.ready);
  const big = run(a, ['sh', '-c', 'head -c 3000000 /dev/zero; exit 4']);
  const short = Array.from({ length: 10 }, (_, i) => run(a, ['sleep', `0.${i + 1}`]));
  // The runner's event loop busy for a while: the agent's pipe to it fills, its writes block, and the
  // sleeps end meanwhile (each end is a signal to the agent, which interrupts a blocked write).
  const until = performance.now() + 1_500;
  while (performance.now() < until) {
    // busy
  }
  const [b, ...s] = await Promise.all([big, ...short]);
  t.is(b?.exitCode, 4);
  t.regex(b?.output ?? '', /\[\.\.\. \d+ bytes of output cut \.\.\.\]/);
  t.deepEqual(
    s.map((r) => r.exitCode),
    s.map(() => 0),
  );
  t.true(a.alive, 'the agent is still there');
  a.child.stdin?.end();
});

// The agent forgets neighbour entries by netlink as `ip -n NODE neigh flush nud incomplete` and `flush all`
// do, IPv4 and IPv6, with no program started and no shell to fall back on: two named namespaces in a
// private mount namespace (a tmpfs on /run, so the real /run/netns is never touched).
test('flushNeighbours: incomplete entries go in the first nodes, all but permanent and noarp in the second; a gone node is passed over', async (t) => {
  const a = new Agent([
    'unshare',
    '--mount',
    '--propagation',
    'private',
    '--net',
    'sh',
    '-c',
    'mount -t tmpfs tmpfs /run && exec "$@"',
    'sh',
  ]);
  t.teardown(() => void a.child.stdin?.end());
  t.true(await a.ready);
  const mac = (n: number): string => `02:00:00:00:00:0${n}`;
  const setup = [
    'set -e',
    'for n in n1 n2; do ip netns add $n; ip -n $n link add v0 type veth peer name v1; ip -n $n link set v0 up; ip -n $n link set v1 up',
    '  ip -n $n addr add 192.0.2.1/24 dev v0; ip -n $n addr add 2001:db8::1/64 dev v0 nodad; done',
    `ip -n n1 neigh add 192.0.2.5 lladdr ${mac(5)} dev v0 nud stale`,
    `ip -n n1 neigh add 192.0.2.7 lladdr ${mac(7)} dev v0 nud permanent`,
    `ip -n n2 neigh add 192.0.2.5 lladdr ${mac(5)} dev v0 nud reachable`,
    `ip -n n2 neigh add 192.0.2.6 lladdr ${mac(6)} dev v0 nud stale`,
    `ip -n n2 neigh add 192.0.2.7 lladdr ${mac(7)} dev v0 nud permanent`,
    `ip -n n2 neigh add 192.0.2.8 lladdr ${mac(8)} dev v0 nud noarp`,
    `ip -n n2 neigh add 2001:db8::5 lladdr ${mac(5)} dev v0 nud stale`,
    `ip -n n2 neigh add 2001:db8::7 lladdr ${mac(7)} dev v0 nud permanent`,
    // Nobody answers for .9 and ::9 on v0 (v1 has no such address): their entries stay incomplete ~3 s.
    'nsenter --net=/run/netns/n1 ping -c1 -W3 192.0.2.9 >/dev/null 2>&1 &',
    'nsenter --net=/run/netns/n1 ping -6 -c1 -W3 2001:db8::9 >/dev/null 2>&1 &',
    'i=0; until [ "$(ip -n n1 neigh show nud incomplete | wc -l)" = 2 ]; do i=$((i+1)); [ $i -lt 100 ] || exit 1; sleep 0.01; done',
  ].join('\n');
  const made = await run(a, ['sh', '-c', setup]);
  t.is(made.exitCode, 0, made.output);
  const r = await a.flushNeighbours(['n1', 'gone'], ['n2'], 'n1');
  t.is(r.exitCode, 0, `the agent's flush failed (a sandbox would fall back to the shell): ${r.output}`);
  const left = async (n: string): Promise<string[]> =>
    (await run(a, ['ip', '-n', n, 'neigh', 'show', 'nud', 'all', 'dev', 'v0'])).output
      .split('\n')
      .filter((l) => /^(192\.0\.2|2001:db8)/.test(l)) // not the multicast entries the kernel keeps
      .map((l) => l.replace(/ lladdr \S+/, '').trim())
      .sort();
  t.deepEqual(await left('n1'), ['192.0.2.5 STALE', '192.0.2.7 PERMANENT'], 'only the incomplete entries went');
  t.deepEqual(await left('n2'), ['192.0.2.7 PERMANENT', '192.0.2.8 NOARP', '2001:db8::7 PERMANENT']);
});
