import type { LabScope } from '../../docker/tenant-docker';
import type { LabContext, LabImages } from '../lab-context';
import type { LabValues } from '../lab-values';
import { FakeTenantDocker, freePort } from './fake-tenant-docker';

export interface LabFixture {
  scope: LabScope;
  values: LabValues;
  images: LabImages;
  docker: FakeTenantDocker;
  ctx: LabContext;
}

/** One provisioned lab on the fake: its own bridge, a free real port for httpd, short timeouts. */
export async function labFixture(options: { http?: 'serve' | 'hang'; labId?: string } = {}): Promise<LabFixture> {
  const scope: LabScope = { labId: options.labId ?? 'lab-a', classId: 'class-1', prefix: 'nl-a1b2c3' };
  const values: LabValues = {
    bridgeSubnet: '10.96.4.0/24',
    bridgeGateway: '10.96.4.1',
    bridgeInterface: 'nlb4',
    chatSubnet: '10.97.3.0/24',
    chatInterface: 'chat5',
    httpdPort: await freePort(),
    publicHost: '127.0.0.1',
  };
  const images: LabImages = { httpd: 'httpd:2.4', ubuntu: 'ubuntu:24.04', mypython2: 'netlabs/mypython2:1-0123456789' };
  const imageBuilds = { mypython2: { contextDir: '/srv/netlabs/chat', buildArgs: { BASE_IMAGE: images.ubuntu } } };
  const docker = new FakeTenantDocker({ scope, values, images, http: options.http, buildable: [images.mypython2] });
  const ctx: LabContext = {
    scope,
    docker,
    values,
    images,
    imageBuilds,
    timeouts: { httpMs: 1_000, execMs: 1_000, checkMs: 3_000, readyMs: 1_000, actionMs: 5_000 },
  };
  return { scope, values, images, docker, ctx };
}
