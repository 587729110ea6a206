import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { JobQueue } from './job-queue.service';
import { HostSlots } from './host-slots';
import { LabStepSlots } from './lab-step-slots';
import { QueueName } from './jobs';
import { redisConnection } from './redis-connection';

const queues = Object.values(QueueName).map((name) => BullModule.registerQueue({ name }));

/** BullMQ wiring shared by the api (producer) and the worker (consumer). */
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        connection: redisConnection(config.REDIS_URL),
        prefix: config.QUEUE_PREFIX,
      }),
    }),
    ...queues,
  ],
  providers: [JobQueue, LabStepSlots, HostSlots],
  exports: [JobQueue, LabStepSlots, HostSlots, ...queues],
})
export class QueueModule {}
