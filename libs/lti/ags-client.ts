import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { SignJWT } from 'jose';
import { AgsScope, SCORE_MEDIA_TYPE, scoresUrl } from './lti-claims';
import { ToolKeys } from './tool-keys.service';

/** A token is not used in its last seconds (a clock a little ahead on the LMS would refuse it). */
const EARLY_MS = 30_000;
const TIMEOUT_MS = 15_000;

export interface AgsPlatform {
  id: string;
  clientId: string;
  tokenUrl: string;
}

export interface Score {
  userId: string;
  scoreGiven: number;
  scoreMaximum: number;
  activityProgress: 'Initialized' | 'Started' | 'InProgress' | 'Submitted' | 'Completed';
  gradingProgress: 'FullyGraded' | 'Pending' | 'PendingManual' | 'Failed' | 'NotReady';
  timestamp: string;
}

/** The LMS did not take the score. `retryable`: worth trying again later (5xx, 429, network, an expired token). */
export class AgsError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/**
 * Assignment and Grade Services, the client side: an OAuth2 client-credentials token
 * obtained with a JWT client assertion signed by the tool's key (cached until it expires),
 * then the score POSTed to the line item's scores endpoint with the score media type.
 */
@Injectable()
export class AgsClient {
  private readonly logger = new Logger(AgsClient.name);
  private readonly tokens = new Map<string, { token: string; until: number }>();

  constructor(private readonly keys: ToolKeys) {}

  async postScore(platform: AgsPlatform, lineItem: string, score: Score): Promise<void> {
    const token = await this.token(platform, [AgsScope.score]);
    const url = scoresUrl(lineItem);
    const response = await this.send(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': SCORE_MEDIA_TYPE, accept: 'application/json' },
      body: JSON.stringify(score),
    });
    if (response.ok) return;
    const detail = await excerpt(response);
    this.logger.warn(`score for ${score.userId} refused by ${url}: HTTP ${response.status} ${detail}`);
    if (response.status === 401) this.tokens.delete(cacheKey(platform, [AgsScope.score]));
    throw new AgsError(`the LMS answered HTTP ${response.status} to the score${detail ? `: ${detail}` : ''}`, retryableStatus(response.status));
  }

  /** A cached access token for these scopes, or a new one. */
  async token(platform: AgsPlatform, scopes: string[]): Promise<string> {
    const key = cacheKey(platform, scopes);
    const cached = this.tokens.get(key);
    if (cached && cached.until > Date.now()) return cached.token;
    const signing = await this.keys.signing();
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: signing.kid, typ: 'JWT' })
      .setIssuer(platform.clientId)
      .setSubject(platform.clientId)
      // The exact token URL: Canvas refuses anything else (a trailing slash included).
      .setAudience(platform.tokenUrl)
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti(randomUUID())
      .sign(signing.key);
    const response = await this.send(platform.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
        scope: scopes.join(' '),
      }).toString(),
    });
    if (!response.ok) {
      const detail = await excerpt(response);
      this.logger.warn(`token refused by ${platform.tokenUrl}: HTTP ${response.status} ${detail}`);
      throw new AgsError(`the LMS refused an access token (HTTP ${response.status}${detail ? `: ${detail}` : ''})`, retryableStatus(response.status));
    }
    const body = (await response.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown };
    if (typeof body.access_token !== 'string') throw new AgsError('the LMS token endpoint answered without an access_token', true);
    const seconds = typeof body.expires_in === 'number' ? body.expires_in : 3600;
    this.tokens.set(key, { token: body.access_token, until: Date.now() + seconds * 1000 - EARLY_MS });
    return body.access_token;
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (error) {
      throw new AgsError(`the LMS at ${new URL(url).origin} could not be reached: ${error instanceof Error ? error.message : String(error)}`, true);
    }
  }
}

const cacheKey = (platform: AgsPlatform, scopes: string[]) => `${platform.id} ${[...scopes].sort().join(' ')}`;

/** 401 (an expired or revoked token: a new one is fetched), 408, 429 and 5xx may pass later; other refusals will not. */
function retryableStatus(status: number): boolean {
  return status === 401 || status === 408 || status === 429 || status >= 500;
}

async function excerpt(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}
