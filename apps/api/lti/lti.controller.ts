import { Body, CallHandler, Controller, ExecutionContext, Get, Injectable, NestInterceptor, Post, Query, Req, Res, UseFilters, UseInterceptors } from '@nestjs/common';
import { urlencoded, type Request, type Response } from 'express';
import { Public } from '../common/auth.guard';
import { ApiDoc } from '../docs/api-doc';
import { ToolKeys } from '../../../libs/lti/tool-keys.service';
import { LtiLaunchVerifier } from './lti-launch-verifier';
import { type LaunchOutcome, LtiLaunchService } from './lti-launch.service';
import { autoPostPage, chooserPage } from './lti-pages';
import { LtiRefusalFilter } from './lti-refusal';

const formParser = urlencoded({ extended: false, limit: '64kb' });

/** Platforms form-post logins and launches: parse the form before the handler (the API's own parser is JSON only). */
@Injectable()
class FormBody implements NestInterceptor {
  async intercept(context: ExecutionContext, next: CallHandler) {
    const http = context.switchToHttp();
    await new Promise<void>((resolve, reject) => formParser(http.getRequest(), http.getResponse(), (error?: unknown) => (error ? reject(error) : resolve())));
    return next.handle();
  }
}

/**
 * LTI 1.3, the browser side: the tool's JWKS, OIDC login initiation, the launch and the
 * deep-linking answer. Public (platforms and users' browsers call them); every refusal is an
 * HTML page with its reason (LtiRefusalFilter).
 */
@Controller('lti')
@Public()
@UseFilters(LtiRefusalFilter)
export class LtiController {
  constructor(
    private readonly keys: ToolKeys,
    private readonly verifier: LtiLaunchVerifier,
    private readonly launches: LtiLaunchService,
  ) {}

  /** The tool's public keys (current and previous), for platforms verifying its signatures. */
  @ApiDoc({ summary: "LTI 1.3: the tool's public keys (current and previous), for platforms verifying its signatures", tag: 'lti', responses: { 200: 'A JWKS' } })
  @Get('jwks')
  async jwks(@Res() res: Response) {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json(await this.keys.jwks());
  }

  @ApiDoc({ summary: 'LTI 1.3: OIDC third-party login initiation (from the platform), redirects to its auth endpoint with state and nonce', tag: 'lti', responses: { 302: 'To the platform', 400: { description: 'HTML (a refusal says why)', contentType: 'text/html' } } })
  @Get('login')
  loginGet(@Query() query: Record<string, unknown>, @Res() res: Response) {
    return this.login(query, res);
  }

  @ApiDoc({ summary: 'LTI 1.3: OIDC login initiation, form-posted', tag: 'lti', responses: { 302: 'To the platform', 400: { description: 'HTML (a refusal says why)', contentType: 'text/html' } } })
  @Post('login')
  @UseInterceptors(FormBody)
  loginPost(@Body() body: Record<string, unknown>, @Query() query: Record<string, unknown>, @Res() res: Response) {
    return this.login({ ...query, ...(body ?? {}) }, res);
  }

  @ApiDoc({ summary: "LTI 1.3: the launch (form-posted id_token): a learner to their lab's page, an instructor to the class dashboard, deep linking to the chooser", tag: 'lti', responses: { 303: 'To the lab page or dashboard', 200: { description: 'HTML (a refusal says why)', contentType: 'text/html' }, 401: { description: 'HTML (a refusal says why)', contentType: 'text/html' } } })
  @Post('launch')
  @UseInterceptors(FormBody)
  async launch(@Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response) {
    const launch = await this.verifier.verify(body ?? {}, parseCookies(req.headers.cookie));
    // The login is done with: its cookie goes (the nonce is spent anyway).
    res.append('Set-Cookie', `${this.launches.stateCookie(String(body.state)).split(';')[0]!.split('=')[0]}=; Path=/lti; Max-Age=0`);
    this.answer(res, await this.launches.act(launch));
  }

  /** The instructor's choice on the deep-linking page. */
  @ApiDoc({ summary: "LTI 1.3 deep linking: the instructor's choice, answered with a signed LtiDeepLinkingResponse (auto-posted form)", tag: 'lti', responses: { 200: { description: 'HTML (a refusal says why)', contentType: 'text/html' } } })
  @Post('deep-link')
  @UseInterceptors(FormBody)
  async deepLink(@Body() body: Record<string, unknown>, @Res() res: Response) {
    this.answer(res, await this.launches.deepLinkAnswer(body?.ticket, body?.lab));
  }

  private async login(params: Record<string, unknown>, res: Response) {
    const { redirect, cookie } = await this.launches.login(params);
    res.append('Set-Cookie', cookie);
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(302, redirect);
  }

  private answer(res: Response, outcome: LaunchOutcome): void {
    res.setHeader('Cache-Control', 'no-store');
    if (outcome.kind === 'redirect') return res.redirect(303, outcome.url);
    if (outcome.kind === 'choose') return chooserPage(res, '/lti/deep-link', outcome.ticket, outcome.labs);
    autoPostPage(res, outcome.url, outcome.fields);
  }
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return out;
}
