import { type ArgumentsHost, ConflictException, Logger } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HttpErrorFilter } from './http-error.filter';
import { InternalFailure } from './internal-failure';
import { NoRoomException } from './no-room.exception';
import { TooManyRequestsException } from './too-many-requests.exception';

/** An express response as the filter uses it: status, headers, the JSON body. */
class FakeResponse {
  statusCode = 200;
  headersSent = false;
  headers: Record<string, string> = {};
  body: unknown;
  status(code: number) {
    this.statusCode = code;
    return this;
  }
  setHeader(name: string, value: string) {
    this.headers[name.toLowerCase()] = value;
  }
  json(body: unknown) {
    this.body = body;
  }
}

function hostFor(response: FakeResponse): ArgumentsHost {
  const request = { requestId: 'r3q1d', method: 'POST', path: '/labs/x/steps/1a/verify' };
  return { switchToHttp: () => ({ getResponse: () => response, getRequest: () => request }) } as unknown as ArgumentsHost;
}

/** What Prisma threw for `"\ud800"` in an answer (issue 9): a query, a server path, source lines. */
const prismaError = Object.assign(
  new Error(
    'Invalid `prisma.verificationAttempt.create()` invocation in\n/srv/netlabs/dist/libs/persistence/progress.repository.js:23:31\n\n  20 tx.verificationAttempt.create({\n→ 23 data: { answer: "\\ud800" }\nunsupported Unicode escape sequence',
  ),
  { code: 'P2010', clientVersion: '6.19.3' },
);

describe('HttpErrorFilter', () => {
  let logged: string[];
  let sut: HttpErrorFilter;

  beforeEach(() => {
    logged = [];
    vi.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => void logged.push(String(message)));
    sut = new HttpErrorFilter();
  });
  afterEach(() => vi.restoreAllMocks());

  it('shows our own HTTP errors as they are', () => {
    const response = new FakeResponse();
    sut.catch(new ConflictException('lab L is provisioning, not ready'), hostFor(response));
    expect(response.statusCode).toBe(409);
    expect(response.body).toEqual({ statusCode: 409, error: 'Conflict', message: 'lab L is provisioning, not ready' });
  });

  it('answers an unknown error (a database error) with a 500 giving the request id only; the details go to the log', () => {
    const response = new FakeResponse();
    sut.catch(prismaError, hostFor(response));
    expect(response.statusCode).toBe(500);
    expect(response.body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: "internal error (request r3q1d); the details are in the API's log" });
    expect(JSON.stringify(response.body)).not.toMatch(/prisma|\/srv|Docker|Unicode/i);
    expect(logged.join('\n')).toMatch(/request r3q1d POST \/labs\/x\/steps\/1a\/verify: .*prisma\.verificationAttempt\.create/s);
  });

  it('answers an InternalFailure with its public message and the request id, never its details', () => {
    const response = new FakeResponse();
    sut.catch(new InternalFailure(503, 'NetLabs could not carry out this step; try again in a moment', `step job failed: ${prismaError.message}`), hostFor(response));
    expect(response.statusCode).toBe(503);
    expect(response.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'NetLabs could not carry out this step; try again in a moment (request r3q1d)' });
    expect(logged.join('\n')).toContain('unsupported Unicode escape sequence');
  });

  it('does not take any object with a type and a status for a body parser error', () => {
    const response = new FakeResponse();
    sut.catch({ type: 'internal.thing', status: 418, message: 'secret at /srv/x.js' }, hostFor(response));
    expect(response.statusCode).toBe(500);
    expect(JSON.stringify(response.body)).not.toContain('/srv');
  });

  it('says when to come back after a 429', () => {
    const response = new FakeResponse();
    sut.catch(new TooManyRequestsException('too many requests without a valid token from this address; retry in 42 s', 42), hostFor(response));
    expect(response.statusCode).toBe(429);
    expect(response.headers['retry-after']).toBe('42');
  });

  it('says when to come back after a 503 for labs the hosts cannot take', () => {
    const response = new FakeResponse();
    sut.catch(new NoRoomException('the Docker hosts are full: 3 of the 3 labs could not be placed (room for 0 more now); nothing was created', 60), hostFor(response));
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('60');
    expect(response.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: expect.stringContaining('3 of the 3 labs could not be placed') });
  });
});
