import { defineLab, hint, host, icmp, inspect, observe, on, ping, startContainer, WAN } from '../src/lab.js';

const C = 'mycontainer';

export default defineLab({
  id: '01-namespaces',
  title: 'A container is a process in its own namespaces',
  summary: 'Create a network namespace, start a shell in new PID, mount, UTS, IPC and cgroup namespaces joined to it, and see what it can and cannot see.',
  topology: { containers: { [C]: { start: 'step' } } },
  steps: [
    {
      id: 'netns',
      title: 'Create a network namespace',
      explain:
        'lsns -t net lists the network namespaces that processes live in. `ip netns add` makes a new one and pins it ' +
        'to a file, /run/netns/mycontainer, so it exists without any process in it. A new network namespace is ' +
        'empty: a loopback interface, down, and nothing else.',
      run: [host('lsns -t net', { readOnly: true }), host(`ip netns add ${C}`), host('ip netns list', { readOnly: true })],
      prediction: {
        question: 'What network interfaces does a brand-new network namespace have?',
        choices: ['a copy of the host\'s interfaces', 'only lo, the loopback, and it is down', 'none at all'],
        answer: 1,
        why: 'a new network namespace starts empty but for its own loopback interface, which is down until someone brings it up.',
      },
      check: inspect()
        .look('host', 'ip netns list', { match: new RegExp(`^${C}\\b`), why: 'the namespace is pinned by name', hints: [hint.failed(`no namespace named ${C}: ip netns add ${C}`)] })
        .look('host', `ip -n ${C} -o link`, { match: /^1: lo:/, noMatch: /^\d+: (?!lo:)/, why: 'only a loopback interface', hints: [hint.failed(`the namespace has more than lo, or cannot be entered: it must be new and empty (ip netns del ${C}; ip netns add ${C})`)] }),
    },
    {
      id: 'unshare',
      title: 'Start the container: a shell in new namespaces',
      explain:
        'unshare starts a shell in new PID, mount, UTS, IPC and cgroup namespaces, chrooted into the container\'s root ' +
        'filesystem (a Debian built with debootstrap, here an overlay of the cached one). The runbook writes ' +
        '`unshare --net=/var/run/netns/mycontainer`, but that does not join the namespace: it makes another one and ' +
        'mounts it over the file. nsenter --net=FILE joins it. Inside, the shell mounts its own /proc, /sys and ' +
        'devpts and takes a hostname. It is PID 1, sees only its own processes, has only lo, and cannot reach anything. ' +
        'The runbook also mounts devtmpfs on /dev: that would hand the container the real machine\'s disks (mount /dev/vda ' +
        'and it is yours). Here the container is root only in its own user namespace, mapped to an unprivileged id range ' +
        'outside, so the kernel refuses: devtmpfs belongs to the real root. Real runtimes (Docker, Podman, LXC) do what ' +
        'this sandbox did before the shell started: a small tmpfs /dev with null, zero, full, random, urandom and tty ' +
        'bound in, pts, ptmx and shm, and no disk.',
      run: [
        startContainer(C),
        on(C, 'mount -t proc proc /proc'),
        on(C, 'mount -t sysfs sys /sys'),
        on(C, 'mount -t devtmpfs dev /dev', { expectFail: true, readOnly: true }),
        on(C, 'mount -t devpts devpts /dev/pts -o gid=5,mode=620'),
        on(C, `hostname ${C}`),
        host('lsns -t net', { readOnly: true }),
      ],
      prediction: {
        question: 'Inside the new PID namespace, which PID does the container\'s shell have?',
        choices: ['the same PID as on the host', '1', 'none: it is not a process'],
        answer: 1,
        why: 'the first process of a new PID namespace is its PID 1; the host still sees it under another PID.',
      },
      check: observe(['host:eth0'], ping(C, WAN.dns, { expectFail: true }))
        .expectNone('host:eth0', icmp.echoRequest(), { why: 'nothing from the container reaches the host\'s uplink' })
        .look(C, 'ps -o pid=,comm= -p 1', { match: /^\s*1 sh$/, why: 'the container\'s shell is PID 1', hints: [hint.failed('the shell is not PID 1 of its own PID namespace: was it started with unshare --pid --fork, and is /proc its own (mount -t proc proc /proc inside)?')] })
        .look(C, 'ps -e -o comm=', { noMatch: /^node$/, why: 'it sees only its own processes, not the sandbox\'s web server', hints: [hint.failed('the container sees the host\'s processes: its /proc is the host\'s; mount -t proc proc /proc inside the container')] })
        .look('host', 'ps -e -o args=', { match: /^sleep 86400$/, why: 'the host sees the container\'s processes, under other PIDs' })
        .look(C, 'cat /proc/mounts', { match: /^sys \/sys sysfs /, why: 'its own /sys' })
        .look(C, 'cat /proc/mounts', { match: /^\S+ \/dev tmpfs /, noMatch: /^\S+ \/dev devtmpfs /, why: 'a /dev of its own, not the real machine\'s devtmpfs' })
        .look(C, 'ls -A /dev', { match: /^urandom$/, noMatch: /^(?!(?:null|zero|full|random|urandom|tty|pts|ptmx|shm)$)/, why: 'only the harmless devices: no disk, no memory' })
        .look(C, 'cat /proc/mounts', { match: /^devpts \/dev\/pts devpts .*gid=\d+,mode=620/, why: 'and terminals, owned by group tty (5 inside; the kernel prints its id outside)' })
        .look(C, 'hostname', { match: new RegExp(`^${C}$`), why: 'its own hostname', hints: [hint.failed(`the container has another hostname: hostname ${C} (inside the container, whose UTS namespace is its own)`)] })
        .look(C, 'ip -o link', { match: /^1: lo:/, noMatch: /^\d+: (?!lo:)/, why: 'its network namespace has only lo' })
        .look('host', 'lsns -t net -o NS,NSFS,COMMAND', { match: new RegExp(`/run/netns/${C}\\s+unshare `), why: 'lsns now lists a process in the namespace: the container' }),
    },
  ],
});
