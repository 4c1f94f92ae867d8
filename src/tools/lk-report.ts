// lk status: what the kernel has for each project, compared with what it must have (drift). Pure.
import { formatCidr4 } from './ipv4.js';
import {
  bridgeOf,
  FORWARD_CHAIN,
  hasJump,
  lkRules,
  netRuleSpecs,
  PREROUTING_CHAIN,
  type Bridge,
  type LkRule,
  type PortSpec,
  type Tables,
} from './lk-model.js';
import { optionValue } from './saved-rules.js';

export interface ProjectReport {
  project: string;
  bridge: Bridge | undefined;
  rules: LkRule[];
  ports: (PortSpec & { dnat: boolean; accept: boolean })[];
}

export interface Report {
  chains: { filter: boolean; nat: boolean; forwardJump: boolean; preroutingJump: boolean };
  projects: ProjectReport[];
  drift: string[];
}

// Compares what the kernel has with what it must have. Expected, without a file of truth: a project whose
// bridge lk-P exists must have its masquerade and two forward rules, the chains and the jumps into them; a
// port forward is a DNAT + ACCEPT pair, so half a pair is drift; rules of a project without a bridge are stale.
export function report(bridges: readonly Bridge[], t: Tables): Report {
  const rules = lkRules(t);
  const names = [...new Set([...bridges.map((b) => b.project), ...rules.map((r) => r.project)])].sort();
  const drift: string[] = [];
  const chains = {
    filter: t.filter.chains.includes(FORWARD_CHAIN),
    nat: t.nat.chains.includes(PREROUTING_CHAIN),
    forwardJump: hasJump(t.filter, 'FORWARD', FORWARD_CHAIN),
    preroutingJump: hasJump(t.nat, 'PREROUTING', PREROUTING_CHAIN),
  };
  if (names.length) {
    if (!chains.filter) drift.push(`chain ${FORWARD_CHAIN} is missing from the filter table`);
    else if (!chains.forwardJump)
      drift.push(`the jump from FORWARD to ${FORWARD_CHAIN} is missing (filter FORWARD -j ${FORWARD_CHAIN})`);
    if (!chains.nat) drift.push(`chain ${PREROUTING_CHAIN} is missing from the nat table`);
    else if (!chains.preroutingJump)
      drift.push(`the jump from PREROUTING to ${PREROUTING_CHAIN} is missing (nat PREROUTING -j ${PREROUTING_CHAIN})`);
  }
  const projects = names.map((project): ProjectReport => {
    const bridge = bridges.find((b) => b.project === project);
    const mine = rules.filter((r) => r.project === project);
    if (bridge) {
      const subnet = bridge.subnets[0];
      if (!subnet) drift.push(`${project}: bridge ${bridge.name} has no IPv4 address`);
      else {
        for (const e of netRuleSpecs(project, subnet)) {
          const found = mine.find((r) => r.role === e.role && r.rule.table === e.table && r.rule.chain === e.chain);
          const what = {
            masq: 'masquerade rule',
            out: 'forward rule (out of the bridge)',
            in: 'forward rule (into the bridge)',
            port: '',
          }[e.role];
          if (!found) drift.push(`${project}: ${what} missing: ${e.table} ${e.chain} ${e.spec}`);
          else if (e.role === 'masq' && optionValue(found.rule.args, '-s') !== formatCidr4(subnet)) {
            drift.push(
              `${project}: masquerade rule is for ${optionValue(found.rule.args, '-s') ?? 'any source'} but ${bridge.name} has ${formatCidr4(subnet)}`,
            );
          } else if (e.role !== 'masq' && optionValue(found.rule.args, e.role === 'in' ? '-o' : '-i') !== bridge.name) {
            drift.push(`${project}: ${what} does not name ${bridge.name}: ${found.rule.line}`);
          }
        }
      }
      if (!bridge.up) drift.push(`${project}: bridge ${bridge.name} is down`);
    } else {
      drift.push(
        `${project}: ${mine.length} rule(s) left without a bridge ${bridgeOf(project)} (stale; remove them with lk cleanup ${project})`,
      );
    }
    const ports = new Map<string, PortSpec & { dnat: boolean; accept: boolean }>();
    for (const r of mine.filter((x) => x.role === 'port' && x.port)) {
      const key = r.rule.comment ?? '';
      const entry = ports.get(key) ?? { ...(r.port as PortSpec), dnat: false, accept: false };
      const target = optionValue(r.rule.args, '-j');
      if (r.rule.table === 'nat' && r.rule.chain === PREROUTING_CHAIN && target === 'DNAT') entry.dnat = true;
      if (r.rule.table === 'filter' && r.rule.chain === FORWARD_CHAIN && target === 'ACCEPT') entry.accept = true;
      ports.set(key, entry);
    }
    for (const p of ports.values()) {
      const desc = `port ${p.proto} ${p.hostPort} -> ${p.ip}:${p.port}`;
      if (!p.dnat) drift.push(`${project}: ${desc} has its ACCEPT but its DNAT is missing (nat ${PREROUTING_CHAIN})`);
      if (!p.accept) drift.push(`${project}: ${desc} has its DNAT but its ACCEPT is missing (filter ${FORWARD_CHAIN})`);
    }
    return { project, bridge, rules: mine, ports: [...ports.values()] };
  });
  return { chains, projects, drift };
}

// The report as lines for a terminal: chains, then each project with its bridge and rules, then drift.
export function formatReport(r: Report): string {
  const lines: string[] = [];
  const jump = (ok: boolean, from: string): string => (ok ? `jumped to from ${from}` : `no jump from ${from}`);
  lines.push(
    `chains: filter ${FORWARD_CHAIN} ${r.chains.filter ? jump(r.chains.forwardJump, 'FORWARD') : 'missing'}; nat ${PREROUTING_CHAIN} ${r.chains.nat ? jump(r.chains.preroutingJump, 'PREROUTING') : 'missing'}`,
  );
  if (r.projects.length === 0) lines.push('no projects');
  for (const p of r.projects) {
    const b = p.bridge;
    lines.push(
      b
        ? `project ${p.project}: bridge ${b.name} ${b.subnets.map(formatCidr4).join(', ') || 'no address'}${b.gateway ? ` gateway ${b.gateway}` : ''} ${b.up ? 'up' : 'down'}`
        : `project ${p.project}: no bridge`,
    );
    for (const x of p.rules) lines.push(`  ${x.rule.table} ${x.rule.line.replace(/^-A /, '')}`);
    for (const x of p.ports)
      lines.push(
        `  port ${x.proto} ${x.hostPort} -> ${x.ip}:${x.port} (${[x.dnat ? 'DNAT' : '', x.accept ? 'ACCEPT' : ''].filter(Boolean).join(' + ') || 'none'})`,
      );
  }
  if (r.drift.length === 0) lines.push('drift: none');
  else lines.push('drift:', ...r.drift.map((d) => `  ${d}`));
  return `${lines.join('\n')}\n`;
}
