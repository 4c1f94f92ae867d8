// A look with inWindow runs before the capture window closes: the packets its own command sends are judged
// with the rest. The same look without it runs after the window, and its packets are not there.
import test from '../helpers/root-test.js';
import { LabEvents } from '../../src/engine/events.js';
import { LabSession } from '../../src/engine/session.js';
import { defineLab, host, icmp, observe, WAN } from '../../src/lab.js';

const lab = (inWindow: boolean) =>
  defineLab({
    id: '92-look-window',
    title: 'a look whose own packets are judged',
    summary: 'fixture',
    topology: { containers: {} },
    steps: [
      {
        id: 'look',
        title: 'ping as a look',
        explain: 'the look pings wan; the check expects its echo request on eth0',
        run: [host('true', { readOnly: true })],
        check: observe(['host:eth0'])
          .look('host', `ping -c 1 -W 1 ${WAN.dns}`, { match: /1 received/, inWindow })
          .expect('host:eth0', icmp.echoRequest({ src: '10.0.2.15', dst: WAN.dns })),
      },
    ],
  });

async function run(inWindow: boolean) {
  const session = await LabSession.open({ def: lab(inWindow), file: 'look-window' }, { events: new LabEvents() });
  try {
    await session.runCommands('look');
    return await session.check('look');
  } finally {
    await session.close();
  }
}

test("inWindow: the look's own echo request is captured and judged; without it, it is not", async (t) => {
  t.timeout(120_000);
  const inside = await run(true);
  t.true(inside?.pass, JSON.stringify(inside?.expectations.map((e) => e.message)));
  t.is(inside?.looks[0]?.pass, true);
  const after = await run(false);
  t.is(after?.looks[0]?.pass, true, 'the look itself still works');
  t.false(after?.pass ?? true);
  t.regex(
    after?.expectations[0]?.message ?? '',
    /expected ICMP echo-request src=10\.0\.2\.15 dst=203\.0\.113\.8 at host:eth0: not seen/,
  );
});
