// `--junit FILE`: the run as JUnit XML (the Jenkins/GitLab flavour): one testcase per step check and
// per before-check; a failure carries the expected-vs-seen report.
import { hostname } from 'node:os';
import type { LabEvents } from '../../engine/events.js';
import { formatCheckReport } from '../../check/format.js';
import { writeOutputFile } from '../../sys/output-file.js';
import { causeLines, hintLines } from '../shared/lines.js';
import type { Reporter } from '../shared/reporter.js';
import { storyReporter, type RunStory, type StoryStep } from './run-story.js';
import { attrs, esc } from './xml.js';

interface Case {
  name: string;
  classname: string;
  time: number; // seconds
  failure?: { message: string; type: string; body: string };
  error?: { message: string; type: string; body: string };
  skipped?: string;
  out: string;
}

const secs = (ms: number): number => Math.round(ms) / 1000;

// "[host] $ cmd" lines and their output, for a testcase's system-out.
function commandText(s: StoryStep): string {
  return s.commands
    .map(
      (c) =>
        `[${c.record.node || 'sandbox'}] $ ${c.record.display}${c.ok ? '' : `   (exit ${c.record.exitCode ?? 'signal'})`}\n${c.record.output ? `${c.record.output.replace(/\s+$/, '')}\n` : ''}`,
    )
    .join('');
}

// The probes a check sent, with their output.
function probeText(c: StoryStep['checks'][number]): string {
  return c.result.probes
    .map(
      (p) =>
        `probe [${p.node}] $ ${p.command}   (exit ${p.exitCode}${p.ok ? '' : ', not what the lab says'})\n${p.output.replace(/\s+$/, '')}`,
    )
    .join('\n');
}

// The testcases of one step: its before-check, its check, and its commands when one of them failed.
function stepCases(lab: string, s: StoryStep): Case[] {
  const base = `${String(s.info.index + 1).padStart(2, '0')} ${s.info.id}`;
  const classname = `${lab}.${s.info.id}`;
  const cases: Case[] = [];
  const bad = s.commands.filter((c) => !c.ok);
  if (bad.length) {
    const body = bad
      .map(
        (c) =>
          `[${c.record.node}] $ ${c.record.display}: exit ${c.record.exitCode ?? 'signal'}${c.expectFail ? ' (the lab says it fails)' : ''}`,
      )
      .join('\n');
    cases.push({
      name: `${base}: commands`,
      classname,
      time: 0,
      failure: { message: body, type: 'command', body },
      out: commandText(s),
    });
  }
  for (const c of s.checks) {
    // The hint and the root cause first, then the details.
    const leftOut =
      s.skipped && c.phase === 'after' && s.info.commands.length
        ? ['left out (--skip):', ...s.info.commands.map((x) => `  [${x.node}] $ ${x.cmd}`)]
        : [];
    const report = [...hintLines(c.result), ...causeLines(c.result), ...formatCheckReport(c.result), ...leftOut].join(
      '\n',
    );
    const fails = [
      ...hintLines(c.result),
      ...causeLines(c.result),
      ...formatCheckReport(c.result).filter((l) => l.startsWith('FAIL')),
    ].join('\n');
    const name = `${base}: ${c.phase === 'before' ? 'before the commands' : 'check'}${s.skipped && c.phase === 'after' ? ' (commands skipped)' : ''}`;
    cases.push({
      name,
      classname,
      time: secs(c.ms),
      ...(c.result.pass ? {} : { failure: { message: fails || 'check failed', type: 'check', body: report } }),
      out: [
        c.phase === 'after' ? commandText(s) : '',
        probeText(c),
        formatCheckReport(c.result, { verbose: true }).join('\n'),
      ]
        .filter(Boolean)
        .join('\n'),
    });
  }
  return cases;
}

// One <testcase> element.
function caseXml(c: Case): string {
  const inner = [
    c.failure
      ? `      <failure${attrs({ message: c.failure.message, type: c.failure.type })}>${esc(c.failure.body)}</failure>`
      : '',
    c.error
      ? `      <error${attrs({ message: c.error.message, type: c.error.type })}>${esc(c.error.body)}</error>`
      : '',
    c.skipped ? `      <skipped${attrs({ message: c.skipped })}/>` : '',
    c.out ? `      <system-out>${esc(c.out)}</system-out>` : '',
  ].filter(Boolean);
  return `    <testcase${attrs({ name: c.name, classname: c.classname, time: c.time })}>${inner.length ? `\n${inner.join('\n')}\n    ` : ''}</testcase>`;
}

// The whole document for a run.
export function junitXml(s: RunStory): string {
  const lab = s.lab?.id ?? s.result?.lab ?? 'lab';
  const cases = s.run.flatMap((st) => stepCases(lab, st));
  const err = s.result?.error;
  if (err && s.result)
    cases.push({
      name: s.result.status === 'interrupted' ? 'interrupted' : 'lab run',
      classname: `${lab}.run`,
      time: 0,
      error: { message: err.message, type: err.code, body: `${err.message}\n${err.hint}` },
      out: '',
    });
  const ran = new Set(s.run.map((r) => r.info.id));
  for (const st of s.steps.filter((x) => !ran.has(x.id)))
    cases.push({
      name: `${String(st.index + 1).padStart(2, '0')} ${st.id}: check`,
      classname: `${lab}.${st.id}`,
      time: 0,
      skipped: 'not run',
      out: '',
    });
  const count = {
    tests: cases.length,
    failures: cases.filter((c) => c.failure).length,
    errors: cases.filter((c) => c.error).length,
    skipped: cases.filter((c) => c.skipped).length,
  };
  const time = secs(s.result?.durationMs ?? 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: 'lab', tests: count.tests, failures: count.failures, errors: count.errors, time })}>`,
    `  <testsuite${attrs({ name: lab, tests: count.tests, failures: count.failures, errors: count.errors, skipped: count.skipped, time, timestamp: s.startedAt.toISOString().slice(0, 19), hostname: hostname() })}>`,
    `    <properties>\n      <property${attrs({ name: 'title', value: s.lab?.title ?? '' })}/>\n      <property${attrs({ name: 'run', value: s.runId ?? '' })}/>\n    </properties>`,
    ...cases.map(caseXml),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

// Writes the JUnit file when the run ends.
export function attachJunitReporter(events: LabEvents, file: string): Reporter {
  return storyReporter(events, (s) => writeOutputFile(file, junitXml(s)));
}
