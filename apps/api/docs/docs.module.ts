import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { DocsController } from './docs.controller';
import { OpenApiService } from './openapi.service';

/** /openapi.json and /docs (see api-doc.ts: how a route gets into them). */
@Module({
  imports: [DiscoveryModule],
  controllers: [DocsController],
  providers: [OpenApiService],
  exports: [OpenApiService],
})
export class DocsModule {}
