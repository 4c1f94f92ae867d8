#!/usr/bin/env node
// dnsd: a tiny DNS server over UDP, enough to play a resolver on the internet or Docker's embedded DNS.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { addressType, buildAnswer, parseQuery, RCODE, typeName, type Question } from './dns-wire.js';
import { runTool, TOOL_EXIT, usageError } from './tool-error.js';

const HELP = `dnsd: a tiny DNS server over UDP in this network namespace

Usage:
  dnsd [--listen ADDR] [--port N] [--forward ADDR] NAME=ADDR ...
  dnsd --help

  --listen ADDR   the address to listen on (default 0.0.0.0: every IPv4 address here)
  --port N        the UDP port (default 53; 0: one the kernel picks, said on the first line)
  --forward ADDR  ask the server at ADDR, port 53, for names not given here, and relay its answer
                  (without it such names get NXDOMAIN)
  NAME=ADDR       answer NAME with ADDR: an A record for IPv4, AAAA for IPv6 (repeat a name for more)

A name given here gets its records, or none of the type asked (NODATA); every query and what it got
is one line on stdout. It answers over UDP only, one question per query, as a stub resolver asks.`;

const FORWARD_WAIT_MS = 2000; // how long a relayed query waits for the upstream answer

interface Options {
  listen: string;
  port: number;
  forward?: string;
  names: Map<string, string[]>;
}

// Reads the command line; a bad argument is a usage error that names it.
function parseArgs(argv: string[]): Options | undefined {
  const o: Options = { listen: '0.0.0.0', port: 53, names: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw usageError(`${a} needs a value`);
      return v;
    };
    if (a === '--help' || a === '-h') return undefined;
    else if (a === '--listen') o.listen = address(value(), '--listen');
    else if (a === '--forward') o.forward = address(value(), '--forward');
    else if (a === '--port') {
      const v = value();
      o.port = Number(v);
      if (!/^\d+$/.test(v) || o.port > 65535) throw usageError(`--port ${v}: not a port (0-65535)`);
    } else if (a.includes('=')) {
      const [name = '', addr = ''] = a.split('=', 2);
      if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(name)) throw usageError(`${a}: "${name}" is not a name`);
      if (addressType(addr) === undefined) throw usageError(`${a}: "${addr}" is not an IPv4 or IPv6 address`);
      const key = name.toLowerCase();
      o.names.set(key, [...(o.names.get(key) ?? []), addr]);
    } else throw usageError(`unknown argument ${a} (dnsd --help)`);
  }
  return o;
}

// An IP address argument, or a usage error naming the option.
function address(v: string, opt: string): string {
  if (!isIP(v)) throw usageError(`${opt} ${v}: not an IP address`);
  return v;
}

// What dnsd says about one query: "A www.example.com? from 10.0.2.15: 203.0.113.80".
const line = (q: Question, from: RemoteInfo, said: string): string =>
  `${typeName(q.qtype)} ${q.name}? from ${from.address}:${from.port}: ${said}\n`;

// Answers one query from the names given, or relays it upstream.
function answer(sock: Socket, o: Options, msg: Buffer, from: RemoteInfo): void {
  const q = parseQuery(msg);
  if (!q) return;
  const known = o.names.get(q.name);
  if (known || !o.forward) {
    const addrs = (known ?? []).filter((a) => addressType(a) === q.qtype);
    sock.send(buildAnswer(msg, q, addrs, known ? RCODE.ok : RCODE.nxDomain), from.port, from.address);
    process.stdout.write(line(q, from, known ? addrs.join(' ') || 'no record of that type' : 'NXDOMAIN'));
    return;
  }
  relay(sock, o.forward, msg, q, from);
}

// Sends the query on to `upstream` from a fresh port and passes its answer back unchanged.
function relay(sock: Socket, upstream: string, msg: Buffer, q: Question, from: RemoteInfo): void {
  const up = createSocket(isIP(upstream) === 6 ? 'udp6' : 'udp4');
  const done = (said: string): void => {
    clearTimeout(timer);
    up.close();
    process.stdout.write(line(q, from, said));
  };
  const timer = setTimeout(() => done(`no answer from ${upstream}`), FORWARD_WAIT_MS);
  up.on('error', (e) => done(`relay to ${upstream} failed: ${e.message}`));
  up.on('message', (reply) => {
    sock.send(reply, from.port, from.address);
    done(`relayed to ${upstream}`);
  });
  up.send(msg, 53, upstream);
}

// Parses the arguments, then listens until killed.
function main(argv: string[]): number {
  const o = parseArgs(argv);
  if (!o) {
    process.stdout.write(`${HELP}\n`);
    return TOOL_EXIT.ok;
  }
  // The log is for a person watching: when its reader is gone (a kept sandbox outlives the run that
  // started dnsd), writing fails with EPIPE, and dnsd keeps answering without it.
  process.stdout.on('error', () => undefined);
  const sock = createSocket(isIP(o.listen) === 6 ? 'udp6' : 'udp4');
  sock.on('message', (msg, from) => answer(sock, o, msg, from));
  sock.on('error', (e) => {
    process.stderr.write(`dnsd: ${o.listen}:${o.port}: ${e.message}\n`);
    process.exit(TOOL_EXIT.environment);
  });
  sock.bind(o.port, o.listen, () =>
    process.stdout.write(`dnsd: listening on ${o.listen}:${sock.address().port} (UDP)\n`),
  );
  return TOOL_EXIT.ok;
}

runTool('dnsd', main);
