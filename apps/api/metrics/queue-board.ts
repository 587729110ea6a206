import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Queue } from 'bullmq';
import type { NextFunction, Request, Response } from 'express';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import { isAdminBearer } from '../../../libs/metrics/metrics-auth';
import { QueueName } from '../../../libs/queue/jobs';
import { ADMIN_COOKIE, cookieValue, isValidAdminSession } from './admin-session';

export const BOARD_PATH = '/admin/queues';

/**
 * bull-board's page links a Google font: the link is taken out of the page (externalLinksOut)
 * and this CSP would stop it anyway. The board fetches nothing from outside; its own files
 * are served from node_modules.
 */
const BOARD_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/**
 * The operator's view of the BullMQ queues (bull-board), mounted on the API's Express app
 * at /admin/queues behind the admin cookie (POST /admin/session) or the admin bearer token.
 * Not a Nest route: mounted when the module starts, before Nest's not-found handler.
 */
@Injectable()
export class QueueBoard implements OnModuleInit {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly adapterHost: HttpAdapterHost,
    @InjectQueue(QueueName.Labs) private readonly labs: Queue,
    @InjectQueue(QueueName.Steps) private readonly steps: Queue,
    @InjectQueue(QueueName.Maintenance) private readonly maintenance: Queue,
  ) {}

  onModuleInit(): void {
    const server = new ExpressAdapter();
    server.setBasePath(BOARD_PATH);
    createBullBoard({
      queues: [this.labs, this.steps, this.maintenance].map((queue) => new BullMQAdapter(queue)),
      serverAdapter: server,
      options: { uiConfig: { boardTitle: 'NetLabs queues' } },
    });
    const board = server.getRouter() as ViewEngineHost & { disable(setting: string): void };
    // bull-board is an Express app of its own: it would say what the server runs on (create-api.ts).
    board.disable('x-powered-by');
    externalLinksOut(board);
    const app = this.adapterHost.httpAdapter.getInstance<{ use(path: string, ...handlers: unknown[]): void }>();
    app.use(BOARD_PATH, (req: Request, res: Response, next: NextFunction) => this.admit(req, res, next), server.getRouter());
  }

  private admit(req: Request, res: Response, next: NextFunction): void {
    const token = this.config.ADMIN_TOKEN;
    if (isValidAdminSession(cookieValue(req.headers.cookie, ADMIN_COOKIE), token) || isAdminBearer(req.headers.authorization, token)) {
      res.setHeader('Content-Security-Policy', BOARD_CSP);
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Referrer-Policy', 'no-referrer');
      return next();
    }
    if (req.method === 'GET' && (req.headers.accept ?? '').includes('text/html')) {
      res.redirect(303, '/admin/login');
      return;
    }
    res.status(401).json({ statusCode: 401, error: 'Unauthorized', message: 'the admin cookie (POST /admin/session) or the admin bearer token is required' });
  }
}

type Render = (file: string, options: object, done: (error: Error | null, html?: string) => void) => void;
interface ViewEngineHost {
  engines: Record<string, Render>;
  engine(ext: string, render: Render): void;
}

/** Wraps the board's view engine: `<link>`s to another origin (the font) are removed from the page. */
function externalLinksOut(board: ViewEngineHost): void {
  const render = board.engines['.ejs'];
  if (!render) throw new Error('bull-board no longer renders with ejs: check externalLinksOut');
  board.engine('ejs', (file, options, done) => render(file, options, (error, html) => done(error, html?.replace(/<link\b[^>]*\bhref="https?:\/\/[^"]*"[^>]*>/gi, ''))));
}
