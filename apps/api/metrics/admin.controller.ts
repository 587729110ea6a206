import { Controller, Delete, Get, HttpCode, Inject, Post, Res } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import type { Response } from 'express';
import path from 'node:path';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import { AdminOnly, Public } from '../common/auth.guard';
import { ApiDoc } from '../docs/api-doc';
import { newAdminSession, sessionCookie } from './admin-session';
import { adminAssetsDir } from './admin.assets';

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/**
 * The browser's way in to the queue board: a browser cannot send a Bearer header when it
 * navigates, so the login page sends the token once (fetch, Authorization header: in no
 * url, no log) to POST /admin/session, which answers with a short-lived admin cookie.
 */
@Controller('admin')
export class AdminController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get('login')
  @Public()
  @SkipThrottle({ 'per-token': true })
  @ApiDoc({ summary: 'Page asking for the admin token, then opening the queue board', tag: 'operations', responses: { 200: { description: 'HTML', contentType: 'text/html' } } })
  login(@Res() res: Response): void {
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    res.sendFile(path.join(adminAssetsDir(), 'admin-login.html'));
  }

  @Get('login.js')
  @Public()
  @SkipThrottle({ 'per-token': true })
  @ApiDoc({ summary: "The login page's script", tag: 'operations', responses: { 200: { description: 'JavaScript', contentType: 'text/javascript' } } })
  loginScript(@Res() res: Response): void {
    res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.sendFile(path.join(adminAssetsDir(), 'admin-login.js'));
  }

  @Post('session')
  @AdminOnly()
  @HttpCode(204)
  @ApiDoc({
    summary: 'Trade the admin bearer token for the queue board cookie (HttpOnly, SameSite=Strict, Path=/admin, ADMIN_SESSION_MINUTES)',
    tag: 'operations',
    responses: { 204: 'Cookie set (Set-Cookie: netlabs_admin=...)' },
  })
  open(@Res({ passthrough: true }) res: Response): void {
    const session = newAdminSession(this.config.ADMIN_TOKEN, this.config.ADMIN_SESSION_MINUTES);
    res.setHeader('Set-Cookie', sessionCookie(session.value, session.maxAgeSeconds, this.config.PUBLIC_URL?.startsWith('https:') ?? false));
    res.setHeader('Cache-Control', 'no-store');
  }

  @Delete('session')
  @Public()
  @HttpCode(204)
  @ApiDoc({ summary: 'Forget the queue board cookie (log out)', tag: 'operations', responses: { 204: 'Cookie cleared' } })
  close(@Res({ passthrough: true }) res: Response): void {
    res.setHeader('Set-Cookie', sessionCookie('', 0, this.config.PUBLIC_URL?.startsWith('https:') ?? false));
  }
}
