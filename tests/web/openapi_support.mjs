// What both OpenAPI tests read from docs/openapi.yaml: the document, its
// operations with their parameters and security resolved, and JSON-schema
// validators of its component schemas (ajv, draft 2020-12: the dialect of
// OpenAPI 3.1).
import fs from 'node:fs';
import path from 'node:path';

export const sourceRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const specFile = path.join(sourceRoot, 'docs/openapi.yaml');
export const routeFile = path.join(sourceRoot, 'src/core/http_route.cpp');

// The npm packages (devDependencies); a node_modules from before them lacks them.
async function load(name) {
  try {
    return await import(name);
  } catch (e) {
    throw new Error(`${name} is not installed: run \`npm install\` in the repository root (${e.message})`);
  }
}
export const { default: YAML } = await load('yaml');
const { default: Ajv2020 } = await load('ajv/dist/2020.js');

export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export function loadSpec() {
  return YAML.parse(fs.readFileSync(specFile, 'utf8'));
}

// The object a local "#/a/b" reference points at, or undefined.
export function pointer(spec, ref) {
  if (!ref.startsWith('#/')) return undefined;
  let at = spec;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (at === null || typeof at !== 'object' || !(key in at)) return undefined;
    at = at[key];
  }
  return at;
}

// `node` with its $ref followed (one level at a time, until a plain object).
export function deref(spec, node) {
  while (node && typeof node === 'object' && typeof node.$ref === 'string') node = pointer(spec, node.$ref);
  return node;
}

// Every operation: {path, method, op, params, security}, params being the
// path item's and the operation's (the latter win), dereferenced.
export function operations(spec) {
  const out = [];
  for (const [route, item] of Object.entries(spec.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const params = new Map();
      for (const p of [...(item.parameters ?? []), ...(op.parameters ?? [])]) {
        const param = deref(spec, p);
        params.set(`${param.in}:${param.name}`, param);
      }
      out.push({ path: route, method, op, params: [...params.values()], security: op.security ?? spec.security ?? [] });
    }
  }
  return out;
}

// "/api/v1/rooms/{room}/outputs/{output}" -> "/api/v1/rooms/{}/outputs/{}":
// two templates are the same route whatever their placeholders are called.
export function routeShape(template) {
  return template.replace(/\{[^}]*\}/g, '{}');
}

// The route templates the server's request metrics know (route_templates()
// in src/core/http_route.cpp), read from the source so that they cannot drift.
export function serverRouteTemplates() {
  const text = fs.readFileSync(routeFile, 'utf8');
  const table = text.match(/kTemplates\s*=\s*\{([\s\S]*?)\};/);
  if (!table) throw new Error(`no kTemplates table in ${routeFile}`);
  const templates = [...table[1].matchAll(/"([^"]*)"sv/g)].map((m) => m[1]);
  if (templates.length < 10) throw new Error(`only ${templates.length} templates read from ${routeFile}`);
  return templates;
}

// Validators of the spec's schemas. Each component schema is added under an
// absolute $id, its "#/components/schemas/X" references rewritten to those
// ids; strict mode refuses unknown keywords, so a typo in the spec fails.
const BASE = 'https://mixcast.invalid/openapi/schemas/';
function rewriteRefs(node) {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')
      ? BASE + v.slice('#/components/schemas/'.length)
      : rewriteRefs(v);
  }
  return out;
}

export function schemaValidators(spec) {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  for (const [name, schema] of Object.entries(spec.components.schemas))
    ajv.addSchema({ ...rewriteRefs(schema), $id: BASE + name });
  return {
    ajv,
    // A validator of any schema of the spec (inline or a $ref to a component).
    compile: (schema) => ajv.compile(rewriteRefs(schema)),
    errors: (validate) => ajv.errorsText(validate.errors, { separator: '\n  ' }),
  };
}
