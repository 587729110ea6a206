import { Injectable } from '@nestjs/common';
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { LtiRepository } from '../../../libs/persistence/lti.repository';
import { Claim } from '../../../libs/lti/lti-claims';
import { LtiStateStore } from './lti-state.store';
import { LtiRefusal } from './lti-refusal';

export const LTI_VERSION = '1.3.0';
export const MessageType = { resourceLink: 'LtiResourceLinkRequest', deepLinking: 'LtiDeepLinkingRequest' } as const;

type Platform = NonNullable<Awaited<ReturnType<LtiRepository['findPlatform']>>>;
type Deployment = NonNullable<Awaited<ReturnType<LtiRepository['findDeployment']>>>;

/** A launch that passed every check: who, from where, and the claims NetLabs acts on. */
export interface VerifiedLaunch {
  platform: Platform;
  deployment: Deployment;
  messageType: (typeof MessageType)[keyof typeof MessageType];
  sub: string;
  name?: string;
  locale?: string;
  roles: string[];
  context?: { id: string; title?: string; label?: string };
  resourceLinkId?: string;
  custom: Record<string, unknown>;
  ags?: { lineitem?: string; scope: string[] };
  deepLinking?: { returnUrl: string; data?: string };
}

/** How long after its expiry a launch's nonce is remembered past the token's own lifetime. */
const CLOCK_TOLERANCE_S = 5;

/**
 * Checks a launch (the id_token the platform form-posts with the state) as LTI 1.3 asks:
 * state bound to this browser, signature by the platform's JWKS with RS256 only, iss,
 * aud/azp, exp, the nonce of this login used once, a known deployment, version,
 * message type, resource link and roles. Every refusal says which check failed.
 */
@Injectable()
export class LtiLaunchVerifier {
  private readonly jwksByUrl = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  constructor(
    private readonly registrations: LtiRepository,
    private readonly states: LtiStateStore,
  ) {}

  async verify(form: { id_token?: unknown; state?: unknown }, cookies: Record<string, string>): Promise<VerifiedLaunch> {
    if (typeof form.id_token !== 'string' || !form.id_token) throw new LtiRefusal('the launch carries no id_token (expected a form post from the LMS)');
    if (typeof form.state !== 'string' || !form.state) throw new LtiRefusal('the launch carries no state');
    const state = form.state;
    if (cookies[stateCookieName(state)] !== state) {
      throw new LtiRefusal(
        'state mismatch: this browser did not start this launch (no state cookie for it). Start again from the course; if it keeps failing, the browser may block cookies in embedded pages: open the activity in a new window',
        401,
      );
    }
    const login = await this.states.login(state);
    if (!login) throw new LtiRefusal('this launch\'s login has expired or is unknown (state not found): start again from the course', 401);
    const platform = await this.registrations.findPlatform(login.platformId);
    if (!platform) throw new LtiRefusal('the platform of this login is no longer registered', 401);

    const payload = await this.checkSignature(form.id_token, platform);
    const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (aud.length > 1 && payload.azp === undefined) throw new LtiRefusal(`the id_token names several audiences (${aud.join(', ')}) and no azp: NetLabs needs azp = its client_id ${platform.clientId}`, 401);
    if (payload.azp !== undefined && payload.azp !== platform.clientId) throw new LtiRefusal(`the id_token's azp "${String(payload.azp)}" is not NetLabs' client_id ${platform.clientId}`, 401);
    if (payload.nonce !== login.nonce) throw new LtiRefusal('the id_token\'s nonce is not the one NetLabs sent for this login', 401);
    const lifetime = (payload.exp ?? 0) - Math.floor(Date.now() / 1000) + CLOCK_TOLERANCE_S;
    if (!(await this.states.useNonce(login.nonce, lifetime))) throw new LtiRefusal('replayed launch: this id_token\'s nonce was already used', 401);

    const deploymentId = payload[Claim.deploymentId];
    if (typeof deploymentId !== 'string' || !deploymentId) throw new LtiRefusal('the id_token has no deployment_id claim');
    const deployment = await this.registrations.findDeployment(platform.id, deploymentId);
    if (!deployment) throw new LtiRefusal(`unknown deployment "${deploymentId}" of ${platform.issuer}: an administrator must add it to NetLabs (POST /lti/platforms/${platform.id}/deployments)`, 403);
    if (deployment.revokedAt) throw new LtiRefusal(`deployment "${deploymentId}" of ${platform.issuer} was revoked in NetLabs on ${deployment.revokedAt.toISOString()}`, 403);
    const version = payload[Claim.version];
    if (version !== LTI_VERSION) throw new LtiRefusal(`LTI version "${String(version)}" is not supported: NetLabs speaks LTI ${LTI_VERSION}`);
    const messageType = payload[Claim.messageType];
    if (messageType !== MessageType.resourceLink && messageType !== MessageType.deepLinking) {
      throw new LtiRefusal(`message_type "${String(messageType)}" is not one NetLabs handles (${MessageType.resourceLink}, ${MessageType.deepLinking})`);
    }
    const roles = payload[Claim.roles];
    if (!Array.isArray(roles) || roles.some((r) => typeof r !== 'string')) throw new LtiRefusal('the id_token has no roles claim (a list of role URIs)');
    if (typeof payload.sub !== 'string' || !payload.sub) throw new LtiRefusal('the id_token has no sub: NetLabs needs to know who the user is (anonymous launches are not supported)');
    const link = payload[Claim.resourceLink] as { id?: unknown } | undefined;
    if (messageType === MessageType.resourceLink && (typeof link?.id !== 'string' || !link.id)) throw new LtiRefusal('the launch has no resource_link id (required for LtiResourceLinkRequest)');
    const context = payload[Claim.context] as { id?: unknown; title?: unknown; label?: unknown } | undefined;
    const ags = payload[Claim.ags] as { lineitem?: unknown; scope?: unknown } | undefined;
    const settings = payload[Claim.deepLinkingSettings] as { deep_link_return_url?: unknown; data?: unknown } | undefined;
    if (messageType === MessageType.deepLinking && typeof settings?.deep_link_return_url !== 'string') throw new LtiRefusal('the deep-linking request has no deep_link_return_url');
    return {
      platform,
      deployment,
      messageType,
      sub: payload.sub,
      name: typeof payload.name === 'string' ? payload.name : undefined,
      locale: typeof payload.locale === 'string' ? payload.locale : undefined,
      roles: roles as string[],
      context: typeof context?.id === 'string' ? { id: context.id, title: str(context.title), label: str(context.label) } : undefined,
      resourceLinkId: str(link?.id),
      custom: (payload[Claim.custom] as Record<string, unknown> | undefined) ?? {},
      ags: ags ? { lineitem: str(ags.lineitem), scope: Array.isArray(ags.scope) ? ags.scope.filter((s): s is string => typeof s === 'string') : [] } : undefined,
      deepLinking: settings ? { returnUrl: settings.deep_link_return_url as string, data: str(settings.data) } : undefined,
    };
  }

  private async checkSignature(token: string, platform: Platform): Promise<JWTPayload> {
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new LtiRefusal('the id_token is not a JWT');
    }
    if (header.alg !== 'RS256') throw new LtiRefusal(`the id_token is signed with alg "${String(header.alg)}": NetLabs accepts RS256 only`, 401);
    try {
      const { payload } = await jwtVerify(token, this.jwks(platform.jwksUrl), {
        algorithms: ['RS256'],
        issuer: platform.issuer,
        audience: platform.clientId,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['exp', 'iat', 'nonce'],
      });
      return payload;
    } catch (error) {
      throw new LtiRefusal(explain(error, header.kid, platform), 401);
    }
  }

  private jwks(url: string) {
    let set = this.jwksByUrl.get(url);
    if (!set) {
      set = createRemoteJWKSet(new URL(url), { timeoutDuration: 10_000, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
      this.jwksByUrl.set(url, set);
    }
    return set;
  }
}

export const stateCookieName = (state: string) => `lti_state_${state}`;

const str = (value: unknown) => (typeof value === 'string' ? value : undefined);

function explain(error: unknown, kid: string | undefined, platform: Platform): string {
  if (error instanceof errors.JWTExpired) return `the id_token has expired (exp ${new Date(Number(error.payload.exp) * 1000).toISOString()})`;
  if (error instanceof errors.JWKSNoMatchingKey) return `the platform's key set (${platform.jwksUrl}) has no key with kid "${kid ?? '(none)'}"`;
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return `the id_token's aud does not include NetLabs' client_id ${platform.clientId}`;
    if (error.claim === 'iss') return `the id_token's iss is not ${platform.issuer}`;
    return `the id_token's ${error.claim} claim is wrong: ${error.reason}`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the id_token\'s signature does not verify with the platform\'s key';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the id_token is not signed with RS256';
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || error instanceof errors.JOSENotSupported) {
    return `the platform's key set (${platform.jwksUrl}) could not be read: ${error.message}`;
  }
  if (error instanceof errors.JOSEError) return `the id_token is not valid: ${error.message}`;
  return `the platform's key set (${platform.jwksUrl}) could not be fetched: ${error instanceof Error ? error.message : String(error)}`;
}
