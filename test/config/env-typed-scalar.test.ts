// An unquoted reference that is the whole value is typed as if written there, so
// `port: ${PORT}` is a number; a quoted one stays a string.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configError, issueAt, load } from './support.js';

const config = (port: string, host = '127.0.0.1') => `gateway: { admin: off }
listeners:
  - name: edge
    host: ${host}
    port: ${port}
    routes: []
`;

test('port: ${PORT} becomes a number', () => {
  assert.equal(load(config('${PORT}'), { PORT: '18080' }).listeners[0]!.port, 18080);
});

test('port: "${PORT}" stays a string and is rejected', () => {
  const err = configError(config('"${PORT}"'), { PORT: '18080' });
  assert.equal(issueAt(err, 'listeners[0].port').message, 'must be an integer');
});

test('a value that is not a number or boolean stays a string', () => {
  assert.equal(load(config('0', '${HOST}'), { HOST: 'null' }).listeners[0]!.host, 'null');
});
