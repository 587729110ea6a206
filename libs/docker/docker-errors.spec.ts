import { describe, expect, it } from 'vitest';
import { toLayerError } from './docker-errors';

/** An error as ssh2 1.x emits it: a message and a level, no HTTP status nor socket code. */
const sshError = (message: string, level: string) => Object.assign(new Error(message), { level });

describe('toLayerError', () => {
  it('says a host whose SSH host key is not the pinned one presents another key, not that it "failed"', () => {
    const sut = toLayerError('s', 'ping', sshError('Host denied (verification failed)', 'handshake'));
    expect(sut.kind).toBe('unreachable');
    expect(sut.message).toBe(
      'Docker host s does not answer: the SSH host key it presented is not the one pinned in its ssh-host-key.pub (DOCKER_CERT_DIR/<id>/): another machine answers at that address, or the host key changed',
    );
  });

  it("names NetLabs' key when the host's sshd refuses it", () => {
    const sut = toLayerError('s', 'ping', sshError('All configured authentication methods failed', 'client-authentication'));
    expect(sut.kind).toBe('unreachable');
    expect(sut.message).toContain("its sshd refused NetLabs' key (ssh-key in DOCKER_CERT_DIR/<id>/, or the agent of SSH_AUTH_SOCK)");
  });

  it('keeps socket failures and engine answers as they were', () => {
    expect(toLayerError('s', 'ping', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:22'), { code: 'ECONNREFUSED' })).message).toBe(
      'Docker host s does not answer: connect ECONNREFUSED 127.0.0.1:22',
    );
    const conflict = toLayerError('s', 'create x', Object.assign(new Error('(HTTP code 409)'), { statusCode: 409, json: { message: 'name in use' } }));
    expect([conflict.kind, conflict.message]).toEqual(['conflict', 'create x: name in use']);
  });
});
