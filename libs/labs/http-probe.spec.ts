import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecResult, TenantDocker } from '../docker/tenant-docker';
import { HTTP_BODY_LIMIT, httpGetFromHost, httpGetInContainer } from './http-probe';

/**
 * A local server standing for a student's page: `/endless` never stops sending,
 * `/small` is a normal page. The in-container probe runs its real script with this
 * machine's sh, curl and head (what a lab container has), through a TenantDocker whose
 * exec runs the command here.
 */
describe('http-probe', () => {
  let server: Server;
  let base: string;
  let endlessBytesSent = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/small') {
        res.end('<h1>It works!</h1>');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html' });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = () => {
        while (!res.destroyed) {
          endlessBytesSent += chunk.length;
          if (!res.write(chunk)) return;
        }
      };
      res.on('drain', pump);
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const localExec = (cmd: string[], options?: { timeoutMs?: number }) =>
    new Promise<ExecResult>((resolve) => {
      execFile(cmd[0], cmd.slice(1), { timeout: options?.timeoutMs, maxBuffer: 1024 * 1024 * 1024 }, (error, stdout, stderr) => {
        const exitCode = error ? ((error as { code?: unknown }).code as number) : 0;
        resolve({ stdout, stderr, exitCode: typeof exitCode === 'number' ? exitCode : null, timedOut: !!(error as { killed?: boolean })?.killed });
      });
    });
  const sut = { exec: (_scope: unknown, _container: string, cmd: string[], options?: { timeoutMs?: number }) => localExec(cmd, options) } as unknown as TenantDocker;
  const scope = { labId: 'l', classId: 'c', prefix: 'nl-x', deploymentId: 'd', extraLabels: {} } as never;

  it('from the host, stops reading an endless page at the limit, at once', async () => {
    const outcome = await httpGetFromHost(`${base}/endless`, 5_000);
    // Before its 5 s timeout, with the page's beginning: not "no answer within 5 s".
    expect(outcome).toMatchObject({ ok: true, status: 200, truncated: true });
    expect(outcome.ok && outcome.body.length).toBe(HTTP_BODY_LIMIT);
  });

  it('from the host, reads a small page whole', async () => {
    expect(await httpGetFromHost(`${base}/small`, 5_000)).toEqual({ ok: true, status: 200, body: '<h1>It works!</h1>' });
  });

  it('inside a container, curl stops at the limit instead of streaming the page until its timeout', async () => {
    const outcome = await httpGetInContainer(sut, scope, 'container1', `${base}/endless`, 5_000);
    expect(outcome).toMatchObject({ ok: true, truncated: true });
    expect(outcome.ok && outcome.body.length).toBe(HTTP_BODY_LIMIT);
  });

  it('inside a container, a small page and a refused connection keep their usual outcomes', async () => {
    expect(await httpGetInContainer(sut, scope, 'container1', `${base}/small`, 5_000)).toEqual({ ok: true, body: '<h1>It works!</h1>' });
    const refused = await httpGetInContainer(sut, scope, 'container1', 'http://127.0.0.1:1/', 5_000);
    expect(refused).toMatchObject({ ok: false, timedOut: false, exitCode: 7 });
  });

  it('the server could push little at the probes', () => {
    // Both probes closed their connection early: the server could not push the page at them for seconds.
    expect(endlessBytesSent).toBeLessThan(64 * 1024 * 1024);
  });
});
