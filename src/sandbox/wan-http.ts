// The internet's web server, run inside `wan`: answers every GET with 200 and a line of text.
// Usage: node wan-http.js PORT   (prints "listening" once it accepts connections; dies with the sandbox)
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 80);
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
  res.end(`hello from the sandbox internet (${req.method} ${req.url})\n`);
});
// '::' with ipv6Only off: one socket answers IPv4 (as ::ffff:a.b.c.d) and IPv6.
server.listen({ port, host: '::', ipv6Only: false }, () => process.stdout.write('listening\n'));
