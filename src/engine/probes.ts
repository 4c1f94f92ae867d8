// Probe traffic as the real tools a student would use, made fast and bounded in time.
import type { Probe } from '../check/types.js';

export interface ProbeCommand {
  node: string;
  argv: string[];
  display: string;
  timeoutMs: number;
}

// The command that sends a probe; its exit code is recorded, but only the packets are judged.
export function probeCommand(p: Probe): ProbeCommand {
  switch (p.kind) {
    case 'ping': {
      // 5 ms apart instead of ping's 1 s. A reply inside a sandbox takes well under a millisecond, so a
      // ping the lab says gets none waits 0.1 s after its last request; one that must be answered waits
      // up to 1 s (it ends as soon as the replies are in).
      // Sizes are ping's own: -s payload bytes, -M do (don't fragment), -p a payload pattern in hex.
      const sized = [
        ...(p.size !== undefined ? ['-s', String(p.size)] : []),
        ...(p.df ? ['-M', 'do'] : []),
        ...(p.pattern !== undefined ? ['-p', p.pattern] : []),
      ];
      const argv = [
        'ping',
        ...(p.ipv6 ? ['-6'] : []),
        '-n',
        '-q',
        '-c',
        String(p.count),
        '-i',
        '0.005',
        '-W',
        p.expectFail ? '0.1' : '1',
        ...sized,
        ...(p.src ? ['-I', p.src] : []),
        p.to,
      ];
      return { node: p.from, argv, display: argv.join(' '), timeoutMs: 5_000 };
    }
    case 'tcp': {
      // A read (-d: nothing sent) keeps what the server says until it closes, or 2 s of silence.
      const argv = [
        'nc',
        ...(p.read ? ['-d', '-w', '2'] : ['-z', '-w', '1']),
        ...(p.src ? ['-s', p.src] : []),
        p.to,
        String(p.port),
      ];
      return { node: p.from, argv, display: argv.join(' '), timeoutMs: 5_000 };
    }
    case 'http': {
      const src = p.src ? ['--interface', p.src] : [];
      const argv = ['curl', '-sS', '-m', '2', ...src, '-o', '/dev/null', '-w', '%{http_code}\\n', p.url];
      return {
        node: p.from,
        argv,
        display: `curl -sS -m 2 ${src.join(' ')}${src.length ? ' ' : ''}-o /dev/null -w '%{http_code}\\n' ${p.url}`,
        timeoutMs: 5_000,
      };
    }
    case 'udp': {
      const line = `printf %s '${p.payload.replace(/'/g, '')}' | nc -u -w 1 -q 0 ${p.src ? `-s ${p.src} ` : ''}${p.to} ${p.port}`;
      return { node: p.from, argv: ['sh', '-c', line], display: line, timeoutMs: 5_000 };
    }
  }
}
