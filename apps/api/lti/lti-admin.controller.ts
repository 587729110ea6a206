import { Body, ConflictException, Controller, Delete, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { ToolKeys } from '../../../libs/lti/tool-keys.service';
import { LtiRepository } from '../../../libs/persistence/lti.repository';
import { isUniqueViolation } from '../../../libs/persistence/prisma-errors';
import { AdminOnly } from '../common/auth.guard';
import { ApiDoc } from '../docs/api-doc';
import { UuidPipe } from '../common/uuid.pipe';
import { ZodBodyPipe } from '../common/zod-body.pipe';
import { type AddDeploymentBody, addDeploymentSchema, type CreatePlatformBody, createPlatformSchema } from './lti-admin.schemas';

/** Registrations of LMS platforms and their deployments, and the tool's key rotation (admin token). */
@Controller('lti')
@AdminOnly()
export class LtiAdminController {
  constructor(
    private readonly registrations: LtiRepository,
    private readonly keys: ToolKeys,
  ) {}

  @ApiDoc({ summary: 'Register an LMS platform (issuer, client id, its login, token and JWKS urls) and its deployments', tag: 'lti', responses: { 201: 'The platform', 409: 'Already registered' } })
  @Post('platforms')
  async create(@Body(new ZodBodyPipe(createPlatformSchema)) body: CreatePlatformBody) {
    try {
      return await this.registrations.createPlatform({ ...body, deployments: [...new Set(body.deployments)] });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictException(`a platform with issuer ${body.issuer} and clientId ${body.clientId} is already registered`);
      throw error;
    }
  }

  @ApiDoc({ summary: 'The registered platforms and their deployments', tag: 'lti', responses: { 200: 'The platforms' } })
  @Get('platforms')
  list() {
    return this.registrations.listPlatforms();
  }

  @ApiDoc({ summary: 'Add a deployment to a platform', tag: 'lti', responses: { 201: 'The deployment', 404: 'No such platform' } })
  @Post('platforms/:id/deployments')
  async addDeployment(@Param('id', new UuidPipe()) id: string, @Body(new ZodBodyPipe(addDeploymentSchema)) body: AddDeploymentBody) {
    if (!(await this.registrations.findPlatform(id))) throw new NotFoundException(`platform ${id} not found`);
    return this.registrations.addDeployment(id, body.deploymentId);
  }

  /** Revokes a deployment: its launches are refused and no grade goes through it (recorded failed). */
  @ApiDoc({ summary: 'Revoke a deployment: its launches are refused, its grades recorded failed', tag: 'lti', responses: { 200: 'The deployment', 404: 'No such deployment' } })
  @Delete('platforms/:id/deployments/:deploymentId')
  @HttpCode(200)
  async revokeDeployment(@Param('id', new UuidPipe()) id: string, @Param('deploymentId') deploymentId: string) {
    if (!(await this.registrations.revokeDeployment(id, deploymentId))) throw new NotFoundException(`deployment ${deploymentId} of platform ${id} not found`);
    return this.registrations.findDeployment(id, deploymentId);
  }

  /** A new signing key; the previous one stays published until the next rotation. */
  @ApiDoc({ summary: "Rotate the tool's signing key (the previous one stays published until the next rotation)", tag: 'lti', responses: { 201: 'The new key id' } })
  @Post('keys/rotate')
  rotate() {
    return this.keys.rotate();
  }
}
