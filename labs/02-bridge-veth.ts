import { defineLab } from '../src/lab.js';
import { bridgeStep, C, vethStep } from './shared/runbook.js';

export default defineLab({
  id: '02-bridge-veth',
  title: 'A bridge and a veth pair: wiring a container to the host',
  summary: 'Build br0 on the host, plug the container in with a veth pair, and watch ARP and ping cross it.',
  topology: { containers: { [C]: {} } },
  steps: [bridgeStep, vethStep],
});
