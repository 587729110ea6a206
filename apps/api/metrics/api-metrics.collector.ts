import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import { Metrics } from '../../../libs/metrics/metrics';
import { freePlaces } from '../../../libs/placement/capacity';
import { HostCapacityService } from '../../../libs/placement/host-capacity.service';
import { LabRepository } from '../../../libs/persistence/lab.repository';
import { QueueName } from '../../../libs/queue/jobs';
import { GatewayService } from '../gateway/gateway.service';
import { TerminalRegistry } from '../terminals/terminal.registry';

/** BullMQ's job states whose counts make a queue's depth (and its retained failures). */
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'] as const;

/**
 * The state gauges, read when Prometheus scrapes the API: labs by state and host
 * (Postgres: the same for every API process), queue depth (Redis: the same too), and this
 * process's own terminal and lab-daemon sessions (sum them over API processes).
 */
@Injectable()
export class ApiMetricsCollector {
  constructor(
    metrics: Metrics,
    labs: LabRepository,
    terminals: TerminalRegistry,
    gateway: GatewayService,
    @InjectQueue(QueueName.Labs) labsQueue: Queue,
    @InjectQueue(QueueName.Steps) stepsQueue: Queue,
    @InjectQueue(QueueName.Maintenance) maintenanceQueue: Queue,
    capacity: HostCapacityService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    // Placement by capacity (README.md, "Capacity and placement"): one read of host records and live labs per scrape.
    const places = async () => {
      const capacities = await capacity.capacities();
      return { capacities, free: freePlaces(capacities, await labs.liveByHost(config.DEPLOYMENT_ID), config) };
    };
    metrics.gauge('netlabs_host_capacity_labs', 'Labs each Docker host that is up can hold (the smallest of HOST_MAX_LABS, memory, CPUs and the subnet pool: limited_by)', ['host', 'limited_by'], async (set) => {
      for (const c of (await places()).capacities) set({ host: c.hostId, limited_by: c.limitedBy }, c.labs);
    });
    metrics.gauge('netlabs_host_free_labs', 'Places left on each Docker host that is up (capacity minus live labs, warm labs included); host "all": labs a class may still get', ['host'], async (set) => {
      const { free } = await places();
      for (const [host, value] of free.perHost) set({ host }, value);
      set({ host: 'all' }, free.total);
    });
    metrics.gauge('netlabs_labs', 'Labs of this deployment by state and Docker host (host "none": not placed yet), from the database', ['state', 'host'], async (set) => {
      for (const group of await labs.countByStatusAndHost(config.DEPLOYMENT_ID)) set({ state: group.status, host: group.hostId ?? 'none' }, group.count);
    });
    metrics.gauge('netlabs_queue_jobs', 'Jobs in each BullMQ queue by state (waiting + active + delayed is the depth; failed: kept 24 h)', ['queue', 'state'], async (set) => {
      for (const queue of [labsQueue, stepsQueue, maintenanceQueue]) {
        const counts = await queue.getJobCounts(...QUEUE_STATES);
        for (const state of QUEUE_STATES) set({ queue: queue.name, state }, counts[state] ?? 0);
      }
    });
    metrics.gauge('netlabs_terminal_sessions', 'Terminal sessions held by this API process (the one that took their first upgrade), by state (attached; detached: waiting for a reconnect; pending: always 0 here, a session not opened yet lives in Redis)', ['state'], (set) => {
      const byState = new Map<string, number>([['pending', 0], ['attached', 0], ['detached', 0]]);
      for (const session of terminals.all()) if (session.state !== 'ended') byState.set(session.state, (byState.get(session.state) ?? 0) + 1);
      for (const [state, count] of byState) set({ state }, count);
    });
    metrics.gauge('netlabs_gateway_connections', "Open connections to this API process's lab daemon (students' docker CLI, streams included)", [], async (set) => {
      set({}, await gateway.connections());
    });
  }
}
