// dnsd's DNS messages byte for byte (a stub resolver's query, its A, AAAA, NODATA and NXDOMAIN answers),
// and the tool itself answering over UDP on loopback.
import test from 'ava';
import { execa } from 'execa';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { buildAnswer, parseQuery, RCODE, TYPE_A, TYPE_AAAA, typeName } from '../../src/tools/dns-wire.js';
import { TOOLS } from '../helpers/netns.js';

// A query as glibc's stub resolver sends it: id, RD set, one question of class IN.
function query(id: number, name: string, qtype: number): Buffer {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const head = Buffer.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([head, ...labels, Buffer.from([0, qtype >> 8, qtype & 0xff, 0, 1])]);
}

test('a stub resolver query is read: id, RD, the name in lower case, type and class', (t) => {
  const q = parseQuery(query(0x2b3c, 'WWW.Example.com', TYPE_A));
  t.like(q, { id: 0x2b3c, rd: true, name: 'www.example.com', qtype: TYPE_A, qclass: 1, end: 33 });
  t.is(typeName(TYPE_AAAA), 'AAAA');
  t.is(typeName(99), 'TYPE99');
});

test('answers, responses, truncated and multi-question messages are not queries', (t) => {
  const q = query(1, 'www.example.com', TYPE_A);
  const answer = Buffer.from(q);
  answer[2] = 0x81; // QR set
  t.is(parseQuery(answer), undefined);
  t.is(parseQuery(q.subarray(0, 20)), undefined);
  const two = Buffer.from(q);
  two[5] = 2;
  t.is(parseQuery(two), undefined);
});

test('an A answer: QR AA RD RA, the question echoed, one record pointing at it, TTL 60, 4 bytes', (t) => {
  const msg = query(0x1234, 'www.example.com', TYPE_A);
  const q = parseQuery(msg)!;
  const a = buildAnswer(msg, q, ['203.0.113.80'], RCODE.ok);
  t.is(a.toString('hex', 0, 12), '123485800001000100000000');
  t.deepEqual(a.subarray(12, 33), msg.subarray(12, 33));
  t.is(a.toString('hex', 33), 'c00c000100010000003c0004cb007150');
});

test('an AAAA answer carries the 16 bytes of a compressed IPv6 address', (t) => {
  const msg = query(7, 'db', TYPE_AAAA);
  const a = buildAnswer(msg, parseQuery(msg)!, ['2001:db8::80'], RCODE.ok);
  t.is(a.toString('hex', a.length - 18), '001020010db8000000000000000000000080');
});

test('NODATA has no record and rcode 0; NXDOMAIN has rcode 3', (t) => {
  const msg = query(9, 'db', TYPE_AAAA);
  const q = parseQuery(msg)!;
  const nodata = buildAnswer(msg, q, [], RCODE.ok);
  t.is(nodata.readUInt16BE(6), 0);
  t.is(nodata.readUInt16BE(2) & 0xf, 0);
  t.is(buildAnswer(msg, q, [], RCODE.nxDomain).readUInt16BE(2) & 0xf, 3);
});

test('dnsd answers a name it was given and NXDOMAIN for another, over UDP on loopback', async (t) => {
  t.timeout(20_000);
  const d = execa(
    process.execPath,
    [`${TOOLS}dnsd.js`, '--listen', '127.0.0.1', '--port', '0', 'www.example.com=203.0.113.80'],
    {
      reject: false,
    },
  );
  try {
    const first = await new Promise<string>((resolve, reject) => {
      d.stdout?.once('data', (b: Buffer) => resolve(b.toString()));
      void d.then((r) => reject(new Error(`dnsd exited: ${r.stderr}`)));
    });
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(first)?.[1]);
    t.true(port > 0, first);
    const sock = createSocket('udp4');
    const ask = async (msg: Buffer): Promise<Buffer> => {
      sock.send(msg, port, '127.0.0.1');
      const [reply] = (await once(sock, 'message')) as [Buffer];
      return reply;
    };
    const a = await ask(query(0x4242, 'www.example.com', TYPE_A));
    t.is(a.readUInt16BE(0), 0x4242);
    t.is(a.readUInt16BE(6), 1);
    t.is(a.toString('hex', a.length - 4), 'cb007150');
    const nx = await ask(query(0x4343, 'nowhere.example', TYPE_A));
    t.is(nx.readUInt16BE(2) & 0xf, RCODE.nxDomain);
    sock.close();
  } finally {
    d.kill();
  }
  t.regex((await d).stdout, /A www\.example\.com\? from 127\.0\.0\.1:\d+: 203\.0\.113\.80/);
});

test('dnsd refuses a bad address with exit 2, naming the argument', async (t) => {
  const r = await execa(process.execPath, [`${TOOLS}dnsd.js`, 'db=300.1.2.3'], { reject: false });
  t.is(r.exitCode, 2);
  t.regex(r.stderr, /dnsd: db=300\.1\.2\.3: "300\.1\.2\.3" is not an IPv4 or IPv6 address/);
});

test('dnsd keeps answering when the reader of its log is gone (a kept sandbox outlives the run that started it)', async (t) => {
  t.timeout(20_000);
  const d = execa(process.execPath, [`${TOOLS}dnsd.js`, '--listen', '127.0.0.1', '--port', '0', 'db=172.17.0.2'], {
    reject: false,
  });
  try {
    const first = await new Promise<string>((resolve) => d.stdout?.once('data', (b: Buffer) => resolve(b.toString())));
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(first)?.[1]);
    d.stdout?.destroy();
    const sock = createSocket('udp4');
    const ask = async (id: number): Promise<Buffer | undefined> => {
      sock.send(query(id, 'db', TYPE_A), port, '127.0.0.1');
      const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 3000));
      const reply = once(sock, 'message').then(([m]) => m as Buffer);
      return Promise.race([reply, timeout]);
    };
    for (const id of [1, 2, 3]) t.is((await ask(id))?.readUInt16BE(0), id, `query ${id}`);
    sock.close();
  } finally {
    d.kill();
  }
});
