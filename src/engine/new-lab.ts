// `lab new NN-name`: a lab file to start from. It is valid, it passes, and it fails when its step is
// skipped, and its one declared mistake draws its hint, so `lab verify` passes on it before its author
// changes a line; it asks a prediction and carries two hints, as the teaching test wants of every lab.
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { UsageError } from '../errors.js';
import { writeOutputFile } from '../sys/output-file.js';
import { LABS_SRC } from './paths.js';

const ID = /^\d{2}-[a-z0-9-]+$/;
const API = ['..', 'src', 'lab.js'].join('/'); // the public API, as a lab in labs/ imports it

// The text of a new lab: a second node on a link, one step that gives the host its address, and one
// plausible mistake its check catches.
export function newLabText(id: string): string {
  return `// ${id}: written by \`lab new\`; see docs/authoring.md for every part used here.
import { defineLab, hint, host, icmp, link, observe, ping } from '${API}';

export default defineLab({
  id: '${id}',
  title: 'A second machine on a link (change me)',
  summary: 'A peer on its own link asks the host for an address the host does not have yet; one command gives it.',
  topology: {
    containers: {},
    nodes: { peer: { role: 'a machine on the same link as the host' } },
    // A veth pair, written node:iface <-> node:iface; the peer's end gets an address, the host's end none yet.
    links: [link('host:lan0 <-> peer:lan0', { 'peer:lan0': '192.0.2.2/24' })],
  },
  steps: [
    {
      id: 'address',
      title: 'Give the host an address on the link',
      explain:
        'The link is up at both ends, but only the peer has an address. Its pings to 192.0.2.1 go unanswered until the host ' +
        'puts that address on its end: then the host answers ARP for it, and the echo replies cross lan0.',
      // Asked before the step runs; the answer and why are shown after the packets.
      prediction: {
        question: 'Once the host has 192.0.2.1/24 on lan0, will the peer\\'s pings to it get replies?',
        choices: ['yes: the host answers ARP for 192.0.2.1, then the echo requests', 'no: the peer needs a route to the host first'],
        answer: 0,
        why: 'The peer already has 192.0.2.0/24 on the link, so it only needs an answer to its ARP request; the host gives it as soon as the address is on lan0.',
      },
      run: [host('ip addr add 192.0.2.1/24 dev lan0')],
      // A plausible wrong command and the hint the check must answer it with: \`lab verify\` runs it instead of run.
      mistakes: [{ run: [host('ip addr add 192.0.2.1/32 dev lan0')], hint: /192\\.0\\.2\\.1\\/24/, why: 'the address without its /24: no route back to the peer' }],
      check: observe(['host:lan0'], ping('peer', '192.0.2.1'))
        .expect('host:lan0', icmp.echoRequest({ src: '192.0.2.2', dst: '192.0.2.1' }), { min: 3, why: 'the peer asks' })
        .expect('host:lan0', icmp.echoReply({ src: '192.0.2.1', dst: '192.0.2.2' }), {
          min: 3,
          why: 'and the host answers',
          // The engine says the hint that fits what was seen: nothing at all, or any other failure.
          hints: [
            hint.notSeen('no reply on lan0: without 192.0.2.1/24 on lan0 the host has no route back to the peer (ip addr add 192.0.2.1/24 dev lan0)'),
            hint.failed('the replies are not the expected ones: is 192.0.2.1/24 on lan0, and on nothing else? (ip -br addr show dev lan0)'),
          ],
        }),
    },
  ],
});
`;
}

// Writes labs/NN-name.ts (or into `dir`) and returns its path; refuses a bad id or an existing file.
export function writeNewLab(id: string, dir = LABS_SRC): string {
  if (!ID.test(id))
    throw new UsageError(
      'BAD_LAB_ID',
      `lab id "${id}" must look like NN-name (two digits, then lowercase letters, digits and '-')`,
      'e.g. lab new 09-my-lab',
    );
  const file = join(dir, `${id}.ts`);
  if (existsSync(file))
    throw new UsageError(
      'LAB_EXISTS',
      `${relative(process.cwd(), file) || file} exists already`,
      'choose another id, or remove that file',
    );
  writeOutputFile(file, newLabText(id));
  return file;
}
