// The proof that nptTranslate is what the kernel does: a ping through a real SNPT/DNPT mapping, captured with
// tcpdump on the far side, leaves with exactly the source address the pure function computes, and its reply
// comes back translated (the ping succeeds).
//   client (fd00:0:0:1::2) --veth-- router (nat66 on out0) --veth-- wan (2001:db8:ff::2)
import test from '../helpers/root-test.js';
import { spawn } from 'node:child_process';
import { nptMap, nptTranslate } from '../../src/tools/npt.js';
import { Netns } from '../helpers/netns.js';

interface World {
  client: Netns;
  router: Netns;
  wan: Netns;
}

// Three namespaces wired client - router - wan, with routes both ways and forwarding on the router.
async function world(): Promise<World> {
  const client = await Netns.create();
  const router = await Netns.create();
  const wan = await Netns.create();
  router.sh(`
    ip link add in0 type veth peer name eth0 netns ${client.pid}
    ip link add out0 type veth peer name eth0 netns ${wan.pid}
    sysctl -qw net.ipv6.conf.all.forwarding=1
    ip -6 addr add fd00:0:0:1::1/64 dev in0 nodad
    ip -6 addr add 2001:db8:ff::1/64 dev out0 nodad
    ip link set in0 up; ip link set out0 up`);
  client.sh(`
    ip -6 addr add fd00:0:0:1::2/64 dev eth0 nodad
    ip -6 addr add fd00:0:0:1:ffff:0:0:9/64 dev eth0 nodad
    ip link set eth0 up
    ip -6 route add default via fd00:0:0:1::1`);
  wan.sh(`
    ip -6 addr add 2001:db8:ff::2/64 dev eth0 nodad
    ip link set eth0 up
    ip -6 route add 2001:db8:1::/48 via 2001:db8:ff::1`);
  await router.waitUp(['in0', 'out0']);
  await client.waitUp(['eth0']);
  await wan.waitUp(['eth0']);
  return { client, router, wan };
}

// Captures the first ICMPv6 echo request on wan:eth0 while `send` runs; returns its source address and send's exit.
async function captureEchoSource(
  wan: Netns,
  send: () => number,
): Promise<{ source: string | undefined; sendStatus: number; line: string }> {
  const [file, ...args] = wan.enter(['tcpdump', '-n', '-l', '-i', 'eth0', '-c', '1', 'icmp6 and ip6[40] == 128']);
  const dump = spawn(file ?? 'nsenter', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  dump.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const listening = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tcpdump did not start: ${err}`)), 10_000);
    dump.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const exited = new Promise<void>((resolve) => dump.once('close', () => resolve())); // close: after stdout is drained
  try {
    await listening;
    const sendStatus = send();
    const timer = setTimeout(() => dump.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    const line = out.trim().split('\n')[0] ?? '';
    return {
      source: /^\S+ IP6 (\S+) > /.exec(line)?.[1],
      sendStatus,
      line: line || `nothing captured; tcpdump said: ${err.trim()}`,
    };
  } finally {
    if (dump.exitCode === null) dump.kill('SIGKILL');
  }
}

// Pings wan from the client, from the given source address.
function ping(w: World, from: string): number {
  return w.client.run(['ping', '-6', '-n', '-c', '1', '-W', '3', '-I', from, '2001:db8:ff::2']).status;
}

const CASES = [
  {
    name: '/48: the subnet ID (word 3) carries the adjustment',
    internal: 'fd00::/48',
    external: '2001:db8:1::/48',
    from: 'fd00:0:0:1::2',
  },
  {
    name: '/64: word 4 of the interface identifier carries it',
    internal: 'fd00:0:0:1::/64',
    external: '2001:db8:1:1::/64',
    from: 'fd00:0:0:1::2',
  },
  {
    name: '/64 with word 4 = ffff: word 5 carries it',
    internal: 'fd00:0:0:1::/64',
    external: '2001:db8:1:1::/64',
    from: 'fd00:0:0:1:ffff:0:0:9',
  },
];

test('a ping through a nat66 mapping leaves with the source nptMap computes, and its reply is translated back', async (t) => {
  const w = await world();
  try {
    for (const c of CASES) {
      const add = w.router.tool('nat66', ['out0', 'add', c.internal, c.external]);
      t.is(add.status, 0, add.stderr);
      const expected = nptMap(c.from, c.internal, c.external);
      const seen = await captureEchoSource(w.wan, () => ping(w, c.from));
      t.is(seen.source, expected, `${c.name}: tcpdump saw "${seen.line}"`);
      t.is(seen.sendStatus, 0, `${c.name}: the reply did not come back through DNPT`);
      // The adjustment really changed a word (the lesson's point): plain prefix substitution would be wrong.
      const r = nptTranslate(c.from, c.internal, c.external);
      t.not(r.before, r.after, c.name);
      t.is(w.router.tool('nat66', ['out0', 'del', c.internal, c.external]).status, 0);
    }
  } finally {
    await Promise.all([w.client.close(), w.router.close(), w.wan.close()]);
  }
});

test('without a mapping the internal source reaches the wan untranslated (the capture can tell the difference)', async (t) => {
  const w = await world();
  try {
    const seen = await captureEchoSource(w.wan, () => ping(w, 'fd00:0:0:1::2'));
    t.is(seen.source, 'fd00:0:0:1::2', seen.line);
    t.not(seen.sendStatus, 0, 'wan has no route back to fd00::/48, so no reply');
  } finally {
    await Promise.all([w.client.close(), w.router.close(), w.wan.close()]);
  }
});

test("a mapping in the sender's own namespace (a container mapping its own prefix) translates its own traffic", async (t) => {
  const container = await Netns.create();
  const wan = await Netns.create();
  try {
    container.sh(`
      ip link add eth0 type veth peer name eth0 netns ${wan.pid}
      ip -6 addr add fd00:0:0:7::2/64 dev eth0 nodad
      ip -6 addr add 2001:db8:ff::3/64 dev eth0 nodad
      ip link set eth0 up`);
    wan.sh(`
      ip -6 addr add 2001:db8:ff::2/64 dev eth0 nodad
      ip link set eth0 up
      ip -6 route add 2001:db8:7::/48 via 2001:db8:ff::3`);
    await container.waitUp(['eth0']);
    await wan.waitUp(['eth0']);
    t.is(container.tool('nat66', ['eth0', 'add', 'fd00::/48', '2001:db8:7::/48']).status, 0);
    const seen = await captureEchoSource(
      wan,
      () => container.run(['ping', '-6', '-n', '-c', '1', '-W', '3', '-I', 'fd00:0:0:7::2', '2001:db8:ff::2']).status,
    );
    t.is(seen.source, nptMap('fd00:0:0:7::2', 'fd00::/48', '2001:db8:7::/48'), seen.line);
    t.is(seen.sendStatus, 0, 'the reply is translated back by DNPT and delivered locally');
  } finally {
    await Promise.all([container.close(), wan.close()]);
  }
});
