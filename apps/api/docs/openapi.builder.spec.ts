import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClassSchema } from '../classes/class.schemas';
import { langSchema, resetLabSchema } from '../labs/lab.schemas';
import { buildOpenApi, jsonSchema, openApiPath, type RouteDoc } from './openapi.builder';

const INFO = { title: 't', version: '1', description: 'd' };

describe('buildOpenApi', () => {
  it('takes the body from the zod schema that validates it: required fields, enums, limits', () => {
    const sut = jsonSchema(createClassSchema) as { required: string[]; properties: Record<string, { enum?: string[]; maximum?: number }> };
    expect(sut.required).toEqual(['name', 'labDefinitionId', 'students']);
    expect(sut.properties.runPolicy.enum).toEqual(['off', 'after-failures', 'always']);
    expect(sut.properties.labTtlMinutes.maximum).toBe(7 * 24 * 60);
  });

  it('a field with a default is optional for the client (the input side of the schema)', () => {
    const sut = jsonSchema(resetLabSchema) as { required?: string[]; additionalProperties: boolean };
    expect(sut.required ?? []).not.toContain('replay');
    expect(sut.additionalProperties).toBe(false);
  });

  it('turns Express paths into OpenAPI templates', () => {
    expect(openApiPath('/labs/:id/steps/:step/verify')).toBe('/labs/{id}/steps/{step}/verify');
  });

  it('adds the errors a route can give from what it is: body, uuid, auth', () => {
    const route: RouteDoc = {
      method: 'POST',
      path: '/labs/:id/extend',
      access: 'admin',
      doc: { summary: 'extend', query: { lang: langSchema }, responses: { 201: 'done' } },
      params: [{ name: 'id', uuid: true }],
      query: ['lang'],
      body: z.object({ minutes: z.number() }),
    };
    const sut = buildOpenApi([route], INFO) as { paths: Record<string, Record<string, { responses: Record<string, unknown>; parameters: { name: string; in: string; schema: { format?: string; enum?: string[] } }[]; security: unknown[] }>> };
    const op = sut.paths['/labs/{id}/extend'].post;
    expect(Object.keys(op.responses).sort()).toEqual(['201', '400', '401', '403', '429']);
    expect(op.parameters.find((p) => p.name === 'id')?.schema.format).toBe('uuid');
    expect(op.parameters.find((p) => p.name === 'lang')?.schema.enum).toEqual(['fr', 'en']);
    expect(op.security).toEqual([{ bearer: [] }]);
  });

  it('a body that may be left out ({} is valid) is not required', () => {
    const route = (body: RouteDoc['body']): RouteDoc => ({ method: 'POST', path: '/x', access: 'token', doc: { summary: 'x' }, params: [], query: [], body });
    const sut = (body: RouteDoc['body']) => (buildOpenApi([route(body)], INFO) as { paths: Record<string, Record<string, { requestBody: { required: boolean } }>> }).paths['/x'].post.requestBody.required;
    expect(sut(resetLabSchema)).toBe(false);
    expect(sut(createClassSchema)).toBe(true);
  });

  it('a public route asks for no token and lists no auth errors', () => {
    const route: RouteDoc = { method: 'GET', path: '/health', access: 'public', doc: { summary: 'health' }, params: [], query: [] };
    const sut = buildOpenApi([route], INFO) as { paths: Record<string, Record<string, { responses: Record<string, unknown>; security: unknown[] }>> };
    expect(sut.paths['/health'].get.security).toEqual([]);
    expect(Object.keys(sut.paths['/health'].get.responses)).toEqual(['200']);
  });
});
