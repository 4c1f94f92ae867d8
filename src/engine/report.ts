// The engine's words for a check: tshark-like verdict lines that every text front end prints.
export {
  findRewrites,
  formatCheckReport,
  formatFlow,
  formatMatcher,
  formatViews,
  isNoise,
  lookRead,
  matchersAt,
  type Rewrite,
} from '../check/format.js';
export { describePacket, packetParts } from '../capture/decode.js';
export { formatEndpoint } from '../capture/endpoint.js';
