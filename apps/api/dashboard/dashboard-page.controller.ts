import { sourceAssetsDir } from '../common/source-assets';
import path from 'node:path';
import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import type { Response } from 'express';
import { Public } from '../common/auth.guard';
import { ApiDoc } from '../docs/api-doc';
import { CSP } from '../student-page/student-page.controller';

const TYPES = { html: 'text/html; charset=utf-8', css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8' } as const;

/** The dashboard's own files, a fixed list (no path from a request ever reaches the disk). */
const ASSETS = new Map<string, string>([
  ['dashboard.js', TYPES.js],
  ['dashboard-grid.js', TYPES.js],
  ['dashboard-i18n.js', TYPES.js],
  ['dashboard.css', TYPES.css],
]);

/**
 * The instructor dashboard (`/dashboard`): static files, no secret in them. The admin token
 * or a dashboard link's token travels in the url fragment, which browsers never send; the
 * page calls the REST API with it (GET /classes, /classes/:id/progress, lab actions). It
 * shares the student page's stylesheet and words (/assets/student-page.css, /assets/i18n.js).
 */
@Controller('dashboard')
@Public()
@SkipThrottle({ 'per-token': true })
export class DashboardPageController {
  @ApiDoc({ summary: 'The instructor dashboard (admin token or a dashboard link in the url fragment, never sent)', tag: 'dashboard', responses: { 200: { description: 'HTML', contentType: 'text/html' } } })
  @Get()
  page(@Res() res: Response) {
    res.setHeader('Content-Type', TYPES.html);
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    this.send(res, 'dashboard.html');
  }

  @ApiDoc({ summary: "The dashboard's scripts and styles", tag: 'dashboard', responses: { 200: 'The file', 404: 'No such asset' } })
  @Get('assets/:name')
  asset(@Param('name') name: string, @Res() res: Response) {
    const type = ASSETS.get(name);
    if (!type) throw new NotFoundException(`no asset ${name}`);
    res.setHeader('Content-Type', type);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'public, max-age=300');
    this.send(res, name);
  }

  private send(res: Response, name: string): void {
    res.sendFile(path.join(dashboardAssetsDir(), name), (error?: Error) => {
      if (error && !res.headersSent) res.status(404).json({ statusCode: 404, error: 'Not Found', message: 'file missing on the server' });
    });
  }
}

/** apps/api/dashboard/assets: see sourceAssetsDir. */
export const dashboardAssetsDir = (): string => sourceAssetsDir('apps/api/dashboard/assets');
