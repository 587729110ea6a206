import { Module } from '@nestjs/common';
import { QueueModule } from '../../../libs/queue/queue.module';
import { PersistenceModule } from '../../../libs/persistence/persistence.module';
import { PlacementModule } from '../../../libs/placement/placement.module';
import { GatewayModule } from '../gateway/gateway.module';
import { TerminalsModule } from '../terminals/terminals.module';
import { AdminController } from './admin.controller';
import { ApiMetricsCollector } from './api-metrics.collector';
import { MetricsController } from './metrics.controller';
import { QueueBoard } from './queue-board';

/** Operations: GET /metrics (Prometheus), the queue board and its admin cookie. Needs MetricsModule.forProcess('api'). */
@Module({
  imports: [QueueModule, PersistenceModule, PlacementModule, GatewayModule, TerminalsModule],
  controllers: [MetricsController, AdminController],
  providers: [ApiMetricsCollector, QueueBoard],
})
export class ApiMetricsModule {}
