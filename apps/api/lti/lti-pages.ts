import { randomBytes } from 'node:crypto';
import type { Response } from 'express';

/** The HTML NetLabs answers an LMS's browser with: refusals, the deep-linking choice, auto-posted forms. */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;color:#1d2330;line-height:1.5}
h1{font-size:1.4rem}.reason{background:#fdecea;border-left:4px solid #c0392b;padding:.75rem 1rem}
button{font:inherit;padding:.4rem .9rem;margin:.25rem 0;cursor:pointer}li{margin:.5rem 0}small{color:#5a6270}`;

function page(res: Response, status: number, title: string, body: string, csp: string): void {
  res.status(status);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Security-Policy', csp);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
  res.send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`);
}

const BASE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors *";

/** A launch NetLabs refused: the reason, in words a teacher or an LMS administrator can act on. */
export function refusalPage(res: Response, status: number, reason: string, requestId?: string): void {
  page(
    res,
    status,
    'NetLabs: launch refused',
    `<h1>NetLabs could not open this activity</h1><p class="reason" id="reason">${escapeHtml(reason)}</p>` +
      `<p><small>Launch again from your course. If it keeps failing, show this message to the administrator of your LMS` +
      `${requestId ? ` (request ${escapeHtml(requestId)})` : ''}.</small></p>`,
    `${BASE_CSP}; form-action 'none'`,
  );
}

/** Deep linking: the instructor picks the lab to add to the course. */
export function chooserPage(res: Response, action: string, ticket: string, labs: { id: string; title: string; steps: number }[]): void {
  const items = labs
    .map(
      (lab) =>
        `<li><form method="post" action="${escapeHtml(action)}"><input type="hidden" name="ticket" value="${escapeHtml(ticket)}">` +
        `<input type="hidden" name="lab" value="${escapeHtml(lab.id)}"><button type="submit">${escapeHtml(lab.title)}</button> ` +
        `<small>${lab.steps} steps, graded out of ${lab.steps}</small></form></li>`,
    )
    .join('');
  page(res, 200, 'NetLabs: choose a lab', `<h1>Add a NetLabs lab to your course</h1><ul>${items}</ul>`, `${BASE_CSP}; form-action 'self'`);
}

/** A form posted at once to `action` (the deep-linking answer to the platform); a button when scripts are off. */
export function autoPostPage(res: Response, action: string, fields: Record<string, string>): void {
  const nonce = randomBytes(16).toString('base64');
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  page(
    res,
    200,
    'NetLabs: back to your course',
    `<form id="answer" method="post" action="${escapeHtml(action)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form>` +
      `<script nonce="${nonce}">document.getElementById('answer').submit()</script>`,
    `${BASE_CSP}; script-src 'nonce-${nonce}'; form-action ${new URL(action).origin}`,
  );
}
