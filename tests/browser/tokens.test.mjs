// The pages with auth on, in headless Chromium: each needs a join token in
// its URL and passes it on (the join page to the WebSocket, the viewer page
// to WHEP, the watch page to its HLS requests); the token names the guest,
// and a token without the grant is refused on the page.
//
// usage (meson runs it): tests/tools/netns-run node tests/browser/tokens.test.mjs BUILT_SERVER_BINARY
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  ServerUnderTest, networkSettled, fakeMedia, launchBrowser, recordPage, removeTempDir, tempDir, waitFor,
  waitForColour, waitForFrames,
} from './harness.mjs';

const binary = process.argv[2];
if (!binary) throw new Error('usage: tokens.test.mjs MIXCAST_BINARY');

const adminKey = 'browser-test-admin-key-0123456789';
const config = `log_level: info
http: {address: 0.0.0.0, port: {port}}
auth: {api_keys: [${adminKey}], token_secret: browser-test-token-secret-0123456789abcdef, hls: token}
media: {width: 640, height: 360, fps: 30, video_bitrate_kbps: 800}
paths:
  layouts: {root}/config/layouts
  pipelines: {root}/pipelines
  hls: {dir}/hls
  recordings: {dir}/recordings
webrtc: {auto_create_rooms: false}
rooms:
  - name: live
    layout: side-by-side
    outputs: {hls: {enabled: true, segment_s: 1}, recording: {enabled: false}}
    sources:
      - {name: Red, uri: "test://color?color=red&tone=440"}
`;

const server = new ServerUnderTest(binary, 'browser-tokens');
const mediaDir = tempDir('browser-tokens-media');
const pageLog = [];
let browser;

async function api(method, urlPath, body) {
  const response = await fetch(`${server.url}${urlPath}`, {
    method,
    headers: { Authorization: `Bearer ${adminKey}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(5000),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

async function token(claims) {
  const r = await api('POST', '/api/v1/tokens', { room: 'live', ...claims });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r.json.token;
}

async function participants() {
  const r = await api('GET', '/api/v1/rooms/live');
  assert.equal(r.status, 200);
  return r.json.participants;
}

async function diagnosed(fn) {
  try {
    await fn();
  } catch (e) {
    console.error(`---- page console ----\n${pageLog.join('\n')}`);
    console.error(`---- server log (${server.logFile}) ----\n${server.log().slice(-20000)}`);
    throw e;
  }
}

before(() => diagnosed(async () => {
  // Chromium aborts a page load when the namespace's IPv6 addresses settle.
  await networkSettled();
  await server.start(config);
  browser = await launchBrowser(fakeMedia(mediaDir, 'blue', 660));
}));

after(async () => {
  await browser?.close();
  const exit = await server.stop();
  removeTempDir(mediaDir);
  removeTempDir(server.dir);
  assert.deepEqual(exit, { code: 0, signal: null }, 'the server stops cleanly');
});

test('a page without a token, or with another room\'s, is refused', { timeout: 20000 }, () => diagnosed(async () => {
  const page = await browser.newPage();
  assert.equal((await page.goto(`${server.url}/join.html?room=live`)).status(), 401);
  const other = await token({ room: 'elsewhere', identity: 'x' });
  assert.equal((await page.goto(`${server.url}/join.html?room=live&token=${other}`)).status(), 403);
  await page.close();
}));

test('a guest joins with a publishing token and appears under the token\'s name', { timeout: 50000 }, () => diagnosed(async () => {
  const guest = await token({ identity: 'blue-guest', name: 'Blue Guest', can_publish: true });
  const page = await browser.newPage();
  recordPage(page, 'join', pageLog);
  const response = await page.goto(`${server.url}/join.html?room=live&name=Typed&token=${guest}`);
  assert.equal(response.status(), 200);
  await page.click('#join');
  await waitFor('the guest, named by the token, with video in the room', async () =>
    (await participants()).some((p) => p.name === 'Blue Guest' && p.has_video), 20000);
  assert.ok(!(await participants()).some((p) => p.name === 'Typed'), 'the typed name is not used');
  // The mix comes back: Red on the left, the guest's blue camera on the right.
  await waitForFrames(page, '#mix', 30, 20000);
  await waitForColour(page, '#mix', 0.75, 0.5, 'blue', 10000);
  await page.click('#leave');
  await waitFor('the guest gone', async () =>
    !(await participants()).some((p) => p.name === 'Blue Guest'), 10000);
  await page.close();
}));

test('a watching token cannot publish from the join page', { timeout: 30000 }, () => diagnosed(async () => {
  const watcher = await token({ identity: 'watcher', can_publish: false });
  const page = await browser.newPage();
  recordPage(page, 'join-viewer-token', pageLog);
  assert.equal((await page.goto(`${server.url}/join.html?room=live&name=W&token=${watcher}`)).status(), 200);
  await page.click('#join');
  await waitFor('the refusal on the page', async () => /403|publish/.test(await page.textContent('#error')), 15000);
  assert.equal((await participants()).length, 1, 'only Red is in the room');
  await page.close();
}));

test('the viewer page watches over WHEP with a watching token', { timeout: 40000 }, () => diagnosed(async () => {
  const watcher = await token({ identity: 'viewer', can_publish: false });
  const page = await browser.newPage();
  recordPage(page, 'view', pageLog);
  assert.equal((await page.goto(`${server.url}/view.html?room=live&token=${watcher}`)).status(), 200);
  await waitForFrames(page, '#mix', 30, 25000);
  await waitForColour(page, '#mix', 0.5, 0.5, 'red', 10000);
  await page.close();
}));

test('the watch page plays token-protected HLS', { timeout: 60000 }, () => diagnosed(async () => {
  const watcher = await token({ identity: 'hls-viewer', can_publish: false });
  const anonymous = await fetch(`${server.url}/hls/live/index.m3u8`);
  assert.equal(anonymous.status, 401, 'HLS needs a token');
  const page = await browser.newPage();
  recordPage(page, 'watch', pageLog);
  assert.equal((await page.goto(`${server.url}/?room=live&token=${watcher}`)).status(), 200);
  await page.$eval('#player', (v) => { v.muted = true; v.play().catch(() => {}); });
  await waitFor('HLS playing', async () =>
    page.$eval('#player', (v) => v.currentTime > 1 && v.readyState >= 2), 45000);
  await waitForColour(page, '#player', 0.5, 0.5, 'red', 10000);
  await page.close();
}));

// Run last: every page above was served with the server's
// Content-Security-Policy; Chromium reports a blocked script, style,
// worker, media or connection on the console.
test('the pages break no rule of their Content-Security-Policy', () => {
  const violations = pageLog.filter((line) => /Content Security Policy|Refused to/i.test(line));
  assert.deepEqual(violations, []);
});
