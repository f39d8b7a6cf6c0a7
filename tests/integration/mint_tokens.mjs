// Join tokens for tests/integration/test_auth.cpp, minted by an implementation
// that shares no code with the server's (npm jsonwebtoken), so the server is
// not only tested against tokens it made itself. mint_tokens.py does the same
// with PyJWT.
//
//   node mint_tokens.mjs SPEC.json
//
// SPEC.json: {"tokens": [{"name": "...", "claims": {...}, "key": "...",
// "alg": "HS256" | "HS384" | "none"}]}. Claims go in as given (exp, nbf and
// iat too: the test picks the times). Prints "name<TAB>token" per token.
import { readFileSync } from 'node:fs';
import jwt from 'jsonwebtoken';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
for (const t of spec.tokens) {
  const alg = t.alg || 'HS256';
  const key = alg === 'none' ? null : t.key;
  const token = jwt.sign(t.claims, key, { algorithm: alg, noTimestamp: true });
  process.stdout.write(`${t.name}\t${token}\n`);
}
