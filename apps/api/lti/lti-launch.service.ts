import { randomBytes } from 'node:crypto';
import { ConflictException, Inject, Injectable, Logger } from '@nestjs/common';
import { SignJWT } from 'jose';
import { APP_CONFIG, type AppConfig, publicBaseUrl } from '../../../libs/config/app-config';
import { LabCatalogue } from '../../../libs/labs/lab-catalogue';
import { Claim, isInstructor, isLearner } from '../../../libs/lti/lti-claims';
import { ToolKeys } from '../../../libs/lti/tool-keys.service';
import { ClassRepository } from '../../../libs/persistence/class.repository';
import { LtiRepository } from '../../../libs/persistence/lti.repository';
import { isUniqueViolation } from '../../../libs/persistence/prisma-errors';
import { ClassesService } from '../classes/classes.service';
import { DashboardLinksService } from '../instructors/dashboard-links.service';
import { LabsService } from '../labs/labs.service';
import { LTI_VERSION, MessageType, stateCookieName, type VerifiedLaunch } from './lti-launch-verifier';
import { LtiRefusal } from './lti-refusal';
import { LOGIN_TTL_S, LtiStateStore } from './lti-state.store';

/** The lab definition of a launch without a custom `lab` parameter. */
export const DEFAULT_LAB = 'docker-network';

export type LaunchOutcome =
  | { kind: 'redirect'; url: string }
  | { kind: 'choose'; ticket: string; labs: { id: string; title: string; steps: number }[] }
  | { kind: 'post'; url: string; fields: Record<string, string> };

/**
 * What a verified launch does: a learner lands in their own lab (class and lab made on the
 * first launch, a fresh token on every launch), an instructor on the class dashboard, a deep
 * linking request on the choice of a lab. Also the OIDC login initiation that precedes it.
 */
@Injectable()
export class LtiLaunchService {
  private readonly logger = new Logger(LtiLaunchService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registrations: LtiRepository,
    private readonly states: LtiStateStore,
    private readonly catalogue: LabCatalogue,
    private readonly classes: ClassesService,
    private readonly classRows: ClassRepository,
    private readonly labs: LabsService,
    private readonly dashboards: DashboardLinksService,
    private readonly keys: ToolKeys,
  ) {}

  get launchUrl(): string {
    return `${publicBaseUrl(this.config)}/lti/launch`;
  }

  /** Whether the state cookie must be third-party-proof (https) or can be a plain Lax one (http, a test or a lab machine). */
  stateCookie(state: string): string {
    const secure = publicBaseUrl(this.config).startsWith('https://');
    // An LMS form-posts the launch from its own site: only SameSite=None lets the cookie come
    // along, and browsers take that only with Secure (Partitioned: CHIPS, for LMS iframes).
    // Over http (same-site tests, development) Lax is what a browser keeps.
    const site = secure ? 'SameSite=None; Secure; Partitioned' : 'SameSite=Lax';
    return `${stateCookieName(state)}=${state}; Path=/lti; HttpOnly; Max-Age=${LOGIN_TTL_S}; ${site}`;
  }

  /** OIDC third-party login initiation: the platform's auth URL, with a state bound to this browser and a nonce. */
  async login(params: Record<string, unknown>): Promise<{ redirect: string; cookie: string }> {
    const get = (name: string) => (typeof params[name] === 'string' && params[name] ? (params[name] as string) : undefined);
    const iss = get('iss');
    const loginHint = get('login_hint');
    const target = get('target_link_uri');
    if (!iss || !loginHint || !target) throw new LtiRefusal('a login initiation needs iss, login_hint and target_link_uri');
    const clientId = get('client_id');
    const candidates = (await this.registrations.platformsOfIssuer(iss)).filter((p) => !clientId || p.clientId === clientId);
    if (candidates.length === 0) throw new LtiRefusal(`no platform is registered in NetLabs for issuer ${iss}${clientId ? ` and client_id ${clientId}` : ''}`, 403);
    if (candidates.length > 1) throw new LtiRefusal(`issuer ${iss} has several registrations in NetLabs: the platform must send client_id`, 400);
    const platform = candidates[0]!;
    if (!sameOrigin(target, publicBaseUrl(this.config))) throw new LtiRefusal(`target_link_uri ${target} is not on NetLabs' own address ${publicBaseUrl(this.config)}`);
    const deploymentId = get('lti_deployment_id');
    if (deploymentId) {
      const deployment = await this.registrations.findDeployment(platform.id, deploymentId);
      if (!deployment || deployment.revokedAt) throw new LtiRefusal(`deployment "${deploymentId}" of ${iss} is ${deployment ? 'revoked' : 'not known'} in NetLabs`, 403);
    }
    const state = randomBytes(24).toString('base64url');
    const nonce = randomBytes(24).toString('base64url');
    await this.states.saveLogin(state, { platformId: platform.id, nonce });
    const auth = new URL(platform.authLoginUrl);
    const query: Record<string, string | undefined> = {
      scope: 'openid',
      response_type: 'id_token',
      response_mode: 'form_post',
      prompt: 'none',
      client_id: platform.clientId,
      redirect_uri: this.launchUrl,
      login_hint: loginHint,
      lti_message_hint: get('lti_message_hint'),
      state,
      nonce,
    };
    for (const [key, value] of Object.entries(query)) if (value !== undefined) auth.searchParams.set(key, value);
    return { redirect: auth.toString(), cookie: this.stateCookie(state) };
  }

  async act(launch: VerifiedLaunch): Promise<LaunchOutcome> {
    const instructor = isInstructor(launch.roles);
    if (launch.messageType === MessageType.deepLinking) {
      if (!instructor) throw new LtiRefusal('only an instructor can add a NetLabs lab to a course', 403);
      return this.chooser(launch);
    }
    if (!launch.context) throw new LtiRefusal('the launch has no context (course): NetLabs makes one class per course');
    const classId = await this.classFor(launch);
    if (instructor) {
      const link = await this.dashboards.issue(classId, { source: 'lti', subject: launch.sub });
      return { kind: 'redirect', url: link.url };
    }
    return { kind: 'redirect', url: await this.studentLab(classId, launch) };
  }

  /** Deep linking answer: the chosen lab as an LTI resource link with a line item, signed by the tool. */
  async deepLinkAnswer(ticketId: unknown, labId: unknown): Promise<LaunchOutcome> {
    const ticket = typeof ticketId === 'string' ? await this.states.takeTicket(ticketId) : null;
    if (!ticket) throw new LtiRefusal('this choice has expired or was already sent: start again from the course', 400);
    const definition = typeof labId === 'string' ? this.catalogue.get(labId) : undefined;
    if (!definition) throw new LtiRefusal(`unknown lab "${String(labId)}"`);
    const platform = await this.registrations.findPlatform(ticket.platformId);
    if (!platform) throw new LtiRefusal('the platform of this request is no longer registered', 403);
    const signing = await this.keys.signing();
    const title = definition.title.en;
    const jwt = await new SignJWT({
      nonce: randomBytes(16).toString('base64url'),
      [Claim.messageType]: 'LtiDeepLinkingResponse',
      [Claim.version]: LTI_VERSION,
      [Claim.deploymentId]: ticket.deploymentId,
      ...(ticket.data !== undefined ? { [Claim.deepLinkingData]: ticket.data } : {}),
      [Claim.contentItems]: [
        {
          type: 'ltiResourceLink',
          title,
          url: this.launchUrl,
          custom: { lab: definition.id },
          lineItem: { scoreMaximum: definition.steps.length, label: title, resourceId: definition.id },
        },
      ],
    })
      .setProtectedHeader({ alg: 'RS256', kid: signing.kid, typ: 'JWT' })
      .setIssuer(platform.clientId)
      .setAudience(platform.issuer)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(signing.key);
    return { kind: 'post', url: ticket.returnUrl, fields: { JWT: jwt } };
  }

  private async chooser(launch: VerifiedLaunch): Promise<LaunchOutcome> {
    const ticket = randomBytes(24).toString('base64url');
    await this.states.saveTicket(ticket, {
      platformId: launch.platform.id,
      deploymentId: launch.deployment.deploymentId,
      returnUrl: launch.deepLinking!.returnUrl,
      data: launch.deepLinking!.data,
    });
    return { kind: 'choose', ticket, labs: this.catalogue.list().map((d) => ({ id: d.id, title: d.title.en, steps: d.steps.length })) };
  }

  /** The class of the launch's course (and lab definition), made on the first launch. */
  private async classFor(launch: VerifiedLaunch): Promise<string> {
    const requested = launch.custom.lab ?? launch.custom.netlabs_lab;
    const labDefinitionId = typeof requested === 'string' && requested ? requested : DEFAULT_LAB;
    if (!this.catalogue.get(labDefinitionId)) throw new LtiRefusal(`the activity asks for lab "${labDefinitionId}", which NetLabs does not have`);
    const context = launch.context!;
    const existing = await this.registrations.classOfContext(launch.deployment.id, context.id, labDefinitionId);
    if (existing) return existing;
    const created = await this.classes.create({
      name: context.title ?? context.label ?? `LTI course ${context.id}`,
      labDefinitionId,
      students: [],
      language: launch.locale?.toLowerCase().startsWith('fr') ? 'fr' : 'en',
    });
    try {
      await this.registrations.linkContext({ deploymentRowId: launch.deployment.id, contextId: context.id, labDefinitionId, classId: created.id, title: context.title });
      this.logger.log(`class ${created.id} made for course ${context.id} of ${launch.platform.issuer}`);
      return created.id;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // Two first launches at once: the other one linked its class first; ours goes.
      await this.classes.remove(created.id);
      const other = await this.registrations.classOfContext(launch.deployment.id, context.id, labDefinitionId);
      if (!other) throw error;
      return other;
    }
  }

  /** The learner's lab page with a fresh token: the lab made on the first launch, the same lab afterwards. */
  private async studentLab(classId: string, launch: VerifiedLaunch): Promise<string> {
    let student = await this.classRows.findStudent(classId, launch.sub);
    let url: string | undefined;
    if (!student) {
      try {
        const added = await this.classes.addStudents(classId, { students: [{ externalId: launch.sub, displayName: launch.name?.slice(0, 200) }] });
        url = added.labs[0]!.url;
      } catch (error) {
        if (!(error instanceof ConflictException)) throw error;
      }
      student = await this.classRows.findStudent(classId, launch.sub);
    }
    const lab = student?.lab;
    if (!lab) throw new LtiRefusal('NetLabs could not make a lab for this student', 500);
    // The launch itself is the LMS vouching for the student: rotated as the admin would.
    url ??= (await this.labs.rotateToken({ kind: 'admin' }, lab.id)).url;
    await this.registrations.saveGradeTarget({
      labId: lab.id,
      deploymentRowId: launch.deployment.id,
      userId: launch.sub,
      lineItemUrl: launch.ags?.lineitem ?? null,
      scopes: launch.ags?.scope ?? [],
      roles: launch.roles,
    });
    if (!isLearner(launch.roles)) this.logger.warn(`lab ${lab.id}: launched by ${launch.sub} with roles ${launch.roles.join(' ')}: no grade will be passed back`);
    return url;
  }
}

function sameOrigin(url: string, base: string): boolean {
  try {
    return new URL(url).origin === new URL(base).origin;
  } catch {
    return false;
  }
}
