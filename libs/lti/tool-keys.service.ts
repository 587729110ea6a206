import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { exportJWK, exportPKCS8, generateKeyPair, importPKCS8, type JWK } from 'jose';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { LtiRepository } from '../persistence/lti.repository';
import { openKey, sealKey } from './key-sealing';

/** How long a process trusts its copy of the keys: a rotation reaches every process within this. */
const CACHE_MS = 30_000;
/** Keys published: the current one and the one before it (tokens signed just before a rotation still verify). */
const PUBLISHED = 2;

export interface SigningKey {
  kid: string;
  key: CryptoKey;
}

/**
 * The tool's RS256 keys: the newest signs (deep-linking answers, AGS client assertions), the
 * two newest are published at /lti/jwks. Rotation adds a key; the oldest published one drops
 * off at the next rotation. Shared by the API and the worker through Postgres (key-sealing.ts).
 */
@Injectable()
export class ToolKeys {
  private readonly logger = new Logger(ToolKeys.name);
  private cache?: { at: number; signing: SigningKey; jwks: JWK[] };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: LtiRepository,
  ) {}

  /** The key to sign with now (made on first use). */
  async signing(): Promise<SigningKey> {
    return (await this.load()).signing;
  }

  /** The public keys platforms verify our signatures with. */
  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: (await this.load()).jwks };
  }

  /** A new current key; the previous one stays published until the next rotation. */
  async rotate(): Promise<{ kid: string; published: string[] }> {
    const kid = await this.generate();
    this.cache = undefined;
    const { jwks } = await this.load();
    return { kid, published: jwks.map((k) => k.kid!) };
  }

  private async load() {
    if (this.cache && Date.now() - this.cache.at < CACHE_MS) return this.cache;
    let rows = await this.repository.keys(PUBLISHED);
    let signing = rows.length ? await this.open(rows[0]!) : null;
    if (!signing) {
      // None yet, or the newest cannot be opened (LTI_KEY_SECRET changed): a new one, published at once.
      await this.generate();
      rows = await this.repository.keys(PUBLISHED);
      signing = await this.open(rows[0]!);
      if (!signing) throw new Error('the LTI key just made cannot be opened');
    }
    this.cache = { at: Date.now(), signing, jwks: rows.map((row) => row.publicJwk as JWK) };
    return this.cache;
  }

  private async open(row: { kid: string; privateKey: string }): Promise<SigningKey | null> {
    try {
      return { kid: row.kid, key: await importPKCS8(openKey(this.secret(), row.privateKey), 'RS256') };
    } catch (error) {
      this.logger.warn(`LTI key ${row.kid} cannot be opened with this LTI_KEY_SECRET (${String(error)}); a new key takes over`);
      return null;
    }
  }

  private async generate(): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const kid = `nl-${new Date().toISOString().slice(0, 10)}-${randomBytes(6).toString('hex')}`;
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    await this.repository.addKey({ kid, publicJwk, privateKey: sealKey(this.secret(), await exportPKCS8(privateKey)) });
    this.logger.log(`LTI signing key ${kid} made`);
    return kid;
  }

  private secret(): string {
    return this.config.LTI_KEY_SECRET ?? `lti-keys:${this.config.ADMIN_TOKEN}`;
  }
}
