import { Controller, Param, Post } from '@nestjs/common';
import { AdminOnly } from '../common/auth.guard';
import { ApiDoc } from '../docs/api-doc';
import { UuidPipe } from '../common/uuid.pipe';
import { DashboardLinksService } from './dashboard-links.service';

@Controller('classes')
@AdminOnly()
export class DashboardLinksController {
  constructor(private readonly links: DashboardLinksService) {}

  /** A link to the class's dashboard for an instructor who has no admin token (shown once). */
  @ApiDoc({ summary: "A link opening the class's instructor dashboard, for an instructor without the admin token (token shown once)", tag: 'classes', responses: { 201: '{url, token, expiresAt}', 404: 'No such class' } })
  @Post(':id/dashboard-links')
  issue(@Param('id', new UuidPipe()) id: string) {
    return this.links.issue(id, { source: 'admin' });
  }
}
