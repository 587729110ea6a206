import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service';

export interface NewLtiPlatform {
  issuer: string;
  clientId: string;
  name?: string;
  authLoginUrl: string;
  tokenUrl: string;
  jwksUrl: string;
  deployments: string[];
}

/** LTI registrations (platforms, deployments), course contexts and the tool's keys. */
@Injectable()
export class LtiRepository {
  constructor(private readonly prisma: PrismaService) {}

  createPlatform(input: NewLtiPlatform) {
    const { deployments, ...platform } = input;
    return this.prisma.ltiPlatform.create({
      data: { ...platform, deployments: { create: deployments.map((deploymentId) => ({ deploymentId })) } },
      include: { deployments: true },
    });
  }

  listPlatforms() {
    return this.prisma.ltiPlatform.findMany({ include: { deployments: { orderBy: { createdAt: 'asc' } } }, orderBy: { createdAt: 'asc' } });
  }

  findPlatform(id: string) {
    return this.prisma.ltiPlatform.findUnique({ where: { id } });
  }

  /** Registrations of an issuer (Canvas cloud: one issuer, many client ids). */
  platformsOfIssuer(issuer: string) {
    return this.prisma.ltiPlatform.findMany({ where: { issuer } });
  }

  /** A deployment (re-)enabled: a revoked one comes back. */
  addDeployment(platformId: string, deploymentId: string) {
    return this.prisma.ltiDeployment.upsert({
      where: { platformId_deploymentId: { platformId, deploymentId } },
      create: { platformId, deploymentId },
      update: { revokedAt: null },
    });
  }

  async revokeDeployment(platformId: string, deploymentId: string): Promise<boolean> {
    const { count } = await this.prisma.ltiDeployment.updateMany({ where: { platformId, deploymentId, revokedAt: null }, data: { revokedAt: new Date() } });
    return count === 1 || (await this.prisma.ltiDeployment.count({ where: { platformId, deploymentId } })) === 1;
  }

  findDeployment(platformId: string, deploymentId: string) {
    return this.prisma.ltiDeployment.findUnique({ where: { platformId_deploymentId: { platformId, deploymentId } } });
  }

  /** The live class of a course context (a deleted class is a course NetLabs no longer serves: a new one is made). */
  async classOfContext(deploymentRowId: string, contextId: string, labDefinitionId: string): Promise<string | null> {
    const row = await this.prisma.ltiContext.findUnique({
      where: { deploymentRowId_contextId_labDefinitionId: { deploymentRowId, contextId, labDefinitionId } },
      include: { class: { select: { deletedAt: true } } },
    });
    if (!row) return null;
    if (row.class.deletedAt) {
      await this.prisma.ltiContext.delete({ where: { id: row.id } });
      return null;
    }
    return row.classId;
  }

  /** Links a class to a course context; throws a unique violation when another launch linked one first. */
  async linkContext(input: { deploymentRowId: string; contextId: string; labDefinitionId: string; classId: string; title?: string }): Promise<void> {
    await this.prisma.ltiContext.create({ data: input });
  }

  /** Where the lab's score goes, from the student's latest launch. */
  async saveGradeTarget(input: { labId: string; deploymentRowId: string; userId: string; lineItemUrl: string | null; scopes: string[]; roles: string[] }): Promise<void> {
    const { labId, ...data } = input;
    await this.prisma.ltiGradeTarget.upsert({ where: { labId }, create: input, update: data });
  }

  gradeTarget(labId: string) {
    return this.prisma.ltiGradeTarget.findUnique({ where: { labId }, include: { deployment: { include: { platform: true } } } });
  }

  /** The tool's keys, newest first. */
  keys(limit: number) {
    return this.prisma.ltiKey.findMany({ orderBy: { createdAt: 'desc' }, take: limit });
  }

  async addKey(key: { kid: string; publicJwk: object; privateKey: string }): Promise<void> {
    await this.prisma.ltiKey.create({ data: key });
  }
}
