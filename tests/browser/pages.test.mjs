// The browser pages against the real server, in headless Chromium: the WHEP
// viewer shows the room's mix, and a participant who joins over /ws with a
// (fake) blue camera sees the mix with itself in it, mutes, and leaves.
//
// usage (meson runs it): tests/tools/netns-run node tests/browser/pages.test.mjs BUILT_SERVER_BINARY
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ServerUnderTest, audioEnergy, fakeMedia, launchBrowser, recordPage, removeTempDir, tempDir,
  waitFor, waitForColour, waitForFrames,
} from './harness.mjs';

const binary = process.argv[2];
if (!binary) throw new Error('usage: pages.test.mjs MIXCAST_BINARY');

// One room, side-by-side on 640x360 (config/layouts/side-by-side.yaml):
// alone, a participant fills the canvas; with two, seat 0 has the left half
// and seat 1 the right half. Red, a test source, takes seat 0.
const config = `log_level: info
http: {address: 0.0.0.0, port: {port}}
media: {width: 640, height: 360, fps: 30, video_bitrate_kbps: 800}
paths:
  layouts: {root}/config/layouts
  pipelines: {root}/pipelines
  hls: {dir}/hls
  recordings: {dir}/recordings
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
      const ui = await page.evaluate(() =>
        ['status', 'error', 'events', 'stats']
          .map((id) => `${id}: ${document.getElementById(id)?.innerText ?? '-'}`)
          .join('\n')).catch((x) => String(x));
      pageLog.push(`[${page.url()}] on screen:\n${ui}`);
    }
    console.error(`---- page console ----\n${pageLog.join('\n')}`);
    console.error(`---- server log (${server.logFile}) ----\n${server.log().slice(-20000)}`);
    throw e;
  }
}

before(() => diagnosed(async () => {
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

test('the viewer page plays the mix over WHEP', { timeout: 40000 }, () => diagnosed(async () => {
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
