// Packet words for front ends that lay out a check themselves (the walkthrough): flows as
// tshark-like lines, the chatter a view folds, and the side-by-side view of a rewrite.
export { formatFlow, formatMatcher, formatRewrites, shownFlowsAt } from '../check/format.js';
