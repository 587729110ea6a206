import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import type { Response } from 'express';
import { Public } from '../common/auth.guard';
import { ApiDoc } from './api-doc';
import { DOCS_ASSETS, docsPage } from './docs.assets';
import { OpenApiService } from './openapi.service';

/** Everything from this origin: nothing is fetched from a CDN, the document never leaves (no online validator). */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** The API's description: the OpenAPI document and a page to read it (public, like the contract it describes). */
@Controller()
@Public()
@SkipThrottle({ 'per-token': true })
export class DocsController {
  constructor(private readonly openApi: OpenApiService) {}

  @Get('openapi.json')
  @ApiDoc({ summary: 'This document (OpenAPI 3.0), generated from the routes and the zod schemas that validate their bodies', tag: 'docs' })
  document() {
    return this.openApi.get();
  }

  @Get('docs')
  @ApiDoc({ summary: 'A page to read this document (Swagger UI, served from this server)', tag: 'docs', responses: { 200: { description: 'HTML', contentType: 'text/html' } } })
  page(@Res() res: Response): void {
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    this.send(res, docsPage());
  }

  @Get('docs/assets/:name')
  @ApiDoc({ summary: "The docs page's scripts and styles", tag: 'docs', responses: { 200: 'The file', 404: 'No such asset' } })
  asset(@Param('name') name: string, @Res() res: Response): void {
    const asset = DOCS_ASSETS.get(name);
    if (!asset) throw new NotFoundException(`no asset ${name}`);
    res.setHeader('Content-Type', asset.type);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'public, max-age=300');
    this.send(res, asset.file());
  }

  private send(res: Response, file: string): void {
    res.sendFile(file, (error?: Error) => {
      if (error && !res.headersSent) res.status(404).json({ statusCode: 404, error: 'Not Found', message: 'file missing on the server' });
    });
  }
}
