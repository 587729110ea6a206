import { describe, expect, it } from 'vitest';
import { labCredential, verifyCredential } from '../credentials';
import { parseRequestLine } from './request-line';

describe('parseRequestLine', () => {
  it('drops a supported version prefix and keeps the query', () => {
    expect(parseRequestLine('/v1.41/containers/json?all=1')).toMatchObject({ path: '/containers/json' });
    expect(parseRequestLine('/v1.41/containers/json?all=1').query.get('all')).toBe('1');
    expect(parseRequestLine('/_ping').path).toBe('/_ping');
  });

  it.each(['/v1.23/containers/x/start', '/v1.12/containers/json', '/v1.99/info', '/v1.41.0/info', '/v1.41/containers%2Fjson', '/v1.41//containers/json', '/v1.41/./info', '/v1.41/x/../info', '/v1.41/info/'])(
    'refuses %s',
    (url) => {
      expect(() => parseRequestLine(url)).toThrow();
    },
  );
});

describe('lab credentials', () => {
  const lab = '11111111-1111-1111-1111-111111111111';
  const other = '22222222-2222-2222-2222-222222222222';
  it('proves one lab only, under one secret only', () => {
    const cred = labCredential('secret-secret-secret', lab);
    expect(verifyCredential('secret-secret-secret', cred)).toBe(lab);
    expect(verifyCredential('another-secret-123', cred)).toBeNull();
    expect(verifyCredential('secret-secret-secret', `${other}.${cred.split('.')[1]}`)).toBeNull();
    expect(verifyCredential('secret-secret-secret', undefined)).toBeNull();
    expect(verifyCredential('secret-secret-secret', `${lab}.`)).toBeNull();
    expect(verifyCredential('secret-secret-secret', `${lab}.${cred.split('.')[1]}\u0000`)).toBeNull();
  });
});
