// lk in real throwaway namespaces: the /24 search skips a decoy, masquerade and port forwards carry real
// traffic from a wan namespace, unport stops the port, cleanup keeps the chains while another project runs,
// status names a rule deleted by hand, and the last cleanup leaves the tables as they were.
//   web (10.1.2.2) --lk-web--\
//                             host (lk; decoy 10.1.1.7/24; eth0 192.0.2.1) --- wan (192.0.2.2)
//   db  (10.1.3.2) --lk-db---/
import test from '../helpers/root-test.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { Netns, saved } from '../helpers/netns.js';

const SERVER = "require('net').createServer((s) => s.end(process.argv[1])).listen(80, () => console.log('ready'))";
const CLIENT =
  "const s = require('net').connect(8080, '192.0.2.1'); let d = ''; s.on('data', (b) => (d += b)); s.on('end', () => { console.log(d); process.exit(0); }); s.on('error', (e) => { console.log('error ' + e.code); process.exit(1); }); setTimeout(() => { console.log('timeout'); process.exit(1); }, 3000);";

// Starts a one-line TCP banner server on port 80 in a namespace and waits until it listens.
async function banner(ns: Netns, text: string): Promise<ChildProcess> {
  const [file, ...args] = ns.enter([process.execPath, '-e', SERVER, text]);
  const child = spawn(file ?? 'nsenter', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('banner server did not start within 5 s')), 5000);
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return child;
}

// Attaches a container namespace to a project's bridge with an address and a default route.
async function attach(host: Netns, c: Netns, project: string, ip: string, gw: string): Promise<void> {
  host.sh(
    `ip link add v-${project} type veth peer name eth0 netns ${c.pid}; ip link set v-${project} master lk-${project} up`,
  );
  c.sh(`ip addr add ${ip}/24 dev eth0; ip link set eth0 up; ip route add default via ${gw}`);
  await host.waitUp([`v-${project}`]);
  await c.waitUp(['eth0']);
}

test('lk net create skips a decoy on 10.1.1.0/24 and takes 10.1.2.0/24, then 10.1.3.0/24', async (t) => {
  const host = await Netns.create();
  try {
    host.sh('ip link add decoy0 type veth peer name decoy1; ip addr add 10.1.1.7/24 dev decoy0');
    const web = host.tool('lk', ['net', 'create', 'web']);
    t.is(web.status, 0, web.stderr);
    t.is(web.stdout, 'created lk-web 10.1.2.0/24 gateway 10.1.2.1\n');
    const addr = JSON.parse(host.run(['ip', '-j', 'addr', 'show', 'dev', 'lk-web']).stdout) as {
      addr_info: { family: string; local: string; prefixlen: number }[];
    }[];
    t.deepEqual(
      addr[0]?.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
      ['10.1.2.1/24'],
    );
    t.is(host.tool('lk', ['net', 'create', 'db']).stdout, 'created lk-db 10.1.3.0/24 gateway 10.1.3.1\n');
    // Again on an existing project: same subnet, nothing added.
    t.is(
      host.tool('lk', ['net', 'create', 'web']).stdout,
      'lk-web 10.1.2.0/24 gateway 10.1.2.1 exists; its rules are in place\n',
    );
    const rules = host.run(['iptables-save']).stdout;
    t.regex(rules, /^-A FORWARD -m comment --comment "lk:jump" -j LAB_FORWARD$/m);
    t.regex(rules, /^-A PREROUTING -m comment --comment "lk:jump" -j LAB_PREROUTING$/m);
    t.regex(
      rules,
      /^-A POSTROUTING -s 10\.1\.2\.0\/24 ! -d 10\.1\.2\.0\/24 -m comment --comment "lk:web:masq" -j MASQUERADE$/m,
    );
    t.regex(rules, /^-A LAB_FORWARD ! -i lk-db -o lk-db -m comment --comment "lk:db:in" -j ACCEPT$/m);
    t.is(rules.match(/-j LAB_FORWARD/g)?.length, 1, 'one jump, however many projects');
    t.regex(host.tool('lk', ['status']).stdout, /^drift: none$/m);
  } finally {
    await host.close();
  }
});

test('bad input exits 2 and changes nothing; a full range exits 3', async (t) => {
  const host = await Netns.create();
  try {
    host.sh('ip link add decoy0 type veth peer name decoy1; ip addr add 10.0.0.1/8 dev decoy0');
    const before = saved(host.run(['iptables-save']).stdout) + host.run(['ip', '-br', 'link']).stdout;
    const cases: [string[], RegExp][] = [
      [['net', 'create', 'thirteen-char'], /lk-thirteen-char would be 16 characters/],
      [['net', 'create', 'Web'], /PROJECT "Web" may hold only/],
      [['net', 'create'], /PROJECT is required/],
      [['net', 'destroy', 'web'], /unknown command "net destroy"/],
      [['port', 'web', '8080', '10.1.2.2:80'], /PROJECT "web" has no bridge lk-web here; run lk net create web first/],
      [['unport', 'web', 'nope'], /CONTAINER_IP "nope" is not an IPv4 address/],
      [['unport', 'web', '10.1.2.2'], /no port forward of project web to 10\.1\.2\.2 to remove/],
      [['cleanup', 'web'], /no project web here/],
      [['frob'], /unknown command "frob"/],
    ];
    for (const [args, re] of cases) {
      const r = host.tool('lk', args);
      t.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      t.regex(r.stderr, re, args.join(' '));
    }
    const full = host.tool('lk', ['net', 'create', 'web']);
    t.is(full.status, 3, full.stderr);
    t.regex(full.stderr, /no free \/24 between 10\.1\.1\.0 and 10\.255\.255\.0.*lk cleanup/);
    t.is(saved(host.run(['iptables-save']).stdout) + host.run(['ip', '-br', 'link']).stdout, before);
  } finally {
    await host.close();
  }
});

test('ports, unport, drift and cleanup with real traffic from wan; the last cleanup restores the tables', async (t) => {
  const [host, wan, web, db] = await Promise.all([Netns.create(), Netns.create(), Netns.create(), Netns.create()]);
  const servers: ChildProcess[] = [];
  try {
    host.sh(`
      ip link add decoy0 type veth peer name decoy1; ip addr add 10.1.1.7/24 dev decoy0
      ip link add eth0 type veth peer name eth0 netns ${wan.pid}
      ip addr add 192.0.2.1/24 dev eth0; ip link set eth0 up
      sysctl -qw net.ipv4.ip_forward=1
      iptables -A FORWARD -i nowhere0 -m comment --comment other-tool -j DROP
      iptables -t nat -A POSTROUTING -o nowhere0 -m comment --comment other-tool -j RETURN`);
    wan.sh('ip addr add 192.0.2.2/24 dev eth0; ip link set eth0 up');
    await host.waitUp(['eth0']);
    await wan.waitUp(['eth0']);
    const pristine = saved(host.run(['iptables-save']).stdout);

    t.is(host.tool('lk', ['net', 'create', 'web']).status, 0);
    t.is(host.tool('lk', ['net', 'create', 'db']).status, 0);
    await attach(host, web, 'web', '10.1.2.2', '10.1.2.1');
    await attach(host, db, 'db', '10.1.3.2', '10.1.3.1');
    const ping = (c: Netns): number => c.run(['ping', '-n', '-c', '1', '-W', '2', '192.0.2.2']).status;
    // wan has no route to 10.1.0.0/16: a reply proves the masquerade.
    t.is(ping(web), 0, 'web reaches wan through its masquerade');
    t.is(ping(db), 0, 'db reaches wan through its masquerade');

    servers.push(await banner(web, 'hello-from-web'));
    const fetch = (): string => wan.run([process.execPath, '-e', CLIENT]).stdout.trim();
    t.regex(fetch(), /^error ECONNREFUSED$/, 'no port forward yet');
    const port = host.tool('lk', ['port', 'web', '8080', '10.1.2.2:80']);
    t.is(port.status, 0, port.stderr);
    t.is(port.stdout, 'forwarded tcp 8080 -> 10.1.2.2:80 (lk:web:port:8080:10.1.2.2:80:tcp)\n');
    t.is(fetch(), 'hello-from-web', 'wan reaches web through host:8080');
    const taken = host.tool('lk', ['port', 'db', '8080', '10.1.3.2:80']);
    t.is(taken.status, 2);
    t.regex(taken.stderr, /HOSTPORT 8080\/tcp is already forwarded/);

    // The container stops: its port rules go, by comment, and the port no longer answers.
    const unport = host.tool('lk', ['unport', 'web', '10.1.2.2']);
    t.is(unport.stdout, 'removed 2 port rule(s) of web for 10.1.2.2\n');
    t.regex(fetch(), /^error ECONNREFUSED$/);
    t.notRegex(host.run(['iptables-save']).stdout, /lk:web:port/);

    // A rule deleted by hand is named by status; create puts it back.
    host.sh(
      'iptables -t nat -D POSTROUTING -s 10.1.3.0/24 ! -d 10.1.3.0/24 -m comment --comment lk:db:masq -j MASQUERADE',
    );
    const drifted = host.tool('lk', ['status']);
    t.is(drifted.status, 0);
    t.regex(
      drifted.stdout,
      /^drift:\n {2}db: masquerade rule missing: nat POSTROUTING -s 10\.1\.3\.0\/24 ! -d 10\.1\.3\.0\/24 .*lk:db:masq -j MASQUERADE$/m,
    );
    const json = JSON.parse(host.tool('lk', ['status', '--json']).stdout) as { drift: string[] };
    t.is(json.drift.length, 1);
    t.not(ping(db), 0, 'without its masquerade db cannot reach wan');
    t.is(
      host.tool('lk', ['net', 'create', 'db']).stdout,
      'lk-db 10.1.3.0/24 gateway 10.1.3.1 exists; put back 1 missing rule(s)\n',
    );
    t.regex(host.tool('lk', ['status']).stdout, /^drift: none$/m);

    // cleanup web: its rules and bridge go; the chains and jumps stay, and db's traffic still flows.
    const clean = host.tool('lk', ['cleanup', 'web']);
    t.is(clean.status, 0, clean.stderr);
    t.is(
      clean.stdout,
      'removed 3 rule(s) and bridge lk-web of web; kept LAB_FORWARD, LAB_PREROUTING and their jumps (still used by db)\n',
    );
    const after = host.run(['iptables-save']).stdout;
    t.notRegex(after, /lk:web:/);
    t.regex(after, /^:LAB_FORWARD /m);
    t.regex(after, /^:LAB_PREROUTING /m);
    t.regex(after, /-j LAB_FORWARD$/m);
    t.regex(after, /-j LAB_PREROUTING$/m);
    t.is(host.run(['ip', 'link', 'show', 'lk-web']).status, 1, 'bridge lk-web is gone');
    t.is(ping(db), 0, 'db still reaches wan');
    const status = host.tool('lk', ['status']).stdout;
    t.notRegex(status, /project web/);
    t.regex(status, /^drift: none$/m);

    // The last project: chains and jumps go too, and the tables are as before lk ran (other tools' rules kept).
    const last = host.tool('lk', ['cleanup', 'db']);
    t.regex(last.stdout, /removed LAB_FORWARD, LAB_PREROUTING and their jumps \(no project left\)/);
    t.is(saved(host.run(['iptables-save']).stdout), pristine);
  } finally {
    for (const s of servers) s.kill('SIGKILL');
    await Promise.all([host.close(), wan.close(), web.close(), db.close()]);
  }
});

test('lk --help documents drift and exit codes; without CAP_NET_ADMIN the kernel refuses (exit 1)', async (t) => {
  const host = await Netns.create();
  try {
    const help = host.tool('lk', ['--help']);
    t.is(help.status, 0);
    t.regex(help.stdout, /lk net create PROJECT/);
    t.regex(help.stdout, /half a pair is drift/);
    t.regex(help.stdout, /3 environment\s+\(no free \/24/);
    const r = host.tool('lk', ['net', 'create', 'web'], ['setpriv', '--inh-caps=-all', '--bounding-set=-all', '--']);
    t.is(r.status, 1, r.stderr);
    t.regex(r.stderr, /Permission denied|Operation not permitted/);
    t.is(host.run(['ip', 'link', 'show', 'lk-web']).status, 1, 'no bridge left behind');
  } finally {
    await host.close();
  }
});
