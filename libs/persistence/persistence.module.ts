import { Module } from '@nestjs/common';
import { AllocationRepository } from './allocation.repository';
import { AuditRepository } from './audit.repository';
import { ClassRepository } from './class.repository';
import { GradePostRepository } from './grade-post.repository';
import { HostRepository } from './host.repository';
import { InstructorSessionRepository } from './instructor-session.repository';
import { LtiRepository } from './lti.repository';
import { LabRepository } from './lab.repository';
import { PrismaService } from './prisma.service';
import { ProgressRepository } from './progress.repository';
import { StudentRepository } from './student.repository';
import { TerminalSessionRepository } from './terminal-session.repository';
import { WarmLabRepository } from './warm-lab.repository';

const repositories = [
  PrismaService,
  ClassRepository,
  LabRepository,
  AllocationRepository,
  ProgressRepository,
  HostRepository,
  AuditRepository,
  StudentRepository,
  TerminalSessionRepository,
  InstructorSessionRepository,
  WarmLabRepository,
  LtiRepository,
  GradePostRepository,
];

@Module({ providers: repositories, exports: repositories })
export class PersistenceModule {}
