// Decoded packets and assembled flows: the vocabulary shared by capture, check and reporters.

export type L4Proto = 'arp' | 'icmp' | 'icmp6' | 'tcp' | 'udp' | 'ip' | 'other';

export interface EthernetInfo {
  src: string; // aa:bb:cc:dd:ee:ff
  dst: string;
  type: number; // ethertype after any VLAN tag
}

export interface ArpInfo {
  op: 'request' | 'reply' | 'other';
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

export interface IpInfo {
  version: 4 | 6;
  src: string; // IPv6 in compressed RFC 5952 form
  dst: string;
  ttl: number; // hop limit for IPv6
  proto: number; // protocol / next header after extension headers
  len: number; // total length of the IP datagram
}

export interface IcmpInfo {
  version: 4 | 6;
  type: number;
  code: number;
  name: string; // echo-request, echo-reply, dest-unreachable, neighbor-solicitation, ...
  id?: number; // echo id
  seq?: number; // echo sequence
  target?: string; // neighbor solicitation/advertisement target address
  mtu?: number; // fragmentation needed (ICMP 3/4) and packet too big (ICMPv6 2): the next hop's MTU
}

// IPv4's flags and fragment offset (every IPv4 packet); IPv6's fragment header (only when there is one).
export interface FragInfo {
  df: boolean; // don't fragment (IPv4; always false for IPv6, which routers never fragment)
  more: boolean; // more fragments follow
  offset: number; // fragment offset in bytes
}

// The tunnel header a UDP packet carries (VXLAN on 4789 or a lab's port, Geneve on 6081).
export interface TunnelInfo {
  kind: 'vxlan' | 'geneve';
  vni: number;
}

export interface TcpInfo {
  sport: number;
  dport: number;
  flags: string; // canonical comma list in tshark order: SYN,ACK / RST,ACK / FIN,ACK / PSH,ACK / ACK
  seq: number;
  ack: number;
  payloadLen: number;
}

export interface UdpInfo {
  sport: number;
  dport: number;
  payloadLen: number;
}

// A DNS message over UDP: its one question, and for a response the rcode and A/AAAA addresses.
export interface DnsInfo {
  id: number;
  response: boolean;
  rcode: number; // 0 NOERROR, 3 NXDOMAIN ...
  name: string; // the question's name, without the final dot ('' for the root)
  qtype: string; // A, AAAA, ... or TYPE<n>
  answers: string[]; // a response's A and AAAA addresses, in order
}

export interface HttpInfo {
  method?: string; // request line
  path?: string;
  status?: number; // response line
}

export interface Packet {
  tsUs: number; // capture time, microseconds since the epoch
  caplen: number;
  len: number; // original length on the wire
  proto: L4Proto; // the innermost protocol decoded
  eth?: EthernetInfo;
  arp?: ArpInfo;
  ip?: IpInfo;
  icmp?: IcmpInfo;
  tcp?: TcpInfo;
  udp?: UdpInfo;
  http?: HttpInfo;
  dns?: DnsInfo;
  payload?: string; // TCP/UDP payload, first 256 bytes as latin1 (payload matchers)
  frag?: FragInfo;
  tunnel?: TunnelInfo;
  inner?: Packet; // the frame the tunnel carries, decoded as a packet of its own
}

export interface Endpoint {
  addr: string; // IP address, or MAC for non-IP frames
  port?: number;
}

// One direction of a flow.
export interface FlowSide {
  packets: number;
  bytes: number;
  ttls: number[]; // distinct, in order of first appearance
  kinds: string[]; // distinct packet kinds in order: echo-request, SYN, SYN,ACK, who-has, HTTP GET /, HTTP 200 ...
  kindCounts: Record<string, number>;
}

// A conversation as seen at one capture point; `a` is the endpoint that sent first.
export interface Flow {
  key: string;
  proto: L4Proto;
  a: Endpoint;
  b: Endpoint;
  fwd: FlowSide; // a -> b
  rev: FlowSide; // b -> a
  firstUs: number;
  lastUs: number;
  tunnel?: TunnelInfo; // a tunnel's flow: both directions paired by endpoints and VNI
}

// Raw frame as delivered by libpcap (the buffer is owned by the receiver).
export interface RawFrame {
  tsUs: number;
  caplen: number;
  len: number;
  data: Buffer;
}

export const LINKTYPE_ETHERNET = 1;
