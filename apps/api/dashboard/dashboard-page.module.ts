import { Module } from '@nestjs/common';
import { DashboardPageController } from './dashboard-page.controller';

/** The instructor dashboard: static HTML/CSS/JS over the class and lab routes. */
@Module({ controllers: [DashboardPageController] })
export class DashboardPageModule {}
