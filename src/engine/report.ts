// The engine's words for a check: tshark-like verdict lines that every text front end prints.
export { formatCheckReport, formatMatcher } from '../check/format.js';
