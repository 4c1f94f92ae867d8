// --junit, --report, --json and --save-pcap from real runs of lab 03: valid JUnit with exactly the expected
// failure, an HTML page a real browser renders, one story told four ways, and --pause-on-fail.
import test from '../helpers/root-test.js';
import { tempDir } from '../helpers/temp.js';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { decodeFrame } from '../../src/capture/decode.js';
import { readPcap } from '../../src/capture/pcap-file.js';
import { dumpDom, screenshot, visibleText } from '../helpers/chromium.js';
import { lab, labProcess, type CliResult } from '../helpers/cli.js';
import { alive, journal, waitFor } from '../helpers/procs.js';
import { esc } from '../../src/ui/report/xml.js';

interface Files {
  dir: string;
  cli: CliResult;
  json: {
    steps: {
      id: string;
      title: string;
      status: string;
      check?: { hint?: { text: string; from: string }; points: { point: string; pcapPath?: string }[] };
    }[];
  };
  junit: string;
  html: string;
}
interface Case {
  '@_name': string;
  '@_classname': string;
  failure?: { '@_message': string; '#text': string }[];
}

// Runs lab 03 with every report, into a fresh folder.
async function runAll(extra: string[]): Promise<Files> {
  const dir = tempDir('lab-reports-');
  const f = (n: string): string => join(dir, n);
  const cli = await lab([
    'run',
    '03-masquerade',
    '--check',
    ...extra,
    '--reporter',
    'plain',
    '--json',
    f('r.json'),
    '--junit',
    f('r.xml'),
    '--report',
    f('r.html'),
    '--save-pcap',
    f('pcap'),
  ]);
  const read = (n: string): string => (existsSync(f(n)) ? readFileSync(f(n), 'utf8') : '');
  return {
    dir,
    cli,
    json: JSON.parse(read('r.json') || '{"steps":[]}') as Files['json'],
    junit: read('r.xml'),
    html: f('r.html'),
  };
}

// The testcases of a JUnit document, failures always as lists.
function junitCases(xml: string): { suites: Record<string, string>; cases: Case[] } {
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    htmlEntities: true,
    isArray: (n) => ['testsuite', 'testcase', 'failure'].includes(n),
  }).parse(xml) as {
    testsuites: Record<string, string> & { testsuite: (Record<string, string> & { testcase: Case[] })[] };
  };
  const suite = doc.testsuites.testsuite[0];
  return { suites: doc.testsuites, cases: suite?.testcase ?? [] };
}

const failing = runAll(['--skip', 'masquerade']);
const passing = runAll([]);

test('--junit: valid XML, one testcase per check, exactly the expected failure with its expected-vs-seen report', async (t) => {
  const { cli, junit } = await failing;
  t.is(cli.exitCode, 1, cli.stdout + cli.stderr);
  t.true(XMLValidator.validate(junit), String(JSON.stringify(XMLValidator.validate(junit))));
  const { suites, cases } = junitCases(junit);
  t.deepEqual(
    cases.map((c) => c['@_name']),
    [
      '01 bridge: check',
      '02 veth: check',
      '03 observe: check',
      '04 forward: check',
      '05 masquerade: check (commands skipped)',
    ],
  );
  t.is(suites['@_tests'], '5');
  t.is(suites['@_failures'], '1');
  const failed = cases.filter((c) => c.failure);
  t.deepEqual(
    failed.map((c) => c['@_classname']),
    ['03-masquerade.masquerade'],
  );
  const fail = failed[0]?.failure?.[0];
  t.regex(
    fail?.['@_message'] ?? '',
    /^FAIL expected ICMP echo-request src=10\.0\.2\.15 dst=203\.0\.113\.8 ttl=63 at host:eth0: not seen/m,
  );
  t.regex(fail?.['#text'] ?? '', /src: expected 10\.0\.2\.15, seen 172\.17\.0\.100/);
  const ok = junitCases((await passing).junit);
  t.is(ok.cases.length, 5);
  t.is(ok.cases.filter((c) => c.failure).length, 0);
});

test('--junit escapes what it quotes: markup and control characters survive a parse', async (t) => {
  const { junitXml } = await import('../../src/ui/report/junit-reporter.js');
  const nasty = 'a<b>&c"d\'e ]]> \u0001 tab\tend';
  const look = { look: { node: 'host', cmd: 'x' }, pass: false, exitCode: 1, output: nasty, message: `look ${nasty}` };
  const step = {
    info: { id: 's<1>', title: 't&', explain: '', index: 0, total: 1, commands: [], arrange: [], points: [] },
    skipped: false,
    commands: [],
    checks: [
      {
        phase: 'after' as const,
        ms: 5,
        result: { pass: false, expectations: [], looks: [look], points: [], probes: [] },
      },
    ],
    durationMs: 5,
  };
  const xml = junitXml({ steps: [step.info], run: [step], startedAt: new Date() });
  t.true(XMLValidator.validate(xml));
  const { cases } = junitCases(xml);
  t.is(cases[0]?.['@_name'], '01 s<1>: check');
  t.is(cases[0]?.failure?.[0]?.['@_message'], `FAIL look ${nasty.replace('\u0001', '\uFFFD')}`);
});

test('--report renders in headless chromium: the steps, the verdicts, and the rewritten source 10.0.2.15', async (t) => {
  const [bad, good] = await Promise.all([failing, passing]);
  t.is(good.cli.exitCode, 0, good.cli.stdout + good.cli.stderr);
  const raw = readFileSync(good.html, 'utf8');
  t.notRegex(
    raw,
    /<script|<link|@import|(src|href)=["']?(https?:)?\/\/|url\(\s*['"]?https?:/i,
    'self-contained: nothing to fetch',
  );
  const [goodDom, badDom] = await Promise.all([dumpDom(good.html), dumpDom(bad.html)]);
  const goodText = visibleText(goodDom);
  for (const s of good.json.steps) t.true(goodText.includes(`${s.id}: ${s.title}`), `step ${s.id} is shown`);
  t.regex(goodText, /03-masquerade: PASSED/);
  t.regex(goodText, /capture at host:eth0/);
  t.regex(goodText, /source rewritten\s+172\.17\.0\.100 → 10\.0\.2\.15/);
  t.regex(
    goodDom,
    /<text class="ep rewritten"[^>]*>10\.0\.2\.15<\/text>/,
    'the rewritten source is highlighted on the eth0 lane',
  );
  t.regex(goodText, /eth0 10\.0\.2\.15\/24/, 'the topology shows the uplink and its address');
  t.regex(goodText, /veth1 on br0/);
  const badText = visibleText(badDom);
  t.regex(badText, /03-masquerade: FAILED/);
  t.regex(badText, /FAIL expected ICMP echo-request src=10\.0\.2\.15 dst=203\.0\.113\.8 ttl=63 at host:eth0: not seen/);
  t.regex(badText, /src: expected 10\.0\.2\.15, seen 172\.17\.0\.100/);
  t.notRegex(badText, /source rewritten/);
  const png = join(bad.dir, 'report.png');
  await screenshot(bad.html, png);
  t.true(statSync(png).size > 20_000);
  t.deepEqual([...readFileSync(png).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
});

test('--json, --junit, --report and --save-pcap tell the same story of one failing run', async (t) => {
  const { json, junit, html } = await failing;
  const page = readFileSync(html, 'utf8');
  const { cases } = junitCases(junit);
  const verdicts = json.steps.map((s) => ({ id: s.id, failed: s.status === 'failed' }));
  t.deepEqual(
    verdicts.filter((v) => v.failed).map((v) => v.id),
    ['masquerade'],
  );
  for (const v of verdicts) {
    t.is(
      cases.some((c) => c['@_classname'] === `03-masquerade.${v.id}` && c.failure),
      v.failed,
      `junit agrees on ${v.id}`,
    );
    const section = new RegExp(`<section class="step (\\S+)" id="step-${v.id}">`).exec(page)?.[1];
    t.is(section, v.failed ? 'failed' : 'passed', `html agrees on ${v.id}`);
  }
  // Every pcap the JSON names exists, the page links exactly those, and the failing point's file holds the flow the verdict cites.
  const pcaps = json.steps.flatMap((s) => (s.check?.points ?? []).map((p) => p.pcapPath ?? ''));
  t.is(pcaps.length, 9);
  for (const p of pcaps) t.true(existsSync(p), p);
  const links = [...page.matchAll(/<a href="([^"]+\.pcap)"/g)].map((m) =>
    resolve(dirname(html), decodeURIComponent(m[1] ?? '')),
  );
  t.deepEqual(links.sort(), pcaps.map((p) => resolve(p)).sort());
  const eth0 =
    json.steps.find((s) => s.id === 'masquerade')?.check?.points.find((p) => p.point === 'host:eth0')?.pcapPath ?? '';
  const { frames } = readPcap(eth0);
  const requests = frames.map((f) => decodeFrame(f)).filter((p) => p.icmp?.name === 'echo-request');
  t.is(requests.length, 3);
  t.true(
    requests.every((p) => p.ip?.src === '172.17.0.100' && p.ip.dst === '203.0.113.8'),
    'the pcap shows the unrewritten source the report cites',
  );
});

test('the chosen hint is printed by --check and held by --json, --junit and --report alike', async (t) => {
  const { cli, json, junit, html } = await failing;
  const hint = json.steps.find((s) => s.id === 'masquerade')?.check?.hint;
  t.is(hint?.from, 'lab');
  t.regex(
    hint?.text ?? '',
    /^requests leave eth0 with source 172\.17\.0\.100 and no reply: the MASQUERADE rule did not match them/,
  );
  const line = `Hint: ${hint?.text ?? '?'}`;
  t.true(
    cli.stdout.split('\n').some((l) => l.trim() === line),
    cli.stdout,
  );
  t.true(
    json.steps.filter((s) => s.id !== 'masquerade').every((s) => !s.check?.hint),
    'a passing check has no hint',
  );
  const failure = junitCases(junit).cases.find((c) => c['@_classname'] === '03-masquerade.masquerade')?.failure?.[0];
  t.true(failure?.['#text'].includes(line), failure?.['#text']);
  t.true(failure?.['@_message'].includes(line), failure?.['@_message']);
  t.true(
    readFileSync(html, 'utf8').includes(`<div class="hint"><b>Hint:</b> ${esc(hint?.text ?? '?')}</div>`),
    'the page shows the same hint',
  );
});

test('--junit or --report where nothing can be written: exit 2 before anything is built', async (t) => {
  for (const flag of ['--junit', '--report']) {
    const r = await lab(['run', '03-masquerade', '--check', flag, '/proc/no/such/dir/r.out']);
    t.is(r.exitCode, 2);
    t.regex(r.stderr, new RegExp(`${flag} /proc/no/such/dir: cannot write there`));
    t.notRegex(r.stdout, /sandbox/);
  }
});

test('--pause-on-fail keeps the failed sandbox up, says how to enter each node, and tears down on Enter', async (t) => {
  const dir = tempDir('lab-state-');
  const env = { LAB_STATE_DIR: dir };
  const proc = labProcess(
    ['run', '03-masquerade', '--check', '--skip', 'masquerade', '--pause-on-fail', '--reporter', 'plain'],
    env,
  );
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  t.true(await waitFor(() => out.includes('press Enter'), 30_000), out);
  const [entry] = journal(dir);
  t.truthy(entry);
  for (const n of ['host', 'wan', 'mycontainer']) t.true(out.includes(`lab shell ${entry?.runId} ${n}`), n);
  const sh = await lab(['shell', entry?.runId ?? '', 'host', 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'], env);
  t.is(sh.exitCode, 0, sh.stderr);
  t.regex(sh.stdout, /10\.0\.2\.15\/24/);
  proc.stdin?.write('\n');
  const r = await proc;
  t.is(r.exitCode, 1);
  t.regex(out, /sandbox removed/);
  t.false(alive(entry?.initPid ?? 0));
  t.deepEqual(journal(dir), []);
});

test('a failed check carries one root-cause line from its nearest packet, the same in --check, --json, --junit and --report, with the commands --skip left out', async (t) => {
  t.timeout(180_000); // two runs of lab 03 on a shared machine
  const { cli, json, junit, html } = await failing;
  const cause = 'source not rewritten: seen 172.17.0.100 where 10.0.2.15 was expected, at host:eth0';
  const step = json.steps.find((s) => s.id === 'masquerade') as unknown as
    { check?: { cause?: string }; info?: { commands?: { cmd: string }[] } } | undefined;
  t.is(step?.check?.cause, cause);
  t.true(
    ((step as { leftOut?: { cmd: string }[] } | undefined)?.leftOut ?? []).some(
      (c) => c.cmd === 'iptables -t nat -A POSTROUTING -s 172.17.0.0/24 ! -o br0 -j MASQUERADE',
    ),
    '--json lists the command left out',
  );
  t.true(
    cli.stdout.split('\n').some((l) => l.trim() === `Root cause: ${cause}`),
    cli.stdout,
  );
  t.true(
    json.steps.filter((s) => s.id !== 'masquerade').every((s) => !(s.check as { cause?: string } | undefined)?.cause),
    'a passing check has no cause',
  );
  const failure = junitCases(junit).cases.find((c) => c['@_classname'] === '03-masquerade.masquerade')?.failure?.[0];
  const body = failure?.['#text'] ?? '';
  t.true(body.startsWith('Hint: requests leave eth0 with source 172.17.0.100'), body);
  t.true(body.split('\n')[1] === `Root cause: ${cause}`, 'the root cause right after the hint, before the details');
  t.true(failure?.['@_message'].includes(`Root cause: ${cause}`), failure?.['@_message']);
  t.regex(
    body,
    /left out \(--skip\):\n {2}\[host\] \$ iptables -t nat -A POSTROUTING -s 172\.17\.0\.0\/24 ! -o br0 -j MASQUERADE/,
  );
  const page = readFileSync(html, 'utf8');
  const section = page.slice(page.indexOf('id="step-masquerade"'));
  t.true(
    section.includes(`<div class="cause"><b>Root cause:</b> ${esc(cause)}</div>`),
    'the page shows the root cause',
  );
  t.true(
    section.indexOf('class="hint"') < section.indexOf('class="cause"') &&
      section.indexOf('class="cause"') < section.indexOf('class="verdicts"', section.indexOf('class="cause"') - 400),
    'hint, cause, then the details',
  );
  t.true(
    section.includes(`[host] $ ${esc('iptables -t nat -A POSTROUTING -s 172.17.0.0/24 ! -o br0 -j MASQUERADE')}`),
    'the skipped MASQUERADE command listed',
  );
  // In a real browser: the hint and the cause are visible text of the masquerade step.
  const text = visibleText(await dumpDom(html));
  t.regex(text, /Root cause: source not rewritten: seen 172\.17\.0\.100 where 10\.0\.2\.15 was expected, at host:eth0/);
  t.regex(text, /left out \(--skip\)/);
});
