import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiDoc } from '../docs/api-doc';
import { SkipThrottle } from '@nestjs/throttler';
import type { Response } from 'express';
import { Public } from '../common/auth.guard';
import { UuidPipe } from '../common/uuid.pipe';
import { assets, pageFile } from './student-page.assets';

/**
 * Scripts from this origin only, no inline script: instructions are data from the lab
 * definition and are rendered with textContent, and this is the second fence. xterm.js
 * sets inline styles, hence 'unsafe-inline' for styles only.
 */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/**
 * The student page. The files carry no secret: the lab token travels in the url fragment
 * (`#token=...`), which browsers never send, and the page's script calls the REST API with it.
 */
@Controller()
@Public()
// Static files: a class behind one school address loads them all at once; the API routes keep
// their limits. 'per-token' is the throttler's name (common/rate-limit.ts).
@SkipThrottle({ 'per-token': true })
export class StudentPageController {
  @ApiDoc({ summary: 'The student page: lab id and token, then the lab', tag: 'student page', responses: { 200: { description: 'HTML', contentType: 'text/html' } } })
  @Get()
  landing(@Res() res: Response) {
    this.page(res, pageFile('landing.html'));
  }

  @ApiDoc({ summary: "A student's lab page (the token travels in the url fragment #token=, never sent)", tag: 'student page', responses: { 200: { description: 'HTML', contentType: 'text/html' } } })
  @Get('labs/:id/page')
  labPage(@Param('id', new UuidPipe()) _id: string, @Res() res: Response) {
    this.page(res, pageFile('lab-page.html'));
  }

  @ApiDoc({ summary: "The student page's scripts and styles (xterm.js from node_modules)", tag: 'student page', responses: { 200: 'The file', 404: 'No such asset' } })
  @Get('assets/:name')
  asset(@Param('name') name: string, @Res() res: Response) {
    const asset = assets().get(name);
    if (!asset) throw new NotFoundException(`no asset ${name}`);
    res.setHeader('Content-Type', asset.type);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'public, max-age=300');
    this.send(res, asset.file);
  }

  private page(res: Response, file: string): void {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    this.send(res, file);
  }

  private send(res: Response, file: string): void {
    res.sendFile(file, (error?: Error) => {
      if (error && !res.headersSent) res.status(404).json({ statusCode: 404, error: 'Not Found', message: 'file missing on the server' });
    });
  }
}
