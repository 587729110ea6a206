/**
 * The least a WebSocket terminal relay can do (terminal-bench.ts runs it beside NetLabs'
 * API, in a process of its own as the API is): `ws` on one side, a raw TTY exec of the
 * same shell (TERMINAL_CMD) on the other, bytes copied both ways. No authentication, no
 * session, no replay ring, no back-pressure: what any relay in Node pays for the extra hop
 * between the browser and the engine, so the benchmark can tell that hop from NetLabs' own code.
 *
 * `node dist/test/bench/bare-relay.js`: prints the port it listens on (127.0.0.1), then
 * relays `ws://127.0.0.1:<port>/?container=<engine id>` to a shell in that container.
 */
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import { WebSocketServer } from 'ws';
import { TERMINAL_CMD } from '../../libs/docker/docker-exec';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
// As the API's gateway: no compression, binary frames both ways.
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });

wss.on('connection', (ws, req) => {
  const container = new URL(req.url ?? '/', 'http://relay.invalid').searchParams.get('container') ?? '';
  let stream: Duplex | undefined;
  const early: Buffer[] = [];
  ws.on('message', (data: Buffer) => (stream ? stream.write(data) : early.push(data)));
  (async () => {
    const exec = await docker.getContainer(container).exec({ Cmd: TERMINAL_CMD, AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: true, Env: ['TERM=xterm-256color'] });
    const started = (await exec.start({ hijack: true, stdin: true, Detach: false, Tty: true })) as Duplex;
    await exec.resize({ h: 24, w: 80 }).catch(() => undefined);
    started.on('data', (chunk: Buffer) => ws.send(chunk, { binary: true }));
    started.on('end', () => ws.close());
    started.on('error', () => ws.terminate());
    ws.on('close', () => started.destroy());
    for (const data of early.splice(0)) started.write(data);
    stream = started;
  })().catch((error: unknown) => ws.close(1011, String(error).slice(0, 120)));
});

wss.on('listening', () => console.log(String((wss.address() as AddressInfo).port)));
process.on('SIGTERM', () => {
  for (const ws of wss.clients) ws.terminate();
  wss.close(() => process.exit(0));
});
