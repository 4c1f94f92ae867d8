// Secrets of a class: 128-bit bearer tokens, compared in constant time, and a class code short enough
// to type. The store keeps only a token's SHA-256, so a copy of the database lets nobody in.
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

// Letters and digits nobody confuses when read off a projector (no 0/O, 1/I/L).
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const CODE_LENGTH = 6;

// A new bearer token: 16 random bytes, base64url (22 characters).
export function newToken(): string {
  return randomBytes(16).toString('base64url');
}

// A new class code.
export function newCode(): string {
  return Array.from({ length: CODE_LENGTH }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');
}

// What the store keeps of a token.
export function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

// Equal secrets, in time that does not depend on where they differ (both are hashed to one length first).
export function sameSecret(given: string, known: string): boolean {
  return timingSafeEqual(tokenHash(given), tokenHash(known));
}

// Equal hashes in constant time (a stored hash against a presented token's).
export function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

// The token of an `Authorization: Bearer <token>` header, or undefined.
export function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer ([A-Za-z0-9_-]{1,64})$/.exec(header ?? '');
  return m?.[1];
}
