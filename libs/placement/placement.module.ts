import { Module } from '@nestjs/common';
import { PersistenceModule } from '../persistence/persistence.module';
import { HostCapacityService } from './host-capacity.service';

/** Capacity of the Docker hosts (placement by capacity, admission, its gauges), for the API and the worker. */
@Module({ imports: [PersistenceModule], providers: [HostCapacityService], exports: [HostCapacityService] })
export class PlacementModule {}
