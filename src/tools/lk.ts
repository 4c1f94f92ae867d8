#!/usr/bin/env node
// lk: a per-project network manager in the manner of Locker: bridge lk-PROJECT on a free /24, masquerade,
// port forwards in its own chains, every rule commented with its project, and a status read from the kernel.
import { run, runOk } from './exec.js';
import { lkBridges, parseIpJson, usedSubnets } from './ip-json.js';
import { firstFree24, formatCidr4, formatIpv4, parseIpv4 } from './ipv4.js';
import {
  baseLines,
  bridgeOf,
  commentOf,
  FORWARD_CHAIN,
  lkRules,
  netRuleSpecs,
  parsePort,
  portRuleSpecs,
  PREROUTING_CHAIN,
  restoreText,
  validateProject,
  type Bridge,
  type Tables,
} from './lk-model.js';
import { formatReport, report } from './lk-report.js';
import { LK_HELP as HELP } from './lk-help.js';
import { deleteLine, optionValue, parseSave, type SavedTable } from './saved-rules.js';
import { runTool, TOOL_EXIT, ToolError, usageError } from './tool-error.js';

interface State {
  bridges: Bridge[];
  links: ReturnType<typeof parseIpJson>;
  tables: Tables;
}

// Reads one iptables table (an absent table is an empty one).
function readTable(table: 'filter' | 'nat'): SavedTable {
  return parseSave(runOk('iptables-save', ['-t', table])).get(table) ?? { chains: [], rules: [] };
}

// Reads interfaces, bridges and both tables from the kernel.
function readState(): State {
  const links = parseIpJson(runOk('ip', ['-j', 'addr', 'show']));
  const bridgeNames = new Set(parseIpJson(runOk('ip', ['-j', 'link', 'show', 'type', 'bridge'])).map((l) => l.ifname));
  return {
    links,
    bridges: lkBridges(links, bridgeNames),
    tables: { filter: readTable('filter'), nat: readTable('nat') },
  };
}

// Applies an iptables-restore --noflush input; a refusal is exit 1 with iptables-restore's message.
function restore(text: string): void {
  if (text) runOk('iptables-restore', ['-w', '5', '--noflush'], text);
}

// The project's bridge, or a usage error naming the command that makes it.
function requireBridge(s: State, project: string): Bridge & { subnet: NonNullable<Bridge['subnets'][0]> } {
  const b = s.bridges.find((x) => x.project === project);
  const subnet = b?.subnets[0];
  if (!b)
    throw usageError(
      `PROJECT "${project}" has no bridge ${bridgeOf(project)} here; run lk net create ${project} first`,
    );
  if (!subnet) throw usageError(`bridge ${b.name} has no IPv4 address; run lk cleanup ${project} and create it again`);
  return { ...b, subnet };
}

// lk net create PROJECT.
function create(project: string): number {
  const s = readState();
  const existing = s.bridges.find((b) => b.project === project);
  let subnet = existing?.subnets[0];
  let made = false;
  if (existing && !subnet)
    throw usageError(`bridge ${existing.name} exists without an IPv4 address; run lk cleanup ${project} first`);
  if (!subnet) {
    subnet = firstFree24(usedSubnets(s.links));
    if (!subnet)
      throw new ToolError(
        TOOL_EXIT.environment,
        'no free /24 between 10.1.1.0 and 10.255.255.0: every one overlaps a subnet on an interface here; remove a project with lk cleanup PROJECT',
      );
    const br = bridgeOf(project);
    runOk('ip', ['link', 'add', br, 'type', 'bridge']);
    made = true;
    try {
      runOk('ip', ['addr', 'add', `${formatIpv4(subnet.net + 1)}/24`, 'dev', br]);
      runOk('ip', ['link', 'set', br, 'up']);
    } catch (err) {
      run('ip', ['link', 'del', br]);
      throw err;
    }
  }
  const lines = baseLines(s.tables);
  const have = lkRules(s.tables).filter((r) => r.project === project);
  let missing = 0;
  for (const e of netRuleSpecs(project, subnet)) {
    if (have.some((r) => r.role === e.role && r.rule.table === e.table && r.rule.chain === e.chain)) continue;
    lines[e.table].push(`-A ${e.chain} ${e.spec}`);
    missing++;
  }
  try {
    restore(restoreText(lines));
  } catch (err) {
    if (made) run('ip', ['link', 'del', bridgeOf(project)]);
    throw err;
  }
  const where = `${bridgeOf(project)} ${formatCidr4(subnet)} gateway ${formatIpv4(subnet.net + 1)}`;
  process.stdout.write(
    made
      ? `created ${where}\n`
      : `${where} exists; ${missing ? `put back ${missing} missing rule(s)` : 'its rules are in place'}\n`,
  );
  return TOOL_EXIT.ok;
}

// lk port PROJECT HOSTPORT[/proto] IP:PORT.
function port(project: string, hostText: string | undefined, target: string | undefined): number {
  const s = readState();
  const b = requireBridge(s, project);
  const p = parsePort(hostText, target, b.subnet);
  const clash = lkRules(s.tables).find((r) => r.port && r.port.hostPort === p.hostPort && r.port.proto === p.proto);
  if (clash)
    throw usageError(
      `HOSTPORT ${p.hostPort}/${p.proto} is already forwarded (${clash.rule.comment}); remove it with lk unport ${clash.project} ${clash.port?.ip}`,
    );
  const lines = baseLines(s.tables);
  const spec = portRuleSpecs(project, p);
  lines.nat.push(`-A ${PREROUTING_CHAIN} ${spec.nat}`);
  lines.filter.push(`-A ${FORWARD_CHAIN} ${spec.filter}`);
  restore(restoreText(lines));
  process.stdout.write(`forwarded ${p.proto} ${p.hostPort} -> ${p.ip}:${p.port} (${commentOf(project, 'port', p)})\n`);
  return TOOL_EXIT.ok;
}

// lk unport PROJECT CONTAINER_IP.
function unport(project: string, ip: string | undefined): number {
  if (ip === undefined) throw usageError('CONTAINER_IP is required: lk unport PROJECT CONTAINER_IP');
  if (parseIpv4(ip) === undefined) throw usageError(`CONTAINER_IP "${ip}" is not an IPv4 address`);
  const s = readState();
  const mine = lkRules(s.tables).filter((r) => r.project === project && r.role === 'port' && r.port?.ip === ip);
  if (!mine.length) throw usageError(`no port forward of project ${project} to ${ip} to remove`);
  const lines = { filter: [] as string[], nat: [] as string[] };
  for (const r of mine) lines[r.rule.table as 'filter' | 'nat'].push(deleteLine(r.rule));
  restore(restoreText(lines));
  process.stdout.write(`removed ${mine.length} port rule(s) of ${project} for ${ip}\n`);
  return TOOL_EXIT.ok;
}

// lk cleanup PROJECT.
function cleanup(project: string): number {
  const s = readState();
  const all = lkRules(s.tables);
  const mine = all.filter((r) => r.project === project);
  const bridge = s.bridges.find((b) => b.project === project);
  if (!mine.length && !bridge)
    throw usageError(
      `no project ${project} here: no bridge ${bridgeOf(project)} and no rule commented lk:${project}:...`,
    );
  const lines = { filter: [] as string[], nat: [] as string[] };
  for (const r of mine) lines[r.rule.table as 'filter' | 'nat'].push(deleteLine(r.rule));
  const others = [...new Set([...s.bridges.map((b) => b.project), ...all.map((r) => r.project)])].filter(
    (p) => p !== project,
  );
  let chains = `kept ${FORWARD_CHAIN}, ${PREROUTING_CHAIN} and their jumps (still used by ${others.join(', ')})`;
  if (others.length === 0) {
    chains = `removed ${FORWARD_CHAIN}, ${PREROUTING_CHAIN} and their jumps (no project left)`;
    const mineRules = new Set(mine.map((r) => r.rule));
    for (const [table, from, to] of [
      ['filter', 'FORWARD', FORWARD_CHAIN],
      ['nat', 'PREROUTING', PREROUTING_CHAIN],
    ] as const) {
      const t = s.tables[table];
      const foreign = t.rules.filter((x) => x.chain === to && !mineRules.has(x));
      if (foreign.length) {
        chains = `kept ${to} and its jump: it holds ${foreign.length} rule(s) lk did not write`;
        continue;
      }
      for (const r of t.rules.filter((x) => x.chain === from && optionValue(x.args, '-j') === to))
        lines[table].push(deleteLine(r));
      if (t.chains.includes(to)) lines[table].push(`-X ${to}`);
    }
  }
  restore(restoreText(lines));
  if (bridge) runOk('ip', ['link', 'del', bridge.name]);
  process.stdout.write(
    `removed ${mine.length} rule(s)${bridge ? ` and bridge ${bridge.name}` : ''} of ${project}; ${chains}\n`,
  );
  return TOOL_EXIT.ok;
}

// lk status [--json].
function status(args: string[]): number {
  const extra = args.filter((a) => a !== '--json');
  if (extra.length) throw usageError(`status takes no argument but --json (got "${extra.join(' ')}")`);
  const s = readState();
  const r = report(s.bridges, s.tables);
  if (args.includes('--json')) {
    const json = {
      chains: r.chains,
      projects: r.projects.map((p) => ({
        project: p.project,
        bridge: p.bridge
          ? {
              name: p.bridge.name,
              subnets: p.bridge.subnets.map(formatCidr4),
              gateway: p.bridge.gateway,
              up: p.bridge.up,
            }
          : null,
        rules: p.rules.map((x) => ({
          table: x.rule.table,
          chain: x.rule.chain,
          role: x.role,
          comment: x.rule.comment,
          line: x.rule.line,
        })),
        ports: p.ports,
      })),
      drift: r.drift,
    };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    process.stdout.write(formatReport(r));
  }
  return TOOL_EXIT.ok;
}

// Dispatches the command line.
function main(argv: string[]): number {
  const [cmd, ...rest] = argv;
  const maxArgs = (n: number): void => {
    if (rest.length > n) throw usageError(`too many arguments: "${rest.slice(n).join(' ')}" (see lk --help)`);
  };
  switch (cmd) {
    case undefined:
      process.stderr.write(HELP);
      return TOOL_EXIT.usage;
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(HELP);
      return TOOL_EXIT.ok;
    case 'net':
      if (rest[0] !== 'create')
        throw usageError(`unknown command "net ${rest[0] ?? ''}" (expected lk net create PROJECT)`);
      if (rest.length > 2) throw usageError(`too many arguments: "${rest.slice(2).join(' ')}"`);
      return create(validateProject(rest[1]));
    case 'port':
      maxArgs(3);
      return port(validateProject(rest[0]), rest[1], rest[2]);
    case 'unport':
      maxArgs(2);
      return unport(validateProject(rest[0]), rest[1]);
    case 'cleanup':
      maxArgs(1);
      return cleanup(validateProject(rest[0]));
    case 'status':
      return status(rest);
    default:
      throw usageError(
        `unknown command "${cmd}" (expected net create, port, unport, cleanup or status; see lk --help)`,
      );
  }
}

runTool('lk', main);
