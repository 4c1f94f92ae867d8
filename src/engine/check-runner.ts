// Runs one check over the live capture stream: mark a window, send the probes, drain, judge.
import { mark } from '../sys/timeline.js';
import { assembleFlows } from '../capture/flows.js';
import type { CaptureHub } from '../capture/hub.js';
import { evaluateCheck, evaluateLook, regex } from '../check/evaluate.js';
import { rootCause } from '../check/format.js';
import type { Check, Look } from '../model/check.js';
import type { CheckResult, LookResult, ProbeResult, ViewResult } from '../check/types.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import type { LabEvents } from './events.js';
import { pickHint } from '../check/hints.js';
import { commandOk, observerFor } from './observer.js';
import { probeCommand, probeRow } from '../model/probes.js';

export interface CheckContext {
  sandbox: Sandbox;
  hub: CaptureHub;
  events: LabEvents;
  stepId: string;
  pcapDir?: string; // one pcap per point, streamed while the window is open
}

// Sends each probe in turn and records whether it did what the lab says it does.
export async function sendProbes(
  check: Check,
  ctx: Pick<CheckContext, 'sandbox' | 'events' | 'stepId'>,
  quiet = false,
): Promise<ProbeResult[]> {
  const out: ProbeResult[] = [];
  for (const probe of check.probes) {
    const pc = probeCommand(probe);
    const observer = quiet
      ? undefined
      : observerFor(ctx.events, ctx.stepId, { expectFail: Boolean(probe.expectFail), check: true });
    const rec = await ctx.sandbox.probe(pc.node, pc.argv, pc.display, observer, pc.timeoutMs);
    out.push({
      probe,
      command: pc.display,
      node: pc.node,
      exitCode: rec.exitCode ?? -1,
      ok: commandOk(rec.exitCode, probe.expectFail),
      durationMs: rec.durationMs,
      output: rec.output,
    });
  }
  return out;
}

// Runs looks in turn and judges each on its exit code and output.
async function runLooks(looks: Look[], ctx: CheckContext): Promise<LookResult[]> {
  const out: LookResult[] = [];
  for (const look of looks) {
    const rec = await ctx.sandbox.exec(
      look.node,
      look.cmd,
      observerFor(ctx.events, ctx.stepId, { judged: false, check: true }),
    );
    out.push(evaluateLook(look, rec.exitCode ?? -1, rec.output));
  }
  return out;
}

// A must-not-see only counts if every capture stayed alive, lossless and known for the whole window.
export async function runCheck(check: Check, ctx: CheckContext): Promise<CheckResult> {
  const { events, stepId } = ctx;
  const window = await ctx.hub.openWindow(check.points, ctx.pcapDir);
  mark(`window open: ${check.points.join(' ')}`);
  for (const st of window.points.values()) {
    events.emit({
      type: 'capture-ready',
      stepId,
      point: st.point,
      ready: !st.error,
      ...(st.error ? { error: st.error } : {}),
      latencyMs: performance.now() - window.openedAt,
    });
  }
  const probes = await sendProbes(check, ctx);
  mark('probes done');
  // Looks the lab wants in the window run before it closes: their own traffic is captured and judged.
  const inWindow = await runLooks(
    (check.looks ?? []).filter((l) => l.inWindow),
    ctx,
  );
  const outcomes = await ctx.hub.closeWindow(window);
  mark('window closed: quiet, every capture synced');
  // A probe that reads its reply is judged like a look at the reply's bytes.
  const looks: LookResult[] = probes.flatMap((r) => {
    const reply = probeRow(r.probe).reply?.(r.probe);
    return reply
      ? [evaluateLook({ node: r.node, cmd: r.command, match: reply, why: 'the reply' }, r.exitCode, r.output)]
      : [];
  });
  // The state views first: a look may change what they show (iptables -Z zeroes the counters it read).
  const views = await readViews(check, ctx);
  looks.push(
    ...inWindow,
    ...(await runLooks(
      (check.looks ?? []).filter((l) => !l.inWindow),
      ctx,
    )),
  );
  const observations = new Map(
    outcomes.map((o) => [
      o.point,
      {
        packets: o.packets,
        flows: assembleFlows(o.packets),
        ready: o.ready,
        drops: o.drops,
        windowMs: o.windowMs,
        ...(o.error ? { error: o.error } : {}),
        ...(o.pcapPath ? { pcapPath: o.pcapPath } : {}),
      },
    ]),
  );
  const result = evaluateCheck(check, observations, probes, looks);
  const hint = pickHint(result);
  const cause = rootCause(result);
  return { ...result, ...(hint ? { hint } : {}), ...(cause ? { cause } : {}), ...(views.length ? { views } : {}) };
}

// Runs the check's state views (after the probes, so the probe's conntrack entries and rule counters
// are there) and keeps the lines each shows.
async function readViews(check: Check, ctx: CheckContext): Promise<ViewResult[]> {
  const out: ViewResult[] = [];
  for (const view of check.views ?? []) {
    const rec = await ctx.sandbox.exec(
      view.node,
      view.cmd,
      observerFor(ctx.events, ctx.stepId, { judged: false, check: true }),
    );
    // What it printed; its notes on stderr (conntrack's "1 flow entries have been shown") only when it failed.
    const notes = new Set(rec.exitCode === 0 ? rec.stderr.split('\n') : []);
    const all = rec.output.split('\n').filter((l) => l.trim() && !notes.has(l));
    const keep = view.lines ? regex(view.lines) : undefined;
    out.push({ view, exitCode: rec.exitCode ?? -1, lines: keep ? all.filter((l) => keep.test(l)) : all });
  }
  return out;
}
