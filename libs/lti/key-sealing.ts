import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * The tool's private keys are kept in Postgres, sealed with AES-256-GCM under a key derived
 * from LTI_KEY_SECRET: every API and worker process on every machine reads the same keys
 * (a directory of files would have to be copied to each), and a database dump alone does
 * not give them away.
 */
export function sealKey(secret: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(secret), iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

/** Throws when the secret is not the one that sealed it (or the text was altered). */
export function openKey(secret: string, sealed: string): string {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a sealed key');
  const decipher = createDecipheriv('aes-256-gcm', keyOf(secret), Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}

function keyOf(secret: string): Buffer {
  return createHash('sha256').update(`netlabs-lti-keys:${secret}`).digest();
}
