// Runs one step's check: arm captures, send probes, drain, assemble flows, judge.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { assembleFlows } from '../capture/flows.js';
import { Capture } from '../capture/session.js';
import { evaluateCheck, evaluateLook } from '../check/evaluate.js';
import type { Check, CheckResult, LookResult, ProbeResult } from '../check/types.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import type { LabEvents } from './events.js';
import { observerFor } from './observer.js';
import { probeCommand } from './probes.js';

export interface CheckContext {
  sandbox: Sandbox;
  events: LabEvents;
  stepId: string;
  pcapDir?: string; // one pcap per point, streamed while capturing
}

// Captures are armed before the first probe; a must-not-see only counts if they stayed up.
export async function runCheck(check: Check, ctx: CheckContext): Promise<CheckResult> {
  const { sandbox, events, stepId } = ctx;
  const started = performance.now();
  if (ctx.pcapDir) mkdirSync(ctx.pcapDir, { recursive: true });
  const captures = check.points.map((point) => {
    const [node = '', iface = ''] = point.split(':');
    return new Capture({
      point,
      iface,
      spawn: (argv) => sandbox.spawn(node, argv),
      ...(ctx.pcapDir ? { pcapPath: join(ctx.pcapDir, `${point.replace(':', '-')}.pcap`) } : {}),
      onPacket: (packet) => events.emit({ type: 'packet', stepId, point, packet }),
    });
  });
  await Promise.all(
    captures.map(async (c) => {
      await c.ready;
      events.emit({ type: 'capture-ready', stepId, point: c.point, ready: true, latencyMs: performance.now() - started });
    }),
  );
  const probes: ProbeResult[] = [];
  for (const probe of check.probes) {
    const pc = probeCommand(probe);
    const rec = await sandbox.probe(pc.node, pc.argv, pc.display, observerFor(events, stepId, { judged: false }), pc.timeoutMs);
    probes.push({ probe, command: pc.display, node: pc.node, exitCode: rec.exitCode ?? -1, durationMs: rec.durationMs, output: rec.output });
  }
  const outcomes = await Promise.all(captures.map((c) => c.stop()));
  const looks: LookResult[] = [];
  for (const look of check.looks ?? []) {
    const rec = await sandbox.exec(look.node, look.cmd, observerFor(events, stepId, { judged: false }));
    looks.push(evaluateLook(look, rec.exitCode ?? -1, rec.output));
  }
  const observations = new Map(
    outcomes.map((o) => [o.point, { packets: o.packets, flows: assembleFlows(o.packets), ready: o.ready, drops: o.drops, windowMs: o.windowMs, ...(o.error ? { error: o.error } : {}) }]),
  );
  return evaluateCheck(check, observations, probes, looks);
}

