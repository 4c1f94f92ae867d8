// The headers every response carries: a strict Content-Security-Policy (nothing inline, nothing from
// elsewhere), no framing, no sniffing, no referrer (a teacher's address carries a token after #).
import type { FastifyInstance } from 'fastify';

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

// Adds the headers to every reply, errors included.
export function securityHeaders(app: FastifyInstance, tls: boolean): void {
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('content-security-policy', CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cross-origin-opener-policy', 'same-origin');
    if (req.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    if (tls) reply.header('strict-transport-security', 'max-age=31536000');
    return payload;
  });
}
