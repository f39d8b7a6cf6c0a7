// HTTPS and WSS from a browser on "another machine": Chromium opens the join
// page at https://10.77.0.1 (a veth address of tests/tools/netns-run, not
// loopback, which Chromium would call a secure context even over plain
// HTTP), trusting the test CA through a real certificate store (an NSS
// database in a HOME of its own, as certutil sets one up for a person; no
// flag that ignores certificate errors). The page is a secure context, gets
// the (fake) camera and microphone, signals over wss:///ws and publishes:
// the room status lists the participant with video, the room keeps encoding
// and the mix the page decodes shows its colour in its tile. Without the CA
// the same Chromium refuses the server; the same page over plain HTTP from a
// non-loopback address has no camera at all.
//
// usage (meson runs it): tests/tools/netns-run node tests/browser/https.test.mjs BUILT_SERVER_BINARY
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  ServerUnderTest, fakeMedia, launchBrowser, networkSettled, recordPage, removeTempDir, sourceRoot,
  tempDir, trustStore, waitFor, waitForColour, waitForFrames,
} from './harness.mjs';

const binary = process.argv[2];
if (!binary) throw new Error('usage: https.test.mjs MIXCAST_BINARY');

// The "other machine" reaches the server at this address of the namespace.
const host = '10.77.0.1';
const tlsDir = tempDir('browser-https-ca');
execFileSync(path.join(sourceRoot, 'tests/tools/make-test-ca'),
  [tlsDir, 'IP:127.0.0.1', `IP:${host}`, 'DNS:localhost']);
const caFile = path.join(tlsDir, 'ca.pem');

const room = 'secure';
const config = `log_level: info
http:
  address: 0.0.0.0
  port: {port}
  tls_certificate: ${tlsDir}/server.pem
  tls_key: ${tlsDir}/server.key
auth: none  # inside the test's own network namespace
media: {width: 640, height: 360, fps: 30, video_bitrate_kbps: 800}
paths:
  layouts: {root}/config/layouts
  pipelines: {root}/pipelines
  hls: {dir}/hls
  recordings: {dir}/recordings
webrtc: {auto_create_rooms: false}
rooms:
  - name: ${room}
    layout: grid
    outputs: {hls: {enabled: false}, recording: {enabled: false}}
`;

const server = new ServerUnderTest(binary, 'browser-https', { ca: fs.readFileSync(caFile) });
const mediaDir = tempDir('browser-https-media');
const pageLog = [];
let browser;
let page;

async function diagnosed(fn) {
  try {
    await fn();
  } catch (e) {
    if (page && !page.isClosed()) {
      const ui = await page.evaluate(() => [
        `${location.href}, ${document.readyState}, page script ${window.mixcast ? 'ran' : 'did not run'}`,
        `room "${document.getElementById('room').value}", name "${document.getElementById('name').value}"`,
        ...['status', 'error', 'events'].map((id) => `${id}: ${document.getElementById(id)?.innerText ?? '-'}`),
      ].join('\n')).catch((x) => String(x));
      pageLog.push(`[join] on screen:\n${ui}`);
    }
    console.error(`---- page console ----\n${pageLog.join('\n')}`);
    console.error(`---- server log (${server.logFile}) ----\n${server.log().slice(-20000)}`);
    throw e;
  }
}

before(() => diagnosed(async () => {
  await server.start(config);
  await networkSettled();
  browser = await launchBrowser(fakeMedia(mediaDir, 'blue', 660),
    { home: trustStore(path.join(tlsDir, 'home'), caFile) });
}));

after(async () => {
  await browser?.close();
  const exit = await server.stop();
  removeTempDir(mediaDir);
  removeTempDir(tlsDir);
  removeTempDir(server.dir);
  assert.deepEqual(exit, { code: 0, signal: null }, 'the server stops cleanly');
});

test('a participant joins over HTTPS and WSS from a non-loopback address and publishes',
  { timeout: 50000 }, () => diagnosed(async () => {
    const origin = `https://${host}:${server.port}`;
    page = await browser.newPage();
    recordPage(page, 'join', pageLog);
    const sockets = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await page.goto(`${origin}/join.html?room=${room}&name=Blue`);
    assert.deepEqual(await page.evaluate(() => ({
      secure: window.isSecureContext, protocol: location.protocol,
      camera: typeof navigator.mediaDevices?.getUserMedia,
    })), { secure: true, protocol: 'https:', camera: 'function' });

    await page.click('#join');
    await waitFor('Blue with video in the room', async () =>
      (await server.room(room)).participants.some((p) => p.name === 'Blue' && p.has_video), 15000);
    assert.deepEqual(sockets, [`wss://${host}:${server.port}/ws`], 'signalling went over WSS');
    await waitFor('connected', async () => /in secure as Blue/.test(await page.textContent('#status')), 10000);

    // getUserMedia gave the page its camera and microphone, and both are sent.
    const local = await page.evaluate(() => ({
      preview: document.getElementById('preview').srcObject?.getTracks()
        .map((t) => `${t.kind}:${t.readyState}`).sort() ?? [],
      sending: window.mixcast.pc.getSenders().filter((s) => s.track?.readyState === 'live')
        .map((s) => s.track.kind).sort(),
    }));
    assert.deepEqual(local, { preview: ['audio:live', 'video:live'], sending: ['audio', 'video'] });

    // The server gets the video: the room keeps encoding, and the mix that
    // comes back shows the fake blue camera in Blue's tile.
    const framesBefore = (await server.room(room)).video_frames_encoded;
    await waitForFrames(page, '#mix', 30, 20000);
    const status = await server.room(room);
    assert.ok(status.video_frames_encoded > framesBefore,
      `frames encoded: ${framesBefore} -> ${status.video_frames_encoded}`);
    const blue = status.participants.find((p) => p.name === 'Blue');
    const tile = status.tiles.find((t) => t.participant === blue.id && !t.placeholder);
    assert.ok(tile, `Blue has a tile: ${JSON.stringify(status.tiles)}`);
    await waitForColour(page, '#mix', (tile.x + tile.width / 2) / status.width,
      (tile.y + tile.height / 2) / status.height, 'blue', 10000);

    await page.click('#leave');
    await waitFor('Blue gone from the room', async () =>
      !(await server.room(room)).participants.some((p) => p.name === 'Blue'), 5000);
  }));

test('without the CA in its store Chromium refuses the server', { timeout: 20000 }, () => diagnosed(async () => {
  const untrusting = await launchBrowser(fakeMedia(mediaDir, 'blue', 660),
    { home: trustStore(path.join(tlsDir, 'home-empty')) });
  try {
    const other = await untrusting.newPage();
    await assert.rejects(other.goto(`https://${host}:${server.port}/join.html`),
      /ERR_CERT_AUTHORITY_INVALID/);
  } finally {
    await untrusting.close();
  }
}));

test('over plain HTTP from a non-loopback address the page has no camera', { timeout: 20000 },
  () => diagnosed(async () => {
    // Not the server (it speaks HTTPS only): any plain HTTP origin at the address.
    const plain = http.createServer((request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      response.end('<!doctype html><title>plain</title>');
    });
    await new Promise((resolve) => plain.listen(0, host, resolve));
    try {
      const other = await browser.newPage();
      await other.goto(`http://${host}:${plain.address().port}/`);
      assert.deepEqual(await other.evaluate(() => ({
        secure: window.isSecureContext, camera: typeof navigator.mediaDevices?.getUserMedia,
      })), { secure: false, camera: 'undefined' });
      await other.close();
    } finally {
      plain.close();
    }
  }));
