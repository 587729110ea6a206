import { Module } from '@nestjs/common';
import { PersistenceModule } from '../../../libs/persistence/persistence.module';
import { GatewayService } from './gateway.service';

/** The lab daemon: each lab's own Docker endpoint (see libs/gateway/README.md). */
@Module({ imports: [PersistenceModule], providers: [GatewayService], exports: [GatewayService] })
export class GatewayModule {}
