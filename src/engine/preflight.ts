// Refuses to start when the machine cannot run a lab, before anything is created.
import { pcapBindingProblem } from '../capture/binding.js';
import { EnvironmentError, UsageError } from '../errors.js';
import { syscallNumbers } from '../sys/syscalls.js';
import { requireTools } from '../sys/tools.js';
import type { LabDef } from '../model/lab.js';
import { PROBES } from '../model/probes.js';

export interface RunSelection {
  skip: string[];
  until?: string;
}

// Every --skip and --until must name a step of the lab.
export function checkSelection(lab: LabDef, sel: RunSelection): void {
  const ids = lab.steps.map((s) => s.id);
  for (const [flag, id] of [
    ...sel.skip.map((s) => ['--skip', s] as const),
    ...(sel.until ? [['--until', sel.until] as const] : []),
  ]) {
    if (!ids.includes(id))
      throw new UsageError(
        'UNKNOWN_STEP',
        `${flag} ${id}: lab ${lab.id} has no step "${id}"`,
        `its steps are: ${ids.join(', ')}`,
      );
  }
}

// Root, the system tools, and a working libpcap binding.
export function checkEnvironment(lab: LabDef): void {
  if (process.getuid?.() !== 0) {
    throw new EnvironmentError(
      'NO_PRIVILEGE',
      'labs create network namespaces, which needs root',
      'run it as root: sudo ./lab run ' + lab.id,
    );
  }
  syscallNumbers(); // the sandbox's Perl knows the system calls of x86_64 and aarch64 only
  // setpriv and flock hold a sandbox slot; perl gives containers an idmapped root (sandbox/userns.ts)
  // and runs each node's commands (sys/agent.ts).
  const tools = new Set(['ip', 'unshare', 'nsenter', 'sysctl', 'mount', 'setpriv', 'flock', 'perl']);
  for (const s of lab.steps) {
    for (const p of s.check?.probes ?? []) tools.add(PROBES[p.kind].tool);
    for (const c of s.run) {
      const tool = c.cmd.trim().split(/\s+/)[0] ?? '';
      if (['iptables', 'ip6tables', 'nft', 'conntrack'].includes(tool)) tools.add(tool);
    }
  }
  for (const t of lab.tools ?? []) tools.add(t);
  requireTools([...tools]);
  const pcap = pcapBindingProblem();
  if (pcap)
    throw new EnvironmentError(
      'PCAP_MISSING',
      pcap,
      'apt-get install -y libpcap-dev && npm rebuild pcap   (./lab does both)',
    );
}
