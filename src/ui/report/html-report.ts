// `--report FILE.html`: one self-contained page (inline CSS and SVG, nothing fetched) telling the run:
// the topology, and per step its commands, verdicts, flows per capture point and NAT between them.
import { dirname, relative, resolve } from 'node:path';
import type { LabEvents } from '../../engine/events.js';
import { formatCheckReport } from '../../check/format.js';
import { exitCodeOf } from '../../engine/result.js';
import { REPORT_CSS } from './html-report-css.js';
import { sequenceSvg } from './html-report-sequence.js';
import { topologySvg } from './html-report-topology.js';
import { summaryLine } from '../shared/lines.js';
import { writeOutputFile } from '../../sys/output-file.js';
import type { Reporter } from '../shared/reporter.js';
import { storyReporter, type RunStory, type StoryCheck, type StoryStep } from './run-story.js';
import { esc } from './xml.js';

// A pcap path as a link relative to the report, so the folder can be moved as a whole.
function pcapHref(pcap: string, reportFile: string): string {
  return relative(dirname(resolve(reportFile)), resolve(pcap))
    .split('/')
    .map(encodeURIComponent)
    .join('/');
}

// Verdict lines, each marked as pass, fail or detail.
function verdicts(c: StoryCheck): string {
  return formatCheckReport(c.result)
    .map(
      (l) => `<div class="${l.startsWith('PASS') ? 'pass' : l.startsWith('FAIL') ? 'fail' : 'detail'}">${esc(l)}</div>`,
    )
    .join('');
}

// One check: its verdicts, its sequence diagram, its pcaps.
function checkHtml(c: StoryCheck, s: StoryStep, reportFile: string): string {
  const head =
    s.checks.length > 1 || c.phase === 'before'
      ? `<h4>${c.phase === 'before' ? 'Before the commands' : 'After the commands'}</h4>`
      : '';
  const pcaps = c.result.points
    .filter((p) => p.pcapPath)
    .map((p) => `<li><a href="${esc(pcapHref(p.pcapPath ?? '', reportFile))}">${esc(p.point)}.pcap</a></li>`);
  const probes = c.result.probes
    .map(
      (p) =>
        `<div class="cmd">[${esc(p.node)}] $ ${esc(p.command)} <span class="${p.ok ? 'ok' : 'bad'}">${p.ok ? (p.probe.expectFail ? 'failed, as the lab says' : 'ok') : `exit ${p.exitCode}`}</span></div>`,
    )
    .join('');
  return `<div class="check ${c.result.pass ? 'passed' : 'failed'}">${head}<div class="probes"><span class="muted">probes:</span>${probes}</div>${c.result.hint ? `<div class="hint"><b>Hint:</b> ${esc(c.result.hint.text)}</div>` : ''}${c.result.cause ? `<div class="cause"><b>Root cause:</b> ${esc(c.result.cause)}</div>` : ''}<div class="verdicts">${verdicts(c)}</div><div class="seq">${sequenceSvg(c.result)}</div>${pcaps.length ? `<div class="pcaps">saved captures: <ul>${pcaps.join('')}</ul></div>` : ''}</div>`;
}

// One step's section.
function stepHtml(s: StoryStep, reportFile: string): string {
  const status = s.status ?? 'not-run';
  const cmds = s.commands.length
    ? s.commands
        .map(
          (c) =>
            `<div class="cmd">[${esc(c.record.node || 'sandbox')}] $ ${esc(c.record.display)}${c.ok && c.record.exitCode === 0 ? '' : ` <span class="${c.ok ? 'ok' : 'bad'}">exit ${esc(String(c.record.exitCode ?? 'signal'))}${c.expectFail ? (c.ok ? ', as the lab says' : ', the lab says it fails') : ''}</span>`}</div>${c.record.output.trim() ? `<pre class="out">${esc(c.record.output.replace(/\s+$/, ''))}</pre>` : ''}`,
        )
        .join('')
    : s.skipped && s.info.commands.length
      ? `<div class="muted">left out (--skip): the step's commands were not run</div>${s.info.commands.map((c) => `<pre class="cmd skipped">[${esc(c.node)}] $ ${esc(c.cmd)}</pre>`).join('')}`
      : `<div class="muted">${s.skipped ? 'commands skipped (--skip)' : 'no commands'}</div>`;
  return `<section class="step ${esc(status)}" id="step-${esc(s.info.id)}"><h3><span class="badge ${esc(status)}">${esc(status)}</span> ${s.info.index + 1}/${s.info.total} ${esc(s.info.id)}: ${esc(s.info.title)}</h3><p class="explain">${esc(s.info.explain)}</p>${s.checks
    .filter((c) => c.phase === 'before')
    .map((c) => checkHtml(c, s, reportFile))
    .join('')}<h4>Commands${s.skipped ? ' (skipped)' : ''}</h4><div class="cmds">${cmds}</div>${s.checks
    .filter((c) => c.phase === 'after')
    .map((c) => checkHtml(c, s, reportFile))
    .join('')}</section>`;
}

// The whole page.
export function reportHtml(s: RunStory, reportFile: string): string {
  const r = s.result;
  const title = `${s.lab?.id ?? r?.lab ?? 'lab'}: ${s.lab?.title ?? ''}`;
  const status = r
    ? r.status === 'passed' && exitCodeOf(r) === 0
      ? 'passed'
      : r.status === 'passed'
        ? 'failed'
        : r.status
    : 'unknown';
  const points = [...new Set(s.steps.flatMap((x) => x.points))];
  const ran = new Set(s.run.map((x) => x.info.id));
  const notRun = s.steps.filter((x) => !ran.has(x.id));
  const toc = s.steps.map((x) => {
    const st = s.run.find((y) => y.info.id === x.id)?.status ?? 'not-run';
    return `<li><a href="#step-${esc(x.id)}"><span class="badge ${esc(st)}">${esc(st)}</span> ${esc(x.id)}: ${esc(x.title)}</a></li>`;
  });
  const err = r?.error
    ? `<div class="error"><b>${esc(r.error.code)}</b>: ${esc(r.error.message)}<br>${esc(r.error.hint)}</div>`
    : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} — ${esc(status)}</title><style>${REPORT_CSS}</style></head>
<body><header><h1>${esc(title)}</h1><p class="summary ${esc(status)}">${esc(r ? summaryLine(r) : 'the run did not finish')}</p>
<p class="muted">${esc(s.lab?.summary ?? '')}</p><p class="muted">run ${esc(s.runId ?? '-')} · started ${esc(s.startedAt.toISOString())}</p>${err}</header>
<main><section><h2>Topology</h2><div class="topo">${topologySvg(s.links ?? [], points)}</div></section>
<section><h2>Steps</h2><ol class="toc">${toc.join('')}</ol></section>
${s.run.map((x) => stepHtml(x, reportFile)).join('\n')}
${notRun.map((x) => `<section class="step not-run" id="step-${esc(x.id)}"><h3><span class="badge not-run">not run</span> ${x.index + 1}/${x.total} ${esc(x.id)}: ${esc(x.title)}</h3></section>`).join('\n')}
</main></body></html>
`;
}

// Writes the page when the run ends.
export function attachHtmlReporter(events: LabEvents, file: string): Reporter {
  return storyReporter(events, (s) => writeOutputFile(file, reportHtml(s, file)));
}
