import { createHash, randomBytes } from 'node:crypto';

/**
 * A one-time secret that opens (or takes back) a terminal session. Only its hash is kept
 * (in Redis, terminal-directory.ts), so whoever reads Redis cannot open a terminal with it.
 */
export function newTicket(): { ticket: string; hash: string } {
  const ticket = randomBytes(24).toString('base64url');
  return { ticket, hash: hashTicket(ticket) };
}

export const hashTicket = (ticket: string): string => createHash('sha256').update(ticket).digest('hex');
