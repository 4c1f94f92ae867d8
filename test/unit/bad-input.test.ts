// Bad input refused before anything is built (exit 2, naming the field): hostnames against the kernel's
// rules (never pasted into shell code), command bounds within limits, capture points nothing can create.
import test from 'ava';
import { validateLab } from '../../src/engine/loader.js';
import { LabDefinitionError } from '../../src/errors.js';
import { host, icmp, observe, ping, WAN } from '../../src/lab.js';
import { hostnameProblem } from '../../src/model/topology.js';
import { initScript, OVERLAY_SCRIPT } from '../../src/sandbox/container.js';

// A minimal valid lab, changed by `edit`; the problems it is refused with (none: []).
function problemsOf(edit: (lab: Record<string, any>) => void): string[] {
  const lab: Record<string, any> = {
    id: '99-bad',
    title: 'bad input',
    topology: { containers: { box: {} } },
    steps: [
      {
        id: 's',
        title: 't',
        explain: 'e',
        run: [host('ip link add br0 type bridge')],
        check: observe(['host:br0'], ping('host', WAN.dns)).expect('host:br0', icmp.echoRequest()),
      },
    ],
  };
  edit(lab);
  try {
    validateLab(lab, 'labs/99-bad.ts');
    return [];
  } catch (err) {
    if (!(err instanceof LabDefinitionError)) throw err;
    return err.problems;
  }
}

test('a valid lab has no problems', (t) => {
  t.deepEqual(
    problemsOf(() => undefined),
    [],
  );
});

test('hostnames follow the kernel rules; an injection attempt is refused naming the field', (t) => {
  for (const bad of ['a;reboot', '$(id)', 'a b', '-x', 'x'.repeat(65), '', 'a..b', 'a\nb']) {
    t.truthy(hostnameProblem(bad), bad);
    const p = problemsOf((l) => (l.topology.containers.box.hostname = bad));
    t.is(p.length, 1, bad);
    t.regex(p[0] ?? '', /^topology\.containers\.box\.hostname: .* \(the kernel's hostname rules\)$/);
  }
  for (const good of ['box', 'web-1', 'a.b.c', 'X9']) t.is(hostnameProblem(good), undefined, good);
  // The container's scripts never contain a name: it arrives as an argument.
  t.notRegex(initScript(true), /box/);
  t.regex(initScript(true), /hostname "\$1"/);
  t.regex(OVERLAY_SCRIPT, /d=\/run\/containers\/\$1/);
});

test("a command's bound must be 1 s to 300 s", (t) => {
  t.deepEqual(
    problemsOf((l) => (l.steps[0].run[0].timeoutMs = 5_000)),
    [],
  );
  for (const bad of [10, 999, 300_001, 1.5e3 + 0.5, '30s']) {
    t.deepEqual(
      problemsOf((l) => (l.steps[0].run[0].timeoutMs = bad)),
      ['steps[0].run[0].timeoutMs: must be a whole number of ms from 1000 to 300000'],
      String(bad),
    );
  }
});

test('a capture point on an interface no command creates is refused before anything is built', (t) => {
  const p = problemsOf((l) => {
    l.steps[0].check = observe(['host:br9'], ping('host', WAN.dns)).expect('host:br9', icmp.echoRequest());
  });
  t.deepEqual(p, [
    'steps[0].check.points[0]: "host:br9": no command of the lab creates an interface br9, and host has none at the start (it has lo, eth0)',
  ]);
  // Baseline interfaces, and interfaces a command creates, are fine.
  t.deepEqual(
    problemsOf(
      (l) =>
        (l.steps[0].check = observe(['host:eth0', 'wan:up0'], ping('host', WAN.dns)).expect(
          'host:eth0',
          icmp.echoRequest(),
        )),
    ),
    [],
  );
});
