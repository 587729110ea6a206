/**
 * Paths that are not Nest routes, so @ApiDoc cannot describe them: written here, in words.
 * (Everything else in the document is read from the routes and their zod schemas.)
 */
export const HAND_WRITTEN_PATHS: Record<string, Record<string, unknown>> = {
  '/terminals/{sessionId}': {
    get: {
      tags: ['terminals'],
      summary: 'WebSocket: a terminal session (the url returned by POST /labs/{id}/terminals)',
      description: [
        'Upgrade to a WebSocket (protocol v1, apps/api/terminals/terminal-protocol.ts) with the one-time `ticket` of the url',
        'that POST /labs/{id}/terminals or its reconnect returned. The token goes in `Authorization: Bearer`, or (browsers)',
        'in the subprotocols `netlabs.terminal.v1, netlabs.token.<token>` (never echoed), or the query `token`.',
        'Client to server: binary frames are keystrokes; text frames are JSON `{"type":"input","data":"ls\\r"}` or',
        '`{"type":"resize","rows":40,"cols":120}`. Server to client: a first text frame',
        '`{"type":"ready","session","container","offset","lost"}`, then binary frames of output. Closing with 1000 ends the',
        'session (the shell is killed); any other departure detaches it for TERMINAL_GRACE_MS. The server closes with',
        '1000 (shell exited), 1001 (API stopping), 1011 (engine failure), 4401 (token revoked or rotated), 4408 (idle),',
        '4409 (replaced by a newer connection). Refusals are plain HTTP answers with the REST error body, never upgraded.',
      ].join(' '),
      parameters: [
        { name: 'sessionId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
        { name: 'ticket', in: 'query', required: true, schema: { type: 'string' } },
        { name: 'rows', in: 'query', required: false, schema: { type: 'integer' } },
        { name: 'cols', in: 'query', required: false, schema: { type: 'integer' } },
        { name: 'since', in: 'query', required: false, schema: { type: 'integer' }, description: 'stream offset the client already has (reconnect)' },
      ],
      responses: {
        '101': { description: 'Switching Protocols: the terminal stream' },
        '400': { description: 'Not a WebSocket upgrade', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        '401': { description: 'No or bad token', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        '403': { description: 'Bad, used or expired ticket', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        '404': { description: "Unknown session, or another lab's", content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        '409': { description: 'Lab not ready or container not running', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
      security: [{ bearer: [] }],
    },
  },
  '/admin/queues': {
    get: {
      tags: ['operations'],
      summary: "The operator's queue board (bull-board): jobs of every BullMQ queue, retry, clean",
      description:
        'A browser page. Opens with the admin cookie that POST /admin/session sets (GET /admin/login asks for the token), ' +
        'or with the admin bearer token. Its JSON API lives under /admin/queues/api/.',
      responses: {
        '200': { description: 'The board', content: { 'text/html': { schema: { type: 'string' } } } },
        '303': { description: 'A browser without the cookie is sent to /admin/login' },
        '401': { description: 'No admin cookie or token', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
      security: [{ bearer: [] }, { adminCookie: [] }],
    },
  },
};
