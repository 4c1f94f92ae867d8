// The lab as data: each command says its kind, wan's web server runs only when a probe or a command
// says it talks to it, and a hand-written command without a kind is refused naming the field.
import test from 'ava';
import { defineLab, host, observe, ping, service, tcpConnect, WAN } from '../../src/lab.js';
import { usesWanWeb, type LabDef } from '../../src/model/lab.js';
import { labProblems } from '../../src/model/validate.js';

// A one-step lab whose commands and probes are given.
function lab(run: LabDef['steps'][number]['run'], probe = ping('host', WAN.dns)): LabDef {
  return defineLab({
    id: '99-model',
    title: 'model',
    summary: '',
    topology: { containers: {} },
    steps: [
      { id: 'a', title: 'a', explain: 'Why.', run, check: observe(['host:eth0'], probe).expect('host:eth0', ip()) },
    ],
  });
}
const ip = () => ({ proto: 'ip' as const, label: 'IP', fields: {} });

test('a service says it is one; a line that mentions nc or curl is still just a line', (t) => {
  t.is(service('host', 'nc -l -p 80', 'true').kind, 'service');
  t.is(host('curl -s http://203.0.113.80/').kind, 'sh');
  t.false(usesWanWeb(lab([host('curl -s http://203.0.113.80/')])));
});

test("wan's web server runs when a command says it uses it, or a probe of a TCP kind is sent", (t) => {
  t.true(usesWanWeb(lab([host('curl -s http://203.0.113.80/', { usesWanWeb: true })])));
  t.true(usesWanWeb(lab([], tcpConnect('host', WAN.web, 80))));
  t.false(usesWanWeb(lab([])));
});

test('a command without a kind, or with an unknown one, is refused naming the field', (t) => {
  const bad = lab([{ node: 'host', cmd: 'true' } as never, { kind: 'spawn', node: 'host', cmd: 'true' } as never]);
  const p = labProblems(bad, { knownTools: [] });
  t.true(
    p.some((x) => x.startsWith('steps[0].run[0].kind: undefined must be one of sh, service')),
    p.join('\n'),
  );
  t.true(
    p.some((x) => x.startsWith('steps[0].run[1].kind: "spawn"')),
    p.join('\n'),
  );
  t.deepEqual(labProblems(lab([host('true')]), { knownTools: [] }), []);
});
