// Whether the libpcap binding is built, without loading it into the runner (the capture children load it).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// Why captures cannot start, or undefined when the compiled binding is in place.
export function pcapBindingProblem(): string | undefined {
  let main: string;
  try {
    main = createRequire(import.meta.url).resolve('pcap');
  } catch (err) {
    return `the pcap package is not installed (${(err as Error).message.split('\n')[0]})`;
  }
  const binding = join(dirname(main), 'build', 'Release', 'pcap_binding.node');
  return existsSync(binding) ? undefined : `the libpcap binding was never built (${binding} is missing)`;
}
