// docs/openapi.yaml is a valid OpenAPI 3.1 document (the official schema,
// through @seriousme/openapi-schema-validator), and follows the rules this
// API keeps that the official schema cannot check: references resolve, path
// parameters match their templates, every error is the shared Error schema,
// 401 declares WWW-Authenticate and 405 Allow, admin routes need the admin
// key, the schemas are strict JSON Schema 2020-12 and the examples fit them.
// Usage: node --test tests/web/openapi.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import {
  deref, loadSpec, operations, pointer, schemaValidators, sourceRoot, specFile,
} from './openapi_support.mjs';

let Validator;
try {
  ({ Validator } = await import('@seriousme/openapi-schema-validator'));
} catch (e) {
  throw new Error(`@seriousme/openapi-schema-validator is not installed: run \`npm install\` (${e.message})`);
}

const spec = loadSpec();
const ops = operations(spec);
const label = ({ method, path: route }) => `${method.toUpperCase()} ${route}`;

test('the official OpenAPI 3.1 schema accepts the document', async () => {
  assert.match(spec.openapi, /^3\.1\.\d+$/);
  const validator = new Validator();
  const result = await validator.validate(fs.readFileSync(specFile, 'utf8'));
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  assert.equal(validator.version, '3.1');
});

test('every $ref resolves inside the document', () => {
  const missing = [];
  (function walk(node, at) {
    if (Array.isArray(node)) return node.forEach((v, i) => walk(v, `${at}/${i}`));
    if (!node || typeof node !== 'object') return undefined;
    if (typeof node.$ref === 'string' && pointer(spec, node.$ref) === undefined) missing.push(`${at}: ${node.$ref}`);
    for (const [k, v] of Object.entries(node)) walk(v, `${at}/${k}`);
    return undefined;
  })(spec, '#');
  assert.deepEqual(missing, []);
});

test('operation ids are unique', () => {
  const ids = ops.map(({ op }) => op.operationId);
  assert.ok(ids.every(Boolean), 'every operation has an operationId');
  assert.equal(new Set(ids).size, ids.length, ids.filter((id, i) => ids.indexOf(id) !== i).join(', '));
});

test('path parameters are exactly the placeholders of their template', () => {
  for (const o of ops) {
    const placeholders = [...o.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
    const declared = o.params.filter((p) => p.in === 'path');
    assert.deepEqual(declared.map((p) => p.name).sort(), placeholders, label(o));
    for (const p of declared) assert.equal(p.required, true, `${label(o)}: {${p.name}} is required`);
  }
});

test('every error response is the shared Error schema', () => {
  // libsoup's own answers (a WebSocket handshake it refuses, a range outside
  // the file) are not the server's: no JSON body.
  const notOurs = new Set(['GET /ws 400', 'GET /recordings/{room}/{file} 416']);
  // The health check answers its own document, draining, for load balancers.
  const healthDocument = new Set(['GET /healthz 503']);
  for (const o of ops) {
    for (const [status, r] of Object.entries(o.op.responses)) {
      const at = `${label(o)} ${status}`;
      if (!/^[45]/.test(status) || notOurs.has(at)) continue;
      if (healthDocument.has(at)) {
        assert.equal(deref(spec, r).content['application/json'].schema.$ref, '#/components/schemas/Health', at);
        continue;
      }
      const response = deref(spec, r);
      const content = response.content ?? {};
      assert.deepEqual(Object.keys(content), ['application/json'], `${label(o)} ${status}`);
      assert.equal(content['application/json'].schema.$ref, '#/components/schemas/Error', `${label(o)} ${status}`);
    }
  }
});

test('401 declares WWW-Authenticate, 405 Allow, and every secured operation may answer 401', () => {
  for (const o of ops) {
    const responses = o.op.responses;
    if (responses['401']) {
      const header = deref(spec, deref(spec, responses['401']).headers?.['WWW-Authenticate']);
      assert.ok(header?.required, `${label(o)}: 401 declares a required WWW-Authenticate`);
    }
    if (responses['405']) {
      const header = deref(spec, deref(spec, responses['405']).headers?.Allow);
      assert.ok(header, `${label(o)}: 405 declares Allow`);
      // The REST layer always sends it; outside /api/v1 the server does not yet.
      if (o.path.startsWith('/api/v1/')) assert.ok(header.required, `${label(o)}: Allow is required`);
    }
    const secured = o.security.some((requirement) => Object.keys(requirement).length > 0);
    const open = o.security.length === 0 || o.security.some((requirement) => Object.keys(requirement).length === 0);
    if (secured && !open) assert.ok(responses['401'], `${label(o)} needs credentials: it declares 401`);
  }
});

test('each route asks for the credentials the server checks', () => {
  const schemes = spec.components.securitySchemes;
  assert.deepEqual(schemes.adminKey, { ...schemes.adminKey, type: 'http', scheme: 'bearer' });
  assert.deepEqual(schemes.joinToken, { ...schemes.joinToken, type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  const names = (o) => o.security.map((requirement) => Object.keys(requirement).join('+') || 'none').sort();
  for (const o of ops) {
    for (const requirement of o.security)
      for (const scheme of Object.keys(requirement)) assert.ok(schemes[scheme], `${label(o)}: ${scheme}`);
    const route = o.path;
    if (o.method === 'options' || route === '/healthz') {
      assert.deepEqual(o.security, [], `${label(o)} is open`);
    } else if (route.startsWith('/api/v1/') || route.startsWith('/recordings/') || route === '/metrics') {
      // Admin only, and never ?token= (the server reads admin keys from the header only).
      assert.deepEqual(names(o), ['adminKey'], label(o));
      assert.ok(!o.params.some((p) => p.in === 'query' && p.name === 'token'), `${label(o)} takes no ?token=`);
    } else if (route.startsWith('/whip/') || route.startsWith('/whep/')) {
      assert.deepEqual(names(o), ['adminKey', 'joinToken'], label(o));
      assert.ok(o.op.responses['403'], `${label(o)}: 403 for a token without the grant`);
    } else if (route.startsWith('/hls/') || route === '/{page}') {
      assert.deepEqual(names(o), ['adminKey', 'joinToken', 'none'], `${label(o)}: open, or a token when configured`);
    } else if (route === '/') {
      assert.deepEqual(names(o), ['adminKey', 'joinToken'], label(o));
    } else if (route === '/ws') {
      assert.deepEqual(names(o), ['none'], `${label(o)}: credentials come in the messages`);
    } else {
      assert.fail(`${label(o)}: no rule for this route's security`);
    }
    // Where a browser cannot set headers, ?token= is the documented alternative.
    if (/^\/(whip|whep|hls|ws$|\{page\}$|$)/.test(route) && o.method !== 'options')
      assert.ok(o.params.some((p) => p.in === 'query' && p.name === 'token'), `${label(o)} documents ?token=`);
  }
});

test('the schemas compile as strict JSON Schema 2020-12', () => {
  const { ajv } = schemaValidators(spec);
  for (const name of Object.keys(spec.components.schemas))
    assert.ok(ajv.getSchema(`https://mixcast.invalid/openapi/schemas/${name}`), name);
});

test('the components the API is made of are there', () => {
  for (const name of ['Error', 'Issue', 'Room', 'Participant', 'Output', 'Tile', 'Recording', 'RecordingList',
    'LayoutList', 'TokenRequest', 'TokenResponse', 'RoomCreate', 'ParticipantChange', 'OutputCreate'])
    assert.ok(spec.components.schemas[name], name);
});

test('request examples and schema examples fit their schemas', () => {
  const { compile, errors } = schemaValidators(spec);
  let checked = 0;
  for (const o of ops) {
    const body = deref(spec, o.op.requestBody);
    for (const [type, media] of Object.entries(body?.content ?? {})) {
      assert.ok(media.example !== undefined, `${label(o)} ${type} has an example (the conformance test sends it)`);
      const validate = compile(media.schema);
      assert.ok(validate(media.example), `${label(o)} ${type}:\n  ${errors(validate)}`);
      checked += 1;
    }
  }
  for (const [name, schema] of Object.entries(spec.components.schemas)) {
    const validate = compile({ $ref: `#/components/schemas/${name}` });
    for (const example of schema.examples ?? []) {
      assert.ok(validate(example), `${name} example:\n  ${errors(validate)}`);
      checked += 1;
    }
  }
  assert.ok(checked >= 10, `${checked} examples`);
});

test('docs/http-api.md covers every path and points to the spec', () => {
  const prose = fs.readFileSync(path.join(sourceRoot, 'docs/http-api.md'), 'utf8');
  assert.match(prose, /openapi\.yaml/);
  for (const route of Object.keys(spec.paths)) assert.ok(prose.includes(route), `${route} in docs/http-api.md`);
});
