import { type DynamicModule, Global, Module } from '@nestjs/common';
import { Metrics } from './metrics';

/** Provides this process's `Metrics` to every module (inject `Metrics`). */
@Global()
@Module({})
export class MetricsModule {
  static forProcess(process: 'api' | 'worker'): DynamicModule {
    return { module: MetricsModule, providers: [{ provide: Metrics, useFactory: () => new Metrics(process) }], exports: [Metrics] };
  }
}
