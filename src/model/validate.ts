// Validates a lab module before anything is created; every problem names its field.
import { isIP } from 'node:net';
import { COMMAND_KINDS } from './lab.js';
import { limitsProblems } from './limits.js';
import { validateMatcher } from './matchers.js';
import { isProbeKind, PROBES } from './probes.js';
import { unreachablePoints } from './static-points.js';
import { BASELINE_IFACES, hostnameProblem } from './topology.js';
import { validateHints, validateMistakes, validatePrediction } from './validate-teaching.js';

const MIN_BOUND_MS = 1_000; // a lab's own bound on one command (timeoutMs), within these limits
const MAX_BOUND_MS = 300_000;

const NAME = /^[a-z][a-z0-9-]{0,14}$/;
const IFACE = /^[A-Za-z0-9_.-]{1,15}$/;
const STEP_ID = /^[a-z][a-z0-9-]*$/;
const RESERVED = ['host', 'wan'];

type Problems = string[];
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;
const q = (v: unknown): string => JSON.stringify(v) ?? String(v);

// The problems of a loaded module's default export, each naming its field (none: it is a LabDef).
// `knownTools`: the commands a lab may declare in `tools` (those whose package the runner can name).
export function labProblems(value: unknown, opts: { expectedId?: string; knownTools: readonly string[] }): string[] {
  const { expectedId } = opts;
  const p: Problems = [];
  if (!isObj(value))
    return ['default export: expected defineLab({...}), got ' + (value === undefined ? 'nothing' : typeof value)];
  if (!str(value.id) || !/^\d{2}-[a-z0-9-]+$/.test(value.id))
    p.push(`id: ${q(value.id)} must look like NN-name (e.g. 03-masquerade)`);
  else if (expectedId && value.id !== expectedId)
    p.push(`id: ${q(value.id)} must match the file name ${q(expectedId)}`);
  if (!str(value.title)) p.push('title: must be a non-empty string');
  if (value.summary !== undefined && typeof value.summary !== 'string') p.push('summary: must be a string');
  validateTools(value.tools, opts.knownTools, p);
  if (
    value.vxlanPort !== undefined &&
    (!Number.isInteger(value.vxlanPort) || (value.vxlanPort as number) < 1 || (value.vxlanPort as number) > 65535)
  )
    p.push(`vxlanPort: ${q(value.vxlanPort)} is not a UDP port (1..65535)`);
  const nodes = validateTopology(value.topology, p);
  p.push(...limitsProblems(value.limits));
  if (!Array.isArray(value.steps) || value.steps.length === 0) p.push('steps: must be a non-empty array');
  else {
    const seen = new Set<string>();
    const containers = isObj(value.topology) && isObj(value.topology.containers) ? value.topology.containers : {};
    const stepStarted = Object.entries(containers)
      .filter(([, c]) => isObj(c) && c.start === 'step')
      .map(([n]) => n);
    value.steps.forEach((s, i) => validateStep(s, `steps[${i}]`, nodes, seen, p, stepStarted, Object.keys(containers)));
    if (p.length === 0) p.push(...unreachablePoints(value.steps, value.topology));
  }
  return p;
}

// Returns the node names the topology defines.
function validateTopology(t: unknown, p: Problems): string[] {
  if (!isObj(t) || !isObj(t.containers)) {
    p.push('topology.containers: must be an object of container names (it may be empty: {})');
    return [...RESERVED];
  }
  for (const [name, spec] of Object.entries(t.containers)) {
    const f = `topology.containers.${name}`;
    if (RESERVED.includes(name)) p.push(`${f}: "${name}" is a built-in node; choose another name`);
    else if (!NAME.test(name)) p.push(`${f}: name must be lowercase letters, digits and '-', at most 15 characters`);
    if (!isObj(spec)) p.push(`${f}: must be an object`);
    else {
      const bad = spec.hostname === undefined ? undefined : hostnameProblem(spec.hostname);
      if (bad) p.push(`${f}.hostname: ${q(spec.hostname)} ${bad} (the kernel's hostname rules)`);
      if (spec.start !== undefined && spec.start !== 'sandbox' && spec.start !== 'step')
        p.push(`${f}.start: must be 'sandbox' or 'step'`);
      if (spec.netAdmin !== undefined && typeof spec.netAdmin !== 'boolean')
        p.push(`${f}.netAdmin: must be true or false`);
    }
  }
  const extra = validateNodes(t.nodes, Object.keys(t.containers), p);
  const all = [...RESERVED, ...extra, ...Object.keys(t.containers)];
  validateLinks(t.links, all, t.containers, p);
  return all;
}

// Extra plain namespaces: a name, a role, optional routes; returns their names.
function validateNodes(n: unknown, containers: string[], p: Problems): string[] {
  if (n === undefined) return [];
  if (!isObj(n)) {
    p.push("topology.nodes: must be an object of node names, e.g. { peer: { role: 'a second outside peer' } }");
    return [];
  }
  for (const [name, spec] of Object.entries(n)) {
    const f = `topology.nodes.${name}`;
    if (RESERVED.includes(name) || containers.includes(name))
      p.push(`${f}: "${name}" is already a node; choose another name`);
    else if (name.length > 15) p.push(`${f}: name is over 15 characters`);
    else if (!NAME.test(name)) p.push(`${f}: name must be lowercase letters, digits and '-', at most 15 characters`);
    if (!isObj(spec)) p.push(`${f}: must be an object with a role`);
    else {
      if (!str(spec.role)) p.push(`${f}.role: must say what the node plays, e.g. 'a second outside peer'`);
      if (spec.routes !== undefined && (!Array.isArray(spec.routes) || !spec.routes.every(str)))
        p.push(`${f}.routes: must be a list of \`ip route add\` arguments`);
      if (spec.forwarding !== undefined && typeof spec.forwarding !== 'boolean')
        p.push(`${f}.forwarding: must be true or false`);
    }
  }
  return Object.keys(n);
}

// Links 'node:iface <-> node:iface': known nodes, interface names that fit and are unused, CIDR addresses.
function validateLinks(l: unknown, nodes: string[], containers: Record<string, unknown>, p: Problems): void {
  if (l === undefined) return;
  if (!Array.isArray(l))
    return void p.push("topology.links: must be a list, e.g. [link('host:ts0 <-> peer:ts0', { ... })]");
  const used = new Set(Object.entries(BASELINE_IFACES).flatMap(([n, ifs]) => ifs.map((i) => `${n}:${i}`)));
  l.forEach((link, i) => {
    const f = `topology.links[${i}]`;
    if (!isObj(link) || !Array.isArray(link.endpoints) || link.endpoints.length !== 2)
      return void p.push(`${f}.endpoints: must be two endpoints written node:iface`);
    const eps = link.endpoints as unknown[];
    eps.forEach((e, j) => {
      const ef = `${f}.endpoints[${j}]`;
      const [node, iface, more] = typeof e === 'string' ? e.split(':') : [];
      if (!node || !iface || more !== undefined)
        return void p.push(`${ef}: ${q(e)} must be written node:iface, e.g. host:ts0`);
      if (!nodes.includes(node)) p.push(`${ef}: unknown node ${q(node)} (known: ${nodes.join(', ')})`);
      else if (isObj(containers[node]) && (containers[node] as Record<string, unknown>).start === 'step')
        p.push(`${ef}: container ${q(node)} starts in a step, so its namespace does not exist when links are made`);
      if (iface.length > 15) p.push(`${ef}: interface name ${q(iface)} is over 15 characters (the kernel's limit)`);
      else if (!IFACE.test(iface))
        p.push(`${ef}: ${q(iface)} is not an interface name (letters, digits, '_', '.', '-')`);
      if (used.has(`${node}:${iface}`)) p.push(`${ef}: duplicate interface ${q(`${node}:${iface}`)}`);
      used.add(`${node}:${iface}`);
    });
    if (link.addresses === undefined) return;
    if (!isObj(link.addresses))
      return void p.push(`${f}.addresses: must map an endpoint to its CIDRs, e.g. { 'host:ts0': ['100.64.0.1/24'] }`);
    for (const [ep, cidrs] of Object.entries(link.addresses)) {
      const af = `${f}.addresses[${q(ep)}]`;
      if (!eps.includes(ep))
        p.push(`${af}: not one of this link's endpoints (${eps.map((e) => String(e)).join(', ')})`);
      if (!Array.isArray(cidrs)) {
        p.push(`${af}: must be a list of CIDRs`);
        continue;
      }
      cidrs.forEach((c, k) => {
        if (!isCidr(c))
          p.push(`${af}[${k}]: ${q(c)} is not an address with a prefix length (e.g. 100.64.0.1/24, fd7a::1/64)`);
      });
    }
  });
}

// 'addr/len' with a length that fits the address family.
function isCidr(c: unknown): boolean {
  if (typeof c !== 'string') return false;
  const [addr = '', len, more] = c.split('/');
  const v = isIP(addr);
  return (
    v !== 0 && more === undefined && len !== undefined && /^\d{1,3}$/.test(len) && Number(len) <= (v === 4 ? 32 : 128)
  );
}

function validateStep(
  s: unknown,
  f: string,
  nodes: string[],
  seen: Set<string>,
  p: Problems,
  stepStarted: string[],
  containers: string[],
): void {
  if (!isObj(s)) return void p.push(`${f}: must be an object`);
  if (!str(s.id) || !STEP_ID.test(s.id)) p.push(`${f}.id: ${q(s.id)} must be lowercase letters, digits and '-'`);
  else if (seen.has(s.id)) p.push(`${f}.id: duplicate step id ${q(s.id)}`);
  else seen.add(s.id);
  if (!str(s.title)) p.push(`${f}.title: must be a non-empty string`);
  if (!str(s.explain)) p.push(`${f}.explain: must say why, in a sentence or more`);
  if (!Array.isArray(s.run)) p.push(`${f}.run: must be an array of commands (may be empty)`);
  else s.run.forEach((c, j) => validateCommand(c, `${f}.run[${j}]`, nodes, p, stepStarted, containers));
  if (s.arrange !== undefined) {
    if (!Array.isArray(s.arrange)) p.push(`${f}.arrange: must be an array of commands`);
    else s.arrange.forEach((c, j) => validateCommand(c, `${f}.arrange[${j}]`, nodes, p, stepStarted, containers));
  }
  if (s.before !== undefined) validateCheck(s.before, `${f}.before`, nodes, p);
  if (s.check !== undefined) validateCheck(s.check, `${f}.check`, nodes, p);
  if (s.prediction !== undefined) validatePrediction(s.prediction, `${f}.prediction`, p);
  if (s.mistakes !== undefined)
    validateMistakes(s.mistakes, `${f}.mistakes`, p, (c, cf) =>
      validateCommand(c, cf, nodes, p, stepStarted, containers),
    );
}

function validateCommand(
  c: unknown,
  cf: string,
  nodes: string[],
  p: Problems,
  stepStarted: string[],
  containers: string[],
): void {
  if (!isObj(c)) return void p.push(`${cf}: must be a command, e.g. host('ip link add br0 type bridge')`);
  if (!COMMAND_KINDS.includes(c.kind as never))
    return void p.push(
      `${cf}.kind: ${q(c.kind)} must be one of ${COMMAND_KINDS.join(', ')} (made by host(), on(), service(), ...)`,
    );
  checkNode(c.node, `${cf}.node`, nodes, p);
  if (!str(c.cmd)) p.push(`${cf}.cmd: must be a non-empty command line`);
  if (c.usesWanWeb !== undefined && typeof c.usesWanWeb !== 'boolean')
    p.push(`${cf}.usesWanWeb: must be true or false`);
  if (c.waitFor !== undefined && !str(c.waitFor)) p.push(`${cf}.waitFor: must be a command line`);
  if (c.kind === 'service' && !str(c.waitFor))
    p.push(`${cf}.waitFor: a service needs a command that succeeds once it is ready`);
  if (
    c.timeoutMs !== undefined &&
    !(
      Number.isInteger(c.timeoutMs) &&
      (c.timeoutMs as number) >= MIN_BOUND_MS &&
      (c.timeoutMs as number) <= MAX_BOUND_MS
    )
  )
    p.push(`${cf}.timeoutMs: must be a whole number of ms from ${MIN_BOUND_MS} to ${MAX_BOUND_MS}`);
  if (c.kind === 'start' && !stepStarted.includes(c.container as string))
    p.push(`${cf}.container: ${q(c.container)} is not a container declared with start: 'step'`);
  if ((c.kind === 'stop' || c.kind === 'restart') && !containers.includes(c.container as string))
    p.push(`${cf}.container: ${q(c.container)} is not a container of the topology`);
  if (c.kind === 'restart' && c.address !== undefined && !isCidr(c.address))
    p.push(`${cf}.address: ${q(c.address)} is not an address with a prefix length`);
}

function validateCheck(c: unknown, f: string, nodes: string[], p: Problems): void {
  if (!isObj(c) || !Array.isArray(c.points) || !Array.isArray(c.probes) || !Array.isArray(c.expectations)) {
    return void p.push(`${f}: must be built with observe([...points], ...probes).expect(...)`);
  }
  const points = c.points as unknown[];
  const looks = Array.isArray(c.looks) ? (c.looks as unknown[]) : [];
  if (points.length === 0 && c.expectations.length > 0)
    p.push(`${f}.points: name at least one capture point (node:iface)`);
  looks.forEach((l, i) => validateLook(l, `${f}.looks[${i}]`, nodes, p));
  if (c.views !== undefined && !Array.isArray(c.views))
    p.push(`${f}.views: must be a list of views, made with .show(node, cmd)`);
  (Array.isArray(c.views) ? (c.views as unknown[]) : []).forEach((v, i) =>
    validateView(v, `${f}.views[${i}]`, nodes, p),
  );
  c.points.forEach((pt, i) => checkPoint(pt, `${f}.points[${i}]`, nodes, p));
  c.probes.forEach((pr, i) => validateProbe(pr, `${f}.probes[${i}]`, nodes, p));
  if (c.expectations.length === 0 && looks.length === 0)
    p.push(`${f}.expectations: a check must expect, forbid or look at something`);
  if (c.keepNeighbours !== undefined && c.keepNeighbours !== false) {
    const asks = c.expectations.some(
      (e) =>
        isObj(e) &&
        isObj(e.matcher) &&
        (e.matcher.proto === 'arp' ||
          /^neighbor-/.test(String((e.matcher.fields as { icmpType?: unknown } | undefined)?.icmpType ?? ''))),
    );
    if (c.keepNeighbours !== true) p.push(`${f}.keepNeighbours: must be true or false`);
    else if (!asks)
      p.push(
        `${f}.keepNeighbours: only a check that expects ARP or neighbour discovery packets has neighbour caches to keep`,
      );
  }
  c.expectations.forEach((e, i) => {
    const ef = `${f}.expectations[${i}]`;
    if (!isObj(e)) return void p.push(`${ef}: must be an expectation`);
    if (!points.includes(e.point))
      p.push(`${ef}.point: ${q(e.point)} is not one of the check's capture points (${points.join(', ')})`);
    if (e.kind !== 'expect' && e.kind !== 'expect-none' && e.kind !== 'same-flow')
      p.push(`${ef}.kind: must be expect, expect-none or same-flow`);
    if (e.kind === 'same-flow') {
      if (!points.includes(e.other))
        p.push(`${ef}.other: ${q(e.other)} is not one of the check's capture points (${points.join(', ')})`);
      if (
        !Array.isArray(e.rewritten) ||
        !e.rewritten.every((k) => ['src', 'dst', 'sport', 'dport'].includes(k as string))
      )
        p.push(`${ef}.rewritten: must list fields among src, dst, sport, dport`);
    }
    validateHints(e.hints, `${ef}.hints`, p);
    if (!isObj(e.matcher)) p.push(`${ef}.matcher: must be a packet matcher such as icmp.echoRequest()`);
    else for (const m of validateMatcher(e.matcher as never)) p.push(`${ef}.matcher.${m}`);
    if (isObj(e.count)) {
      for (const k of ['min', 'max'] as const) {
        const v = e.count[k];
        if (v !== undefined && (!Number.isInteger(v) || (v as number) < 0))
          p.push(`${ef}.count.${k}: ${q(v)} must be a whole number >= 0`);
      }
    }
  });
}

// A state view: a node, a command, and optionally the lines to keep.
function validateView(v: unknown, f: string, nodes: string[], p: Problems): void {
  if (!isObj(v)) return void p.push(`${f}: must be a view: .show(node, cmd, { lines })`);
  checkNode(v.node, `${f}.node`, nodes, p);
  if (!str(v.cmd)) p.push(`${f}.cmd: must be a non-empty command line`);
  if (v.lines === undefined) return;
  const l = v.lines;
  if (!isObj(l) || typeof l.source !== 'string' || typeof l.flags !== 'string')
    return void p.push(`${f}.lines: must be a regular expression, e.g. /MASQUERADE/`);
  try {
    new RegExp(l.source, l.flags);
  } catch (err) {
    p.push(`${f}.lines: not a regular expression (${(err as Error).message})`);
  }
}

function validateLook(l: unknown, f: string, nodes: string[], p: Problems): void {
  if (!isObj(l)) return void p.push(`${f}: must be a look: .look(node, cmd, { match })`);
  checkNode(l.node, `${f}.node`, nodes, p);
  if (!str(l.cmd)) p.push(`${f}.cmd: must be a non-empty command line`);
  if (l.match === undefined && l.noMatch === undefined) p.push(`${f}: give match or noMatch`);
  if (l.inWindow !== undefined && typeof l.inWindow !== 'boolean') p.push(`${f}.inWindow: must be true or false`);
  validateHints(l.hints, `${f}.hints`, p, true);
  for (const k of ['match', 'noMatch'] as const) {
    const v = l[k];
    if (v === undefined) continue;
    if (!isObj(v) || typeof v.source !== 'string' || typeof v.flags !== 'string') {
      p.push(`${f}.${k}: must be a regular expression, e.g. /^1: lo:/`);
      continue;
    }
    try {
      new RegExp(v.source, v.flags);
    } catch (err) {
      p.push(`${f}.${k}: not a regular expression (${(err as Error).message})`);
    }
  }
}

// A probe: the common fields here, the kind's own from its row of the probe table.
function validateProbe(pr: unknown, f: string, nodes: string[], p: Problems): void {
  if (!isObj(pr)) return void p.push(`${f}: must be a probe such as ping('mycontainer', WAN.dns)`);
  checkNode(pr.from, `${f}.from`, nodes, p);
  if (pr.expectFail !== undefined && typeof pr.expectFail !== 'boolean')
    p.push(`${f}.expectFail: must be true or false`);
  if (pr.src !== undefined && !isIP(String(pr.src))) p.push(`${f}.src: ${q(pr.src)} is not an IPv4 or IPv6 address`);
  if (!isProbeKind(pr.kind))
    return void p.push(`${f}.kind: unknown probe ${q(pr.kind)} (known: ${Object.keys(PROBES).join(', ')})`);
  p.push(...PROBES[pr.kind].problems(pr, f));
}

function checkNode(n: unknown, f: string, nodes: string[], p: Problems): void {
  if (typeof n !== 'string' || !nodes.includes(n)) p.push(`${f}: unknown node ${q(n)} (known: ${nodes.join(', ')})`);
}

function checkPoint(pt: unknown, f: string, nodes: string[], p: Problems): void {
  const [node, iface, extra] = typeof pt === 'string' ? pt.split(':') : [];
  if (extra !== undefined || !node || !iface)
    return void p.push(`${f}: ${q(pt)} must be written node:iface, e.g. host:br0`);
  checkNode(node, f, nodes, p);
  if (!IFACE.test(iface)) p.push(`${f}: ${q(iface)} is not an interface name (1-15 characters)`);
}

// The tools a lab declares: each must be one whose Debian package the runner knows (so it can say what to install).
function validateTools(tools: unknown, known: readonly string[], p: Problems): void {
  if (tools === undefined) return;
  if (!Array.isArray(tools)) return void p.push(`tools: must be a list of command names, e.g. ['conntrack']`);
  tools.forEach((t, i) => {
    if (typeof t !== 'string' || !known.includes(t))
      p.push(`tools[${i}]: ${q(t)} is not a tool the runner knows (known: ${[...known].sort().join(', ')})`);
  });
}
