// Validates a lab module before anything is created; every problem names its field.
import { isIP } from 'node:net';
import { validateMatcher } from '../check/matchers.js';
import type { Probe } from '../check/types.js';
import { LabDefinitionError } from '../errors.js';
import type { LabDef } from './lab-types.js';
import { hostnameProblem } from '../sandbox/container.js';
import { unreachablePoints } from './static-points.js';

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

// Checks a loaded module's default export and returns it typed, or throws naming file and fields.
export function validateLab(value: unknown, file: string, expectedId?: string): LabDef {
  const p: Problems = [];
  if (!isObj(value)) throw new LabDefinitionError(file, ['default export: expected defineLab({...}), got ' + (value === undefined ? 'nothing' : typeof value)]);
  if (!str(value.id) || !/^\d{2}-[a-z0-9-]+$/.test(value.id)) p.push(`id: ${q(value.id)} must look like NN-name (e.g. 03-masquerade)`);
  else if (expectedId && value.id !== expectedId) p.push(`id: ${q(value.id)} must match the file name ${q(expectedId)}`);
  if (!str(value.title)) p.push('title: must be a non-empty string');
  if (value.summary !== undefined && typeof value.summary !== 'string') p.push('summary: must be a string');
  const nodes = validateTopology(value.topology, p);
  if (!Array.isArray(value.steps) || value.steps.length === 0) p.push('steps: must be a non-empty array');
  else {
    const seen = new Set<string>();
    const containers = isObj(value.topology) && isObj(value.topology.containers) ? value.topology.containers : {};
    const stepStarted = Object.entries(containers).filter(([, c]) => isObj(c) && c.start === 'step').map(([n]) => n);
    value.steps.forEach((s, i) => validateStep(s, `steps[${i}]`, nodes, seen, p, stepStarted));
    if (p.length === 0) p.push(...unreachablePoints(value.steps));
  }
  if (p.length) throw new LabDefinitionError(file, p);
  return value as unknown as LabDef;
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
      if (spec.start !== undefined && spec.start !== 'sandbox' && spec.start !== 'step') p.push(`${f}.start: must be 'sandbox' or 'step'`);
    }
  }
  return [...RESERVED, ...Object.keys(t.containers)];
}

function validateStep(s: unknown, f: string, nodes: string[], seen: Set<string>, p: Problems, stepStarted: string[]): void {
  if (!isObj(s)) return void p.push(`${f}: must be an object`);
  if (!str(s.id) || !STEP_ID.test(s.id)) p.push(`${f}.id: ${q(s.id)} must be lowercase letters, digits and '-'`);
  else if (seen.has(s.id)) p.push(`${f}.id: duplicate step id ${q(s.id)}`);
  else seen.add(s.id);
  if (!str(s.title)) p.push(`${f}.title: must be a non-empty string`);
  if (!str(s.explain)) p.push(`${f}.explain: must say why, in a sentence or more`);
  if (!Array.isArray(s.run)) p.push(`${f}.run: must be an array of commands (may be empty)`);
  else
    s.run.forEach((c, j) => {
      const cf = `${f}.run[${j}]`;
      if (!isObj(c)) return void p.push(`${cf}: must be a command, e.g. host('ip link add br0 type bridge')`);
      checkNode(c.node, `${cf}.node`, nodes, p);
      if (!str(c.cmd)) p.push(`${cf}.cmd: must be a non-empty command line`);
      if (c.waitFor !== undefined && !str(c.waitFor)) p.push(`${cf}.waitFor: must be a command line`);
      if (c.timeoutMs !== undefined && !(Number.isInteger(c.timeoutMs) && (c.timeoutMs as number) >= MIN_BOUND_MS && (c.timeoutMs as number) <= MAX_BOUND_MS)) p.push(`${cf}.timeoutMs: must be a whole number of ms from ${MIN_BOUND_MS} to ${MAX_BOUND_MS}`);
      if (c.start !== undefined && !stepStarted.includes(c.start as string)) p.push(`${cf}.start: ${q(c.start)} is not a container declared with start: 'step'`);
    });
  if (s.before !== undefined) validateCheck(s.before, `${f}.before`, nodes, p);
  if (s.check !== undefined) validateCheck(s.check, `${f}.check`, nodes, p);
}

function validateCheck(c: unknown, f: string, nodes: string[], p: Problems): void {
  if (!isObj(c) || !Array.isArray(c.points) || !Array.isArray(c.probes) || !Array.isArray(c.expectations)) {
    return void p.push(`${f}: must be built with observe([...points], ...probes).expect(...)`);
  }
  const points = c.points as unknown[];
  const looks = Array.isArray(c.looks) ? (c.looks as unknown[]) : [];
  if (points.length === 0 && c.expectations.length > 0) p.push(`${f}.points: name at least one capture point (node:iface)`);
  looks.forEach((l, i) => validateLook(l, `${f}.looks[${i}]`, nodes, p));
  c.points.forEach((pt, i) => checkPoint(pt, `${f}.points[${i}]`, nodes, p));
  c.probes.forEach((pr, i) => validateProbe(pr, `${f}.probes[${i}]`, nodes, p));
  if (c.expectations.length === 0 && looks.length === 0) p.push(`${f}.expectations: a check must expect, forbid or look at something`);
  c.expectations.forEach((e, i) => {
    const ef = `${f}.expectations[${i}]`;
    if (!isObj(e)) return void p.push(`${ef}: must be an expectation`);
    if (!points.includes(e.point)) p.push(`${ef}.point: ${q(e.point)} is not one of the check's capture points (${points.join(', ')})`);
    if (e.kind !== 'expect' && e.kind !== 'expect-none') p.push(`${ef}.kind: must be expect or expect-none`);
    if (!isObj(e.matcher)) p.push(`${ef}.matcher: must be a packet matcher such as icmp.echoRequest()`);
    else for (const m of validateMatcher(e.matcher as never)) p.push(`${ef}.matcher.${m}`);
    if (isObj(e.count)) {
      for (const k of ['min', 'max'] as const) {
        const v = e.count[k];
        if (v !== undefined && (!Number.isInteger(v) || (v as number) < 0)) p.push(`${ef}.count.${k}: ${q(v)} must be a whole number >= 0`);
      }
    }
  });
}

function validateLook(l: unknown, f: string, nodes: string[], p: Problems): void {
  if (!isObj(l)) return void p.push(`${f}: must be a look: .look(node, cmd, { match })`);
  checkNode(l.node, `${f}.node`, nodes, p);
  if (!str(l.cmd)) p.push(`${f}.cmd: must be a non-empty command line`);
  if (l.match === undefined && l.noMatch === undefined) p.push(`${f}: give match or noMatch`);
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

function validateProbe(pr: unknown, f: string, nodes: string[], p: Problems): void {
  if (!isObj(pr)) return void p.push(`${f}: must be a probe such as ping('mycontainer', WAN.dns)`);
  const probe = pr as unknown as Probe;
  checkNode(probe.from, `${f}.from`, nodes, p);
  if (probe.expectFail !== undefined && typeof probe.expectFail !== 'boolean') p.push(`${f}.expectFail: must be true or false`);
  if (probe.kind === 'http') {
    if (!URL.canParse(String(probe.url))) p.push(`${f}.url: ${q(probe.url)} is not a URL`);
    return;
  }
  if (!['ping', 'tcp', 'udp'].includes(probe.kind)) return void p.push(`${f}.kind: unknown probe ${q((pr as { kind?: unknown }).kind)}`);
  if (!isIP(String(probe.to))) p.push(`${f}.to: ${q(probe.to)} is not an IPv4 or IPv6 address`);
  if (probe.kind === 'ping' && (!Number.isInteger(probe.count) || probe.count < 1 || probe.count > 100)) p.push(`${f}.count: ${q(probe.count)} must be 1..100`);
  if ((probe.kind === 'tcp' || probe.kind === 'udp') && (!Number.isInteger(probe.port) || probe.port < 1 || probe.port > 65535)) p.push(`${f}.port: ${q(probe.port)} is not a port (1..65535)`);
}

function checkNode(n: unknown, f: string, nodes: string[], p: Problems): void {
  if (typeof n !== 'string' || !nodes.includes(n)) p.push(`${f}: unknown node ${q(n)} (known: ${nodes.join(', ')})`);
}

function checkPoint(pt: unknown, f: string, nodes: string[], p: Problems): void {
  const [node, iface, extra] = typeof pt === 'string' ? pt.split(':') : [];
  if (extra !== undefined || !node || !iface) return void p.push(`${f}: ${q(pt)} must be written node:iface, e.g. host:br0`);
  checkNode(node, f, nodes, p);
  if (!IFACE.test(iface)) p.push(`${f}: ${q(iface)} is not an interface name (1-15 characters)`);
}
