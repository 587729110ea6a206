/**
 * The credential a lab's console presents to the gateway: `<labId>.<hmac>`, sent by the
 * docker CLI in a header (HttpHeaders of its config.json). It is derived, not stored: the
 * gateway recomputes the HMAC with a secret only NetLabs holds, so a student who reads
 * their own credential learns nothing about another lab's.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const CREDENTIAL_HEADER = 'x-netlabs-lab';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const mac = (secret: string, labId: string) => createHmac('sha256', secret).update(`gateway:${labId}`).digest('base64url');

export function labCredential(secret: string, labId: string): string {
  return `${labId}.${mac(secret, labId)}`;
}

/** The lab id a credential proves, or null. */
export function verifyCredential(secret: string, credential: string | undefined): string | null {
  if (!credential) return null;
  const [labId, given, ...rest] = credential.split('.');
  if (rest.length || !labId || !given || !UUID.test(labId)) return null;
  const expected = Buffer.from(mac(secret, labId));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected) ? labId : null;
}

/** The secret of lab credentials: GATEWAY_SECRET, else one derived from the admin token. */
export function gatewaySecret(config: { GATEWAY_SECRET?: string; ADMIN_TOKEN: string }): string {
  return config.GATEWAY_SECRET ?? createHmac('sha256', config.ADMIN_TOKEN).update('netlabs-gateway-secret').digest('hex');
}
