import { Module } from '@nestjs/common';
import { ConfigModule } from '../config/config.module';
import { PersistenceModule } from '../persistence/persistence.module';
import { AgsClient } from './ags-client';
import { ToolKeys } from './tool-keys.service';

/** What the API (launches, JWKS, deep linking) and the worker (grade posts) share of LTI. */
@Module({
  imports: [ConfigModule, PersistenceModule],
  providers: [ToolKeys, AgsClient],
  exports: [ToolKeys, AgsClient],
})
export class LtiModule {}
