// WebhookSender's requests verified by `standardwebhooks` from npm, the
// reference TypeScript library of the spec: what a receiver would run.
// Usage: node webhook_sender.test.mjs path/to/webhook_send
// (webhook_send.cpp sends ROOMS x EVENTS events and exits once delivered).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const require = createRequire(import.meta.url);
let Webhook;
try {
  ({ Webhook } = require('standardwebhooks'));
} catch {
  // Declared in package.json's devDependencies; a node_modules from before it lacks it.
  console.error('standardwebhooks is not installed: run `npm install` in the repository root');
  process.exit(77); // meson: skipped
}

const sendBinary = process.argv[2];
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

// A receiver on loopback: `answer(request, attempt)` gives the status.
async function startReceiver(answer) {
  const requests = [];
  const attempts = new Map();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = req.headers['webhook-id'];
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      const request = { headers: req.headers, body, attempt, status: answer(attempt) };
      requests.push(request);
      res.writeHead(request.status, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/hook`, requests, server };
}

function runSender(url, rooms, events) {
  return new Promise((resolve, reject) => {
    const child = spawn(sendBinary, [url, SECRET, String(rooms), String(events)],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('webhook_send hung')); }, 40000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stats: out ? JSON.parse(out) : null });
    });
  });
}

// Every request verifies with the library; the accepted ones are, per room, 0..events-1.
function checkDeliveries(requests, rooms, events) {
  const wh = new Webhook(SECRET);
  const perRoom = new Map();
  for (const r of requests) {
    assert.equal(r.headers['content-type'], 'application/json');
    const payload = wh.verify(r.body, r.headers); // throws on a bad signature or stale timestamp
    assert.equal(payload.type, 'room.test');
    assert.match(payload.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    if (r.status !== 200) continue;
    const list = perRoom.get(payload.data.room) ?? [];
    list.push(payload.data.n);
    perRoom.set(payload.data.room, list);
  }
  const expected = Array.from({ length: events }, (_, i) => i);
  assert.equal(perRoom.size, rooms);
  for (const [room, list] of perRoom) assert.deepEqual(list, expected, room);
}

test('the library reproduces the test vector of our unit test', () => {
  const wh = new Webhook(SECRET);
  assert.equal(wh.sign('msg_p5jXN8AQM9LWM0D4loKWxJek', new Date(1614265330 * 1000), '{"test": 2432232314}'),
    'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
});

test('every delivery verifies with standardwebhooks, in order per room', async () => {
  const receiver = await startReceiver(() => 200);
  try {
    const { code, stats } = await runSender(receiver.url, 3, 10);
    assert.equal(code, 0);
    assert.deepEqual(stats, { delivered: 30, failed_attempts: 0, dropped: 0, queued: 0 });
    assert.equal(receiver.requests.length, 30);
    checkDeliveries(receiver.requests, 3, 10);
  } finally {
    receiver.server.close();
  }
});

test('retries are re-signed and still verify, with the same webhook-id', async () => {
  const receiver = await startReceiver((attempt) => (attempt === 1 ? 503 : 200));
  try {
    const { code, stats } = await runSender(receiver.url, 2, 4);
    assert.equal(code, 0);
    assert.equal(stats.delivered, 8);
    assert.equal(stats.failed_attempts, 8);
    assert.equal(receiver.requests.length, 16);
    checkDeliveries(receiver.requests, 2, 4);
    const ids = receiver.requests.map((r) => r.headers['webhook-id']);
    assert.equal(new Set(ids).size, 8);
  } finally {
    receiver.server.close();
  }
});
