import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, publicBaseUrl } from '../../../libs/config/app-config';
import { ClassRepository } from '../../../libs/persistence/class.repository';
import { InstructorSessionRepository } from '../../../libs/persistence/instructor-session.repository';
import { hashToken, newInstructorToken } from '../common/tokens';

/** How long a dashboard link opens its class unless asked otherwise: a teaching day. */
export const DASHBOARD_LINK_MINUTES = 12 * 60;

export interface DashboardLink {
  /** The dashboard with the token in the fragment, which browsers never send to the server. */
  url: string;
  token: string;
  expiresAt: string;
}

/**
 * Mints the links that open one class's instructor dashboard: for the admin
 * (POST /classes/:id/dashboard-links) and for an LTI instructor launch. The token opens that
 * class and its labs as an `instructor` actor (TokenResolver), and nothing else.
 */
@Injectable()
export class DashboardLinksService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly classes: ClassRepository,
    private readonly sessions: InstructorSessionRepository,
  ) {}

  async issue(classId: string, by: { source: 'admin' | 'lti'; subject?: string; minutes?: number }): Promise<DashboardLink> {
    if (!(await this.classes.isLive(classId))) throw new NotFoundException(`class ${classId} not found`);
    const token = newInstructorToken();
    const expiresAt = new Date(Date.now() + (by.minutes ?? DASHBOARD_LINK_MINUTES) * 60_000);
    await this.sessions.create({ classId, tokenHash: hashToken(token), source: by.source, subject: by.subject, expiresAt });
    const url = `${publicBaseUrl(this.config)}/dashboard#class=${classId}&token=${encodeURIComponent(token)}`;
    return { url, token, expiresAt: expiresAt.toISOString() };
  }
}
