import { defineLab, hint, host, icmp, inspect, observe, on, ping, startContainer, WAN } from '../src/lab.js';

const C = 'mycontainer';
// Interfaces a new network namespace may not have: anything but lo and the fallback tunnel devices,
// which it gets where the ipip, gre, sit or ip6 tunnel modules are loaded.
const FOREIGN_LINK = /^\d+: (?!lo:|(?:tunl0|gre0|gretap0|erspan0|sit0|ip6tnl0|ip6gre0|ip_vti0|ip6_vti0)@)/;
// How many namespaces are mounted on the pinned file: `unshare --net=FILE` mounts another over it.
const ONE_MOUNT = `grep -c ' /run/netns/${C} ' /proc/self/mountinfo`;
const PTMX_HINT =
  '/dev/ptmx is mode 000: devpts was mounted without ptmxmode=0666, so only root gets a terminal (umount /dev/pts; mount -t devpts devpts /dev/pts -o gid=5,mode=620,ptmxmode=0666, in the container)';
const ONE_MOUNT_HINT = `two namespaces are mounted on /run/netns/${C}: the runbook's unshare --net=FILE made a new one over the one ip netns add made, which is now hidden and lost. Join a namespace with nsenter --net=FILE (start again: umount /run/netns/${C}; ip netns del ${C}; ip netns add ${C})`;

// The start of the container: the runbook's lines, but nsenter --net=FILE to join the namespace.
const CONTAINER_START = [
  startContainer(C),
  on(C, 'mount -t proc proc /proc'),
  on(C, 'mount -t sysfs sys /sys'),
  on(C, 'mount -t devtmpfs dev /dev', { expectFail: true, readOnly: true }),
  on(C, 'mount -t devpts devpts /dev/pts -o gid=5,mode=620,ptmxmode=0666'),
  on(C, `hostname ${C}`),
  host('lsns -t net', { readOnly: true }),
];

export default defineLab({
  id: '01-namespaces',
  title: 'A container is a process in its own namespaces',
  summary:
    'Create a network namespace, start a shell in new PID, mount, UTS, IPC and cgroup namespaces joined to it, and see what it can and cannot see.',
  topology: { containers: { [C]: { start: 'step' } } },
  steps: [
    {
      id: 'netns',
      title: 'Create a network namespace',
      explain:
        'lsns -t net lists the network namespaces that processes live in. `ip netns add` makes a new one and pins it ' +
        'to a file, /run/netns/mycontainer, so it exists without any process in it: one namespace mounted on that file. ' +
        'A new network namespace is nearly empty: a loopback interface, down. On a machine where the ipip, gre or sit ' +
        'modules are loaded it also gets their fallback devices, tunl0, gre0 and sit0, down and unused ' +
        '(net.core.fb_tunnels_only_for_init_net=0, the default); this sandbox loads none of them.',
      run: [
        host('lsns -t net', { readOnly: true }),
        host(`ip netns add ${C}`),
        host('ip netns list', { readOnly: true }),
      ],
      prediction: {
        question: 'What network interfaces does a brand-new network namespace have?',
        choices: ["a copy of the host's interfaces", 'only lo, the loopback, and it is down', 'none at all'],
        answer: 1,
        why: 'a new network namespace starts empty but for its own loopback interface, which is down until someone brings it up (and, where tunnel modules are loaded, their fallback devices tunl0, gre0, sit0).',
      },
      mistakes: [
        {
          run: [host('ip netns add mycontainer2')],
          hint: /ip netns add mycontainer/,
          why: 'another name: the lab and the runbook look for mycontainer',
        },
        {
          run: [host(`ip netns add ${C}`), host(`unshare --net=/run/netns/${C} true`)],
          hint: /mounted on .*unshare --net=FILE/,
          why: "the runbook's unshare --net=FILE, early: a second namespace mounted over the first",
        },
        {
          run: [host(`mkdir -p /run/netns && touch /run/netns/${C}`)],
          // Either look may fail first: ip netns list may or may not list a name that is no namespace.
          hint: /cannot be entered|no namespace named/,
          why: 'a plain file where the namespace should be pinned',
        },
      ],
      check: inspect()
        .look('host', 'ip netns list', {
          match: new RegExp(`^${C}\\b`),
          why: 'the namespace is pinned by name',
          hints: [hint.failed(`no namespace named ${C}: ip netns add ${C}`)],
        })
        .look('host', `ip -n ${C} -o link`, {
          match: /^1: lo:/,
          noMatch: FOREIGN_LINK,
          why: 'only a loopback interface (and the fallback tunnel devices, where their modules are loaded)',
          hints: [
            hint.failed(
              `the namespace has more than lo, or cannot be entered: it must be new and empty (ip netns del ${C}; ip netns add ${C})`,
            ),
          ],
        })
        .look('host', ONE_MOUNT, {
          match: /^1$/,
          why: 'exactly one namespace is mounted on the file',
          hints: [hint.failed(ONE_MOUNT_HINT)],
        }),
    },
    {
      id: 'unshare',
      title: 'Start the container: a shell in new namespaces',
      explain:
        "unshare starts a shell in new PID, mount, UTS, IPC and cgroup namespaces, chrooted into the container's root " +
        'filesystem (a Debian built with debootstrap, here an overlay of the cached one). The runbook writes ' +
        '`unshare --net=/var/run/netns/mycontainer`, but that does not join the namespace: it makes another one and ' +
        'mounts it over the file, hiding the one step 1 made. nsenter --net=FILE joins it. Inside, the shell mounts its own /proc, /sys and ' +
        'devpts and takes a hostname. It is PID 1, sees only its own processes, has only lo, and cannot reach anything. ' +
        "unshare is given no --user: the container shares the sandbox's user namespace with host and wan, whose root is an " +
        "unprivileged id range outside. The runbook also mounts devtmpfs on /dev: run by the machine's real root, that would hand " +
        'the container the real disks (mount /dev/vda and it is yours). Here the kernel refuses, because devtmpfs may only be ' +
        "mounted from the machine's first user namespace. Real runtimes (Docker, Podman, LXC) do what this sandbox did before the " +
        'shell started: a small tmpfs /dev with null, zero, full, random, urandom and tty, pts, ptmx and shm, and no disk. runc ' +
        'running as root creates those device nodes with mknod; a rootless runtime, like this sandbox, may not, and bind-mounts ' +
        'them from the real /dev. devpts needs ptmxmode=0666, as runc and this sandbox mount it: without it /dev/ptmx is mode 000 ' +
        'and nobody but root gets a terminal.',
      run: CONTAINER_START,
      prediction: {
        question: "Inside the new PID namespace, which PID does the container's shell have?",
        choices: ['the same PID as on the host', '1', 'none: it is not a process'],
        answer: 1,
        why: 'the first process of a new PID namespace is its PID 1; the host still sees it under another PID.',
      },
      mistakes: [
        {
          run: [host(`unshare --net=/run/netns/${C} true`), ...CONTAINER_START],
          hint: /mounted on .*unshare --net=FILE/,
          why: "the runbook's unshare --net=FILE before the start: the container lands in a second namespace",
        },
        {
          run: CONTAINER_START.filter((c) => !c.cmd.startsWith('mount -t proc')),
          hint: /mount -t proc proc \/proc/,
          why: 'no /proc of its own',
        },
        {
          run: CONTAINER_START.map((c) =>
            c.cmd.startsWith('mount -t devpts') ? on(C, 'mount -t devpts devpts /dev/pts -o gid=5,mode=620') : c,
          ),
          hint: /ptmxmode=0666/,
          why: "the runbook's devpts line, without ptmxmode",
        },
        {
          run: CONTAINER_START.filter((c) => !c.cmd.startsWith('hostname')),
          hint: /hostname mycontainer/,
          why: 'no hostname of its own',
        },
      ],
      check: observe(['host:eth0'], ping(C, WAN.dns, { expectFail: true }))
        .expectNone('host:eth0', icmp.echoRequest(), { why: "nothing from the container reaches the host's uplink" })
        .look(C, 'ps -o pid=,comm= -p 1', {
          match: /^\s*1 sh$/,
          why: "the container's shell is PID 1",
          hints: [
            hint.failed(
              'the shell is not PID 1 of its own PID namespace: was it started with unshare --pid --fork, and is /proc its own (mount -t proc proc /proc inside)?',
            ),
          ],
        })
        .look(C, 'ps -e -o comm=', {
          noMatch: /^node$/,
          why: "it sees only its own processes, not the sandbox's web server",
          hints: [
            hint.failed(
              "the container sees the host's processes: its /proc is the host's; mount -t proc proc /proc inside the container",
            ),
          ],
        })
        .look('host', 'ps -e -o args=', {
          match: /^sleep 86400$/,
          why: "the host sees the container's processes, under other PIDs",
        })
        .look(C, 'cat /proc/mounts', { match: /^sys \/sys sysfs /, why: 'its own /sys' })
        .look(C, 'cat /proc/mounts', {
          match: /^\S+ \/dev tmpfs /,
          noMatch: /^\S+ \/dev devtmpfs /,
          why: "a /dev of its own, not the real machine's devtmpfs",
        })
        .look(C, 'ls -A /dev', {
          match: /^urandom$/,
          noMatch: /^(?!(?:null|zero|full|random|urandom|tty|pts|ptmx|shm)$)/,
          why: 'only the harmless devices: no disk, no memory',
        })
        .look(C, 'cat /proc/mounts', {
          match: /^devpts \/dev\/pts devpts .*gid=\d+,mode=620,ptmxmode=666/,
          why: 'and terminals, owned by group tty (5 inside; the kernel prints its id outside), that anyone may open',
          hints: [hint.failed(PTMX_HINT)],
        })
        .look(C, 'ls -l /dev/pts/ptmx', {
          match: /^crw-rw-rw- /,
          why: '/dev/ptmx (a link to pts/ptmx) opens for every user',
          hints: [hint.failed(PTMX_HINT)],
        })
        .look(C, 'hostname', {
          match: new RegExp(`^${C}$`),
          why: 'its own hostname',
          hints: [
            hint.failed(
              `the container has another hostname: hostname ${C} (inside the container, whose UTS namespace is its own)`,
            ),
          ],
        })
        .look(C, 'ip -o link', { match: /^1: lo:/, noMatch: /^\d+: (?!lo:)/, why: 'its network namespace has only lo' })
        .look('host', 'lsns -t net -o NS,NSFS,COMMAND', {
          match: new RegExp(`/run/netns/${C}\\s+unshare `),
          why: 'lsns now lists a process in the namespace: the container',
        })
        .look('host', ONE_MOUNT, {
          match: /^1$/,
          why: 'and it is the namespace step 1 made: nothing is mounted over it',
          hints: [hint.failed(ONE_MOUNT_HINT)],
        }),
    },
  ],
});
