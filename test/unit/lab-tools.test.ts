// A lab's declared tools: known ones only (exit 2 naming the field), and a missing one stops the run
// before anything is built (exit 3) with the Debian package to install.
import test from 'ava';
import { checkEnvironment } from '../../src/engine/preflight.js';
import { validateLab } from '../../src/engine/loader.js';
import { EnvironmentError, LabDefinitionError } from '../../src/errors.js';
import { defineLab, host, icmp, observe, ping, WAN } from '../../src/lab.js';
import { TOOL_PACKAGES } from '../../src/sys/tools.js';

const lab = (tools: unknown, extra: Record<string, unknown> = {}) => ({
  ...defineLab({
    id: '93-tools',
    title: 'tools',
    summary: 'fixture',
    topology: { containers: {} },
    steps: [
      {
        id: 's',
        title: 't',
        explain: 'e',
        run: [host('conntrack -L')],
        check: observe(['host:eth0'], ping('host', WAN.dns)).expect('host:eth0', icmp.echoReply),
      },
    ],
  }),
  tools,
  ...extra,
});

test('a lab may declare tools the runner knows; any other is refused naming tools[i] (exit 2)', (t) => {
  t.deepEqual(validateLab(lab(['conntrack', 'tcpdump']), 'x.ts').tools, ['conntrack', 'tcpdump']);
  const e = t.throws(() => validateLab(lab(['conntrack', 'conntrak']), 'x.ts'), { instanceOf: LabDefinitionError });
  t.is(e?.exitCode, 2);
  t.true(
    e?.problems.some((p) => p.startsWith('tools[1]: "conntrak" is not a tool the runner knows (known: ')),
    e?.problems.join('\n'),
  );
  const notList = t.throws(() => validateLab(lab('conntrack'), 'x.ts'), { instanceOf: LabDefinitionError });
  t.true(notList?.problems.includes("tools: must be a list of command names, e.g. ['conntrack']"));
  const port = t.throws(() => validateLab(lab([], { vxlanPort: 70000 }), 'x.ts'), { instanceOf: LabDefinitionError });
  t.true(port?.problems.includes('vxlanPort: 70000 is not a UDP port (1..65535)'));
  t.is(TOOL_PACKAGES.conntrack, 'conntrack', 'the conntrack command comes from the conntrack package');
});

test('a declared tool missing on the machine stops the run with exit 3 and the package to install', (t) => {
  TOOL_PACKAGES['lab-test-absent-tool'] = 'lab-test-package';
  try {
    const def = validateLab(lab(['lab-test-absent-tool']), 'x.ts');
    const e = t.throws(() => checkEnvironment(def), { instanceOf: EnvironmentError });
    t.is(e?.exitCode, 3);
    t.is(e?.message, 'missing tool: lab-test-absent-tool');
    t.regex(e?.hint ?? '', /apt-get install -y lab-test-package/);
  } finally {
    delete TOOL_PACKAGES['lab-test-absent-tool'];
  }
});
