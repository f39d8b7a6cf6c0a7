// The browser pages against the real server, in headless Chromium: the WHEP
// viewer shows the room's mix, and a participant who joins over /ws with a
// (fake) blue camera sees the mix with itself in it, mutes, and leaves.
//
// usage (meson runs it): tests/tools/netns-run node tests/browser/pages.test.mjs BUILT_SERVER_BINARY
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ServerUnderTest, networkSettled, audioEnergy, fakeMedia, launchBrowser, recordPage, removeTempDir, tempDir,
  waitFor, waitForColour, waitForFrames,
} from './harness.mjs';

const binary = process.argv[2];
if (!binary) throw new Error('usage: pages.test.mjs MIXCAST_BINARY');

// One room, side-by-side on 640x360 (config/layouts/side-by-side.yaml):
// alone, a participant fills the canvas; with two, seat 0 has the left half
// and seat 1 the right half. Red, a test source, takes seat 0.
const config = `log_level: info
http: {address: 0.0.0.0, port: {port}}
auth: none  # inside the test's own network namespace
media: {width: 640, height: 360, fps: 30, video_bitrate_kbps: 800}
paths:
  layouts: {root}/config/layouts
  pipelines: {root}/pipelines
  hls: {dir}/hls
  recordings: {dir}/recordings
webrtc: {auto_create_rooms: false}   # the unknown-room test expects 404
rooms:
  - name: live
    layout: side-by-side
    outputs: {hls: {enabled: false}, recording: {enabled: false}}
    sources:
      - {name: Red, uri: "test://color?color=red&tone=440"}
`;
const left = [0.25, 0.5];
const right = [0.75, 0.5];

const server = new ServerUnderTest(binary, 'browser');
const mediaDir = tempDir('browser-media');
const pageLog = [];
let browser;
let viewer;
let joiner;

// On a failure: what the pages said and what the server logged.
async function diagnosed(fn) {
  try {
    await fn();
  } catch (e) {
    for (const page of [viewer, joiner]) {
      if (!page || page.isClosed()) continue;
      const ui = await page.evaluate(() => [
        ...['status', 'error', 'events', 'stats']
          .map((id) => `${id}: ${document.getElementById(id)?.innerText ?? '-'}`),
        ...[...document.querySelectorAll('video')].map((v) => `<video id=${v.id}>: ` +
          `paused ${v.paused}, muted ${v.muted}, readyState ${v.readyState}, ` +
          `${v.videoWidth}x${v.videoHeight}, ${v.getVideoPlaybackQuality().totalVideoFrames} frames, ` +
          `tracks ${v.srcObject ? v.srcObject.getTracks().map((t) => `${t.kind}:${t.readyState}`) : 'none'}` +
          `${v.error ? `, error ${v.error.message}` : ''}`),
      ].join('\n')).catch((x) => String(x));
      pageLog.push(`[${page.url()}] on screen:\n${ui}`);
    }
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

test('the viewer page plays the mix over WHEP', { timeout: 30000 }, () => diagnosed(async () => {
  viewer = await browser.newPage();
  recordPage(viewer, 'view', pageLog);
  await viewer.goto(`${server.url}/view.html?room=live`);
  await waitForFrames(viewer, '#mix', 30, 20000);
  // Red alone fills the canvas.
  await waitForColour(viewer, '#mix', ...left, 'red', 5000);
  await waitForColour(viewer, '#mix', ...right, 'red', 5000);
  assert.match(await viewer.textContent('#status'), /watching live/);
  // Red's 440 Hz tone arrives in the full audio mix (Chromium measures the
  // sound it plays: unmute as a viewer does).
  await viewer.$eval('#mix', (v) => { v.muted = false; });
  const energy = await audioEnergy(viewer);
  await waitFor('decoded sound on the viewer', async () => (await audioEnergy(viewer)) > energy, 5000);
  assert.equal((await server.room('live')).participants.length, 1, 'a viewer takes no seat');
}));

test('joining an unknown room shows the server\'s error', { timeout: 20000 }, () => diagnosed(async () => {
  const page = await browser.newPage();
  recordPage(page, 'join-nope', pageLog);
  await page.goto(`${server.url}/join.html?room=nope&name=Lost`);
  await page.click('#join');
  await waitFor('the error on the page', async () => /404|no room/.test(await page.textContent('#error')), 10000);
  assert.equal(await page.isEnabled('#join'), true, 'the page can try again');
  assert.equal(await page.textContent('#status'), 'not in a room');
  await page.close();
}));

test('a participant joins over /ws, sees itself in the mix, turns the camera off and leaves',
  { timeout: 50000 }, () => diagnosed(async () => {
    joiner = await browser.newPage();
    recordPage(joiner, 'join', pageLog);
    await joiner.goto(`${server.url}/join.html?room=live&name=Blue`);
    assert.equal(await joiner.inputValue('#room'), 'live');
    assert.equal(await joiner.inputValue('#name'), 'Blue');
    await joiner.click('#join');
    await waitFor('Blue with video in the room', async () =>
      (await server.room('live')).participants.some((p) => p.name === 'Blue' && p.has_video), 15000);
    await waitForFrames(joiner, '#mix', 30, 20000);
    // The mix comes back on the same connection: Red (seat 0) on the left,
    // the fake blue camera (seat 1) on the right; the viewer sees it too.
    await waitForColour(joiner, '#mix', ...right, 'blue', 10000);
    await waitForColour(joiner, '#mix', ...left, 'red', 5000);
    await waitForColour(viewer, '#mix', ...right, 'blue', 5000);
    await waitFor('connected', async () => /in live as Blue/.test(await joiner.textContent('#status')), 5000);
    await waitFor('both in the participant list', async () => {
      const list = await joiner.textContent('#participants');
      return list.includes('Red') && list.includes('Blue (you)');
    }, 5000);
    // The mix-minus brings Red's tone.
    const energy = await audioEnergy(joiner);
    await waitFor('decoded sound on the joiner', async () => (await audioEnergy(joiner)) > energy, 5000);

    // Camera off: Chromium sends black frames for a disabled track.
    await joiner.click('#camera');
    assert.equal(await joiner.textContent('#camera'), 'Camera on');
    await waitForColour(joiner, '#mix', ...right, 'black', 10000);
    await joiner.click('#camera');
    await waitForColour(joiner, '#mix', ...right, 'blue', 10000);
    await joiner.click('#mic');
    assert.equal(await joiner.textContent('#mic'), 'Unmute mic');
    assert.equal(await joiner.evaluate(() => window.mixcast.pc.getSenders()
      .find((s) => s.track?.kind === 'audio').track.enabled), false);

    // Leave: the seat goes at once, Red fills the viewer's picture again.
    await joiner.click('#leave');
    assert.equal(await joiner.textContent('#status'), 'not in a room');
    await waitFor('Blue gone from the room', async () =>
      !(await server.room('live')).participants.some((p) => p.name === 'Blue'), 5000);
    await waitForColour(viewer, '#mix', ...right, 'red', 10000);
  }));

// Run last: every page above was served with the server's
// Content-Security-Policy; Chromium reports a blocked script, style,
// worker, media or connection on the console.
test('the pages break no rule of their Content-Security-Policy', () => {
  const violations = pageLog.filter((line) => /Content Security Policy|Refused to/i.test(line));
  assert.deepEqual(violations, []);
});
