import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWTPayload } from 'jose';

export const SCORE_TYPE = 'application/vnd.ims.lis.v1.score+json';

export interface ReceivedScore {
  url: string;
  contentType: string | undefined;
  body: { userId: string; scoreGiven: number; scoreMaximum: number; activityProgress: string; gradingProgress: string; timestamp: string };
}

/**
 * The LMS, played by the test: its own key pair and JWKS (/certs), a token endpoint that
 * checks the tool's client assertion against the tool's JWKS, and a line item shaped like
 * Moodle's (`/lineitems/5/lineitem?type_id=1`, scores at `/lineitems/5/lineitem/scores?type_id=1`).
 */
export class FakeLms {
  readonly clientId = 'netlabs-tool';
  readonly deploymentId = 'dep-1';
  url = '';
  private server?: Server;
  private keys!: { privateKey: CryptoKey; publicJwk: object };
  /** A key the platform never publishes (unknown kid). */
  strayKey!: CryptoKey;
  toolJwksUrl = '';
  readonly scores: ReceivedScore[] = [];
  readonly scoreAttempts: { status: number; contentType?: string }[] = [];
  readonly tokenRequests: { ok: boolean; error?: string }[] = [];
  private readonly issued = new Set<string>();
  /** The scores endpoint answers 503 this many times before it takes scores again. */
  failScores = 0;

  get issuer() {
    return this.url;
  }
  get lineItem() {
    return `${this.url}/lineitems/5/lineitem?type_id=1`;
  }

  async start(): Promise<void> {
    const pair = await generateKeyPair('RS256', { extractable: true });
    this.keys = { privateKey: pair.privateKey, publicJwk: { ...(await exportJWK(pair.publicKey)), kid: 'lms-1', alg: 'RS256', use: 'sig' } };
    this.strayKey = (await generateKeyPair('RS256')).privateKey;
    this.server = createServer((req, res) => void this.handle(req, res).catch((error) => send(res, 500, { error: String(error) })));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  registration() {
    return {
      issuer: this.issuer,
      clientId: this.clientId,
      name: 'fake Moodle',
      authLoginUrl: `${this.url}/auth`,
      tokenUrl: `${this.url}/token`,
      jwksUrl: `${this.url}/certs`,
      deployments: [this.deploymentId],
    };
  }

  /** An id_token as the platform signs it; `key`/`kid`/`alg` let a test sign it wrongly. */
  sign(payload: JWTPayload, options: { kid?: string; key?: CryptoKey | Uint8Array; alg?: string; expiresIn?: string | number } = {}): Promise<string> {
    const jwt = new SignJWT(payload)
      .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.kid ?? 'lms-1', typ: 'JWT' })
      .setIssuedAt(typeof options.expiresIn === 'number' && options.expiresIn < 0 ? Math.floor(Date.now() / 1000) + options.expiresIn - 60 : undefined);
    if (payload.exp === undefined) jwt.setExpirationTime(options.expiresIn ?? '5m');
    return jwt.sign(options.key ?? this.keys.privateKey);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url!, this.url);
    const body = await readBody(req);
    if (req.method === 'GET' && url.pathname === '/certs') return send(res, 200, { keys: [this.keys.publicJwk] });
    if (req.method === 'POST' && url.pathname === '/token') return this.token(res, new URLSearchParams(body));
    if (req.method === 'POST' && url.pathname === '/lineitems/5/lineitem/scores' && url.search === '?type_id=1') return this.score(req, res, body);
    send(res, 404, { error: `no ${req.method} ${url.pathname}${url.search}` });
  }

  private async token(res: ServerResponse, form: URLSearchParams): Promise<void> {
    try {
      if (form.get('grant_type') !== 'client_credentials') throw new Error('grant_type');
      if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') throw new Error('client_assertion_type');
      await jwtVerify(form.get('client_assertion') ?? '', createRemoteJWKSet(new URL(this.toolJwksUrl)), {
        algorithms: ['RS256'],
        issuer: this.clientId,
        subject: this.clientId,
        audience: `${this.url}/token`,
        requiredClaims: ['exp', 'iat', 'jti'],
      });
      if (!(form.get('scope') ?? '').split(' ').includes('https://purl.imsglobal.org/spec/lti-ags/scope/score')) throw new Error('scope');
    } catch (error) {
      this.tokenRequests.push({ ok: false, error: String(error) });
      return send(res, 401, { error: 'invalid_client', detail: String(error) });
    }
    const token = `tok-${this.issued.size + 1}`;
    this.issued.add(token);
    this.tokenRequests.push({ ok: true });
    send(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600, scope: form.get('scope') });
  }

  private score(req: IncomingMessage, res: ServerResponse, body: string): void {
    const contentType = req.headers['content-type'];
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (this.failScores > 0) {
      this.failScores--;
      this.scoreAttempts.push({ status: 503, contentType });
      return send(res, 503, { error: 'try later' });
    }
    if (!bearer || !this.issued.has(bearer)) {
      this.scoreAttempts.push({ status: 401, contentType });
      return send(res, 401, { error: 'no valid token' });
    }
    // Moodle refuses a score without its media type.
    if (contentType !== SCORE_TYPE) {
      this.scoreAttempts.push({ status: 415, contentType });
      return send(res, 415, { error: `expected ${SCORE_TYPE}` });
    }
    this.scoreAttempts.push({ status: 200, contentType });
    this.scores.push({ url: req.url!, contentType, body: JSON.parse(body) });
    send(res, 200, {});
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
