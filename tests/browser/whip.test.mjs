// Real Chromium participants over plain WHIP (issue 7), each its own browser
// process with its own fake camera (one solid colour) and microphone (one
// pure tone), against the real server on its default config (a room created
// on demand with the grid layout, HLS and recording on). What the browsers
// DECODED is checked: the colours in the tiles the layout engine computes, the
// tones of the others and not their own (mix-minus), little concealment. Then
// the browsers are killed (no DELETE, no BYE): the room must keep encoding and
// writing HLS, a new joiner must see itself, and SIGTERM must stop the server
// with a finished recording.
//
// usage (meson runs it): tests/tools/netns-run node tests/browser/whip.test.mjs BUILT_SERVER_BINARY
// MIXCAST_WHIP_RESULTS=FILE appends one JSON line per check (bench/browser-whip-stress.sh).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ServerUnderTest, networkSettled, fakeMedia, isColour, killBrowser, launchKillableBrowser, patchColour,
  recordPage, removeTempDir, tempDir, waitFor, waitForFrames,
} from './harness.mjs';

const binary = process.argv[2];
if (!binary) throw new Error('usage: whip.test.mjs MIXCAST_BINARY');

// The defaults but for a 640x360 canvas (five browsers' worth of encoding
// and decoding share two cores with the server; the other browser and WebRTC
// tests use this size too). No rooms: the WHIP join creates one with
// webrtc.room_layout (grid) and default_outputs (HLS and recording on);
// departure_timeout_s is its default, 5 s.
// MIXCAST_WHIP_CANVAS=1280x720 (the server's default size, at its default
// bitrate) runs the same scenario on the bigger canvas.
const [width, height] = (process.env.MIXCAST_WHIP_CANVAS || '640x360').split('x').map(Number);
const bitrate = process.env.MIXCAST_WHIP_CANVAS ? '' : ', video_bitrate_kbps: 800';
// MIXCAST_WHIP_MIXER_LATENCY_MS=N runs it with media.mixer_latency_ms N (the
// mixers' margin for late inputs; default 40), to see what a lower one costs
// real guests (bench/browser-whip-stress.sh).
const mixerLatency = process.env.MIXCAST_WHIP_MIXER_LATENCY_MS
  ? `, mixer_latency_ms: ${Number(process.env.MIXCAST_WHIP_MIXER_LATENCY_MS)}`
  : '';
const config = `log_level: info
http: {address: 0.0.0.0, port: {port}}
auth: none  # inside the test's own network namespace
media: {width: ${width}, height: ${height}, fps: 30${bitrate}${mixerLatency}}
paths:
  layouts: {root}/config/layouts
  pipelines: {root}/pipelines
  hls: {dir}/hls
  recordings: {dir}/recordings
`;
const room = 'whip';
const departureTimeoutS = 5;

// Tones at -12 dBFS. The own tone must come back at least this far below the
// others' (mix-minus); a tone is "present" this far above the noise floor.
const toneDbfs = -12;
const ownMarginDb = 40;
const presentAboveFloorDb = 30;
const maxConcealedPercent = 2;

const people = {
  red: { name: 'Red', colour: 'red', hex: '0xFF0000', tone: 440 },
  green: { name: 'Green', colour: 'green', hex: '0x00FF00', tone: 660 },
  blue: { name: 'Blue', colour: 'blue', hex: '0x0000FF', tone: 880 },
};

// ---- results: every check is recorded (stdout, and MIXCAST_WHIP_RESULTS),
// a test fails at its end with all the checks that failed ----
let failures = [];
function check(name, ok, detail, value) {
  const line = `[whip] ${ok ? 'ok  ' : 'FAIL'} ${name}: ${detail}`;
  console.log(line);
  if (!ok) failures.push(line);
  if (process.env.MIXCAST_WHIP_RESULTS) {
    fs.appendFileSync(process.env.MIXCAST_WHIP_RESULTS,
      `${JSON.stringify({ check: name, ok: Boolean(ok), value: value ?? null, detail })}\n`);
  }
  return ok;
}
function settle() {
  const failed = failures;
  failures = [];
  if (failed.length) throw new Error(`${failed.length} check(s) failed:\n${failed.join('\n')}`);
}

// ---- the client page, served from an origin of its own ----
const clientHtml = fs.readFileSync(new URL('./whip-client.html', import.meta.url));
let clientServer;
let clientUrl;
async function startClientServer() {
  clientServer = http.createServer((request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end(clientHtml);
  });
  await new Promise((resolve) => clientServer.listen(0, '127.0.0.1', resolve));
  clientUrl = `http://127.0.0.1:${clientServer.address().port}/`;
}

const server = new ServerUnderTest(binary, 'browser-whip');
const mediaDir = tempDir('browser-whip-media');
const pageLog = [];
const participants = [];  // every Participant started, for the diagnostics and the clean-up

// One Chromium process per participant (the fake-device flags are per process).
class Participant {
  constructor(who) {
    Object.assign(this, who);
    this.media = fakeMedia(mediaDir, who.hex, who.tone, { levelDbfs: toneDbfs });
    participants.push(this);
  }

  async join() {
    ({ browser: this.browser, chromium: this.chromium } = await launchKillableBrowser(this.media));
    this.page = await this.browser.newPage();
    recordPage(this.page, this.name, pageLog);
    await this.page.goto(clientUrl);
    this.joinedAt = Date.now();
    this.session = await this.page.evaluate(([s, r, n]) => window.whip.join(s, r, n),
      [server.url, room, this.name]);
    await waitFor(`${this.name} with video in the room`, async () =>
      (await server.room(room)).participants.some((p) => p.name === this.name && p.has_video), 15000);
    await waitForFrames(this.page, '#mix', 30, 20000);
  }

  async stats() {
    return { ...(await this.page.evaluate(() => window.whip.stats())), at: Date.now() };
  }

  tones(frequencies, ms) {
    return this.page.evaluate(([f, t]) => window.whip.tones(f, t), [frequencies, ms]);
  }

  async kill() {
    this.killed = true;
    await killBrowser(this.chromium);
  }

  async diagnostics() {
    if (!this.page || this.killed || this.page.isClosed()) return `[${this.name}] (gone)`;
    const state = await this.page.evaluate(async () => {
      const v = document.getElementById('mix');
      return {
        log: window.whip.log,
        stats: await window.whip.stats(),
        video: `paused ${v.paused}, readyState ${v.readyState}, ${v.videoWidth}x${v.videoHeight}, ` +
          `${v.getVideoPlaybackQuality().totalVideoFrames} frames`,
      };
    }).catch((e) => String(e));
    return `[${this.name}] ${JSON.stringify(state, null, 1)}`;
  }
}

// On a failure: what the pages said and what the server logged.
async function diagnosed(fn) {
  try {
    await fn();
  } catch (e) {
    const pages = [];
    for (const p of participants) pages.push(await p.diagnostics());
    console.error(`---- pages ----\n${pages.join('\n')}\n${pageLog.join('\n')}`);
    console.error(`---- server log (${server.logFile}), last 30000 characters ----\n` +
      `${server.log().slice(-30000)}`);
    throw e;
  }
}

const rgb = (c) => `rgb(${c.r},${c.g},${c.b})`;
const round1 = (x) => Math.round(x * 10) / 10;

// The tile of each participant in the room now, as the server's layout
// engine placed it (the room status lists its tiles in canvas pixels).
async function tiles() {
  const state = await server.room(room);
  const byId = new Map(state.participants.map((p) => [p.id, p]));
  return state.tiles.filter((t) => !t.placeholder && byId.has(t.participant)).map((t) => ({
    name: byId.get(t.participant).name,
    slot: byId.get(t.participant).slot,
    cell: { x: t.x, y: t.y, width: t.width, height: t.height },
  }));
}

// Checks what each of `present` decodes: every tile's colour, the others'
// tones present and its own far below, the audio concealment.
async function checkRoster(label, present) {
  const layout = await tiles();
  console.log(`[whip] ${label}: tiles ${JSON.stringify(layout)}`);
  check(`${label}: room has ${present.length} participants`, layout.length === present.length,
    layout.map((t) => `${t.name}@slot${t.slot}`).join(', '));
  await Promise.all(present.map(async (me) => {
    // (a) colours: each tile (the others' and its own), sampled at its centre
    // (the label sits bottom-left, a border at the edges).
    for (const tile of layout) {
      const who = present.find((p) => p.name === tile.name);
      if (!who) continue;
      const fx = (tile.cell.x + tile.cell.width / 2) / width;
      const fy = (tile.cell.y + tile.cell.height / 2) / height;
      let seen;
      await waitFor(`${who.colour} in ${tile.name}'s tile`, async () => {
        seen = await patchColour(me.page, '#mix', fx, fy);
        return isColour(seen, who.colour);
      }, 15000).catch(() => {});
      const whose = who === me ? 'its own' : `${who.name}'s`;
      check(`${label}: ${me.name} sees ${whose} colour in ${whose === 'its own' ? 'its' : whose} tile`,
        isColour(seen, who.colour), `${rgb(seen)} at (${fx.toFixed(3)}, ${fy.toFixed(3)}) of a ` +
        `${seen.width}x${seen.height} picture, want ${who.colour}`);
    }
    // (c) concealment after the first second of audio: snapshots at t≈1 s
    // (or now, if later) and at the end.
    await waitFor(`${me.name}: a second of received audio`, async () =>
      ((await me.stats()).audio?.totalSamplesReceived ?? 0) >= 48000, 15000).catch(() => {});
    const first = await me.stats();
    // (b) tones, over 2 s.
    const others = present.filter((p) => p !== me);
    const measured = await me.tones([me.tone, ...others.map((p) => p.tone)], 2000);
    await sleep(500);
    const last = await me.stats();
    const [own, ...theirs] = measured.levels;
    const levels = [`own ${me.tone} Hz ${round1(own)} dB`,
      ...others.map((p, i) => `${p.name} ${p.tone} Hz ${round1(theirs[i])} dB`),
      `floor ${round1(measured.floor)} dB`, `${measured.frames} frames`].join(', ');
    console.log(`[whip] ${label}: ${me.name} hears ${levels}`);
    others.forEach((p, i) => check(`${label}: ${me.name} hears ${p.name}`,
      theirs[i] - measured.floor >= presentAboveFloorDb,
      `${p.tone} Hz at ${round1(theirs[i])} dB, ${round1(theirs[i] - measured.floor)} dB above the ` +
      `floor (want >= ${presentAboveFloorDb})`, round1(theirs[i] - measured.floor)));
    const margin = Math.min(...theirs) - own;
    check(`${label}: ${me.name}'s own tone >= ${ownMarginDb} dB below the others`,
      margin >= ownMarginDb, `own ${me.tone} Hz at ${round1(own)} dB, ${round1(margin)} dB below the ` +
      `quietest other`, round1(margin));
    const decoded = (last.video?.framesDecoded ?? 0) - (first.video?.framesDecoded ?? 0);
    const seconds = (last.at - first.at) / 1000;
    check(`${label}: ${me.name} decodes moving video`, decoded >= 10 * seconds,
      `${decoded} frames decoded in ${seconds.toFixed(1)} s (want >= 10 fps of the 30)`,
      Math.round(decoded / seconds));
    const a = first.audio;
    const b = last.audio;
    const samples = (b?.totalSamplesReceived ?? 0) - (a?.totalSamplesReceived ?? 0);
    const concealed = (b?.concealedSamples ?? 0) - (a?.concealedSamples ?? 0);
    const percent = samples > 0 ? (100 * concealed) / samples : 100;
    check(`${label}: ${me.name}'s audio concealment <= ${maxConcealedPercent} %`,
      samples > 0 && percent <= maxConcealedPercent,
      `${concealed} of ${samples} samples concealed (${percent.toFixed(2)} %) after the first ` +
      `${((a?.totalSamplesReceived ?? 0) / 48000).toFixed(1)} s; codec ${b?.codec}, ` +
      `${b?.packetsLost} packets lost; video ${last.video?.codec} ${last.video?.frameWidth}x` +
      `${last.video?.frameHeight}, ${last.video?.framesDecoded} decoded, ` +
      `${last.video?.freezeCount} freezes; sends ${last.sentVideoCodec}`,
      Math.round(percent * 100) / 100);
  }));
}

before(() => diagnosed(async () => {
  process.env.GST_DEBUG ??= '2';   // the server's GStreamer warnings, in its log
  await startClientServer();
  // Chromium aborts a page load when the namespace's IPv6 addresses settle.
  await networkSettled();
  // The client page's origin is the one CORS allows (limits.cors_allow_origins).
  await server.start(`${config}limits:\n  cors_allow_origins: ["${new URL(clientUrl).origin}"]\n`);
}));

after(async () => {
  for (const p of participants) await killBrowser(p.chromium).catch(() => {});
  const exit = await server.stop();
  clientServer?.close();
  if (process.env.MIXCAST_WHIP_RESULTS)
    fs.copyFileSync(server.logFile, `${process.env.MIXCAST_WHIP_RESULTS}.server.log`);
  removeTempDir(mediaDir);
  removeTempDir(server.dir);
  // A server that had to be stopped here was already reported by a test.
  if (exit.signal === 'SIGKILL') console.log('[whip] the server had to be killed at the end');
});

// Stopped from outside (meson's timeout, the stress script's): the after
// hook does not run then, so kill what this file started before exiting.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    for (const p of participants) {
      const pid = p.chromium?.process()?.pid;
      try { if (pid) process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
    }
    server.process?.kill('SIGKILL');
    if (process.env.MIXCAST_WHIP_RESULTS)
      fs.copyFileSync(server.logFile, `${process.env.MIXCAST_WHIP_RESULTS}.server.log`);
    console.error(`---- ${signal}: server log (${server.logFile}), last 30000 characters ----\n` +
      `${server.log().slice(-30000)}`);
    process.exit(1);
  });
}

const red = new Participant(people.red);
const green = new Participant(people.green);
const blue = new Participant(people.blue);

test('two Chromium participants over WHIP see and hear each other, not themselves',
  { timeout: 100000 }, () => diagnosed(async () => {
    const started = Date.now();
    await red.join();
    await green.join();
    console.log(`[whip] two joined in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await checkRoster('2 participants', [red, green]);
    settle();
  }));

test('a third Chromium participant joins; all three see the grid and hear the others',
  { timeout: 100000 }, () => diagnosed(async () => {
    await blue.join();
    await checkRoster('3 participants', [red, green, blue]);
    settle();
  }));

test('the browsers are killed, one then the rest: the room keeps encoding and writing HLS, a new joiner sees itself',
  { timeout: 100000 }, () => diagnosed(async () => {
    // One goes first: the two who stay must get the reflowed grid, moving
    // video and their mix-minus, with the room still encoding.
    let killedAt = Date.now();
    await blue.kill();
    try {
      await waitFor('Blue to leave', async () =>
        !(await server.room(room)).participants.some((p) => p.name === 'Blue'), 4 * departureTimeoutS * 1000);
      check('one departure: the killed participant leaves', true,
        `after ${((Date.now() - killedAt) / 1000).toFixed(1)} s (departure timeout ${departureTimeoutS} s)`,
        round1((Date.now() - killedAt) / 1000));
      await checkRoster('after one departure', [red, green]);
    } catch (e) {
      check('one departure: the killed participant leaves', false, e.message);
    }

    killedAt = Date.now();
    await Promise.all([red, green].map((p) => p.kill()));
    // They go after the departure timeout (no RTP), with no DELETE.
    let left = false;
    try {
      await waitFor('the killed participants to leave', async () =>
        (await server.room(room)).participants.length === 0, 4 * departureTimeoutS * 1000);
      left = true;
    } catch (e) {
      check('departures: the killed participants leave', false, e.message);
    }
    if (left) {
      check('departures: the killed participants leave', true,
        `after ${((Date.now() - killedAt) / 1000).toFixed(1)} s (departure timeout ${departureTimeoutS} s)`,
        round1((Date.now() - killedAt) / 1000));
    }
    let answers = true;
    try {
      const f0 = (await server.room(room)).video_frames_encoded;
      await sleep(3000);
      const f1 = (await server.room(room)).video_frames_encoded;
      check('departures: the room keeps encoding', f1 - f0 >= 45,
        `${f1 - f0} frames encoded in 3 s (${f0} -> ${f1}; want >= 45 at 30 fps)`, f1 - f0);
    } catch (e) {
      answers = false;
      check('departures: the room keeps encoding', false, `the API does not answer: ${e.message}`);
    }
    // hlssink2 opens a segment's file when the segment starts and lists it
    // in the playlist when it is complete: wait for a newly listed one.
    const hlsDir = path.join(server.dir, 'hls', room);
    const onDisk = () => (fs.existsSync(hlsDir) ? fs.readdirSync(hlsDir).filter((f) => f.endsWith('.ts')) : []);
    const listed = async () => {
      try {
        const text = await (await fetch(`${server.url}/hls/${room}/index.m3u8`,
          { signal: AbortSignal.timeout(5000) })).text();
        return text.split('\n').filter((l) => l.endsWith('.ts'));
      } catch {
        return [];
      }
    };
    const listedBefore = new Set(await listed());
    const diskBefore = new Set(onDisk());
    const fresh = await waitFor('a newly listed HLS segment', async () => {
      const now = (await listed()).filter((f) => !listedBefore.has(f));
      return now.length ? now : false;
    }, 10000).catch(() => []);
    const written = onDisk().filter((f) => !diskBefore.has(f));
    check('departures: new HLS segments appear', fresh.length > 0,
      `${fresh.length} new segment(s) in /hls/${room}/index.m3u8 within 10 s (${fresh.join(' ')}; ` +
      `${listedBefore.size} listed before), ${written.length} new file(s) on disk`, fresh.length);
    if (!answers) { settle(); return; }

    // A new Chromium joiner: alone, it fills the canvas with its own colour.
    const yellow = new Participant({ name: 'Yellow', colour: 'yellow', hex: '0xFFFF00', tone: 550 });
    let joined = false;
    try {
      await yellow.join();
      joined = true;
    } catch (e) {
      check('after departures: a new joiner gets the mix', false, e.message);
    }
    if (joined) {
      const layout = await tiles();
      const mine = layout.find((t) => t.name === 'Yellow');
      check('after departures: the new joiner is alone in the room', layout.length === 1,
        layout.map((t) => t.name).join(', '));
      const cell = mine?.cell ?? { x: 0, y: 0, width, height };
      const fx = (cell.x + cell.width / 2) / width;
      const fy = (cell.y + cell.height / 2) / height;
      let seen;
      await waitFor('yellow in its own tile', async () => {
        seen = await patchColour(yellow.page, '#mix', fx, fy);
        return seen.r > 170 && seen.g > 170 && seen.b < 80;
      }, 15000).catch(() => {});
      check('after departures: the new joiner sees its own colour in its tile',
        seen.r > 170 && seen.g > 170 && seen.b < 80,
        `${rgb(seen)} at (${fx.toFixed(3)}, ${fy.toFixed(3)}), want yellow`);
      const alone = await yellow.tones([yellow.tone], 1000);
      console.log(`[whip] after departures: Yellow hears its own ${yellow.tone} Hz at ` +
        `${round1(alone.levels[0])} dB, floor ${round1(alone.floor)} dB`);
    }
    settle();
  }));

test('SIGTERM stops the server within 15 s with its recording finalized',
  { timeout: 60000 }, () => diagnosed(async () => {
    // The new joiner is still connected: an operator stopping a live room.
    const started = Date.now();
    const exit = await server.stop(15000);
    const took = (Date.now() - started) / 1000;
    check('shutdown: SIGTERM stops the server within 15 s, exit 0',
      exit.code === 0 && exit.signal === null,
      `${exit.signal === 'SIGKILL' ? 'still running after 15 s, killed' : `exit code ${exit.code}, ` +
      `signal ${exit.signal}`} after ${took.toFixed(1)} s`, round1(took));
    for (const p of participants) await p.kill();
    const dir = path.join(server.dir, 'recordings', room);
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.(mp4|mkv)$/.test(f)) : [];
    check('shutdown: one recording in the room\'s directory', files.length === 1,
      `${dir}: ${files.join(' ') || 'none'}`);
    for (const file of files) {
      let streams = [];
      let error = '';
      try {
        streams = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries',
          'stream=codec_type,codec_name,duration:format=duration', '-of', 'json', path.join(dir, file)],
        { encoding: 'utf8' })).streams;
      } catch (e) {
        error = String(e.stderr || e.message).trim();
      }
      const duration = (kind) => Number(streams.find((s) => s.codec_type === kind)?.duration);
      const video = duration('video');
      const audio = duration('audio');
      const both = Number.isFinite(video) && Number.isFinite(audio) && video > 0 && audio > 0;
      check('shutdown: the recording is finalized, video within 1 s of audio',
        both && Math.abs(video - audio) <= 1,
        `${file}: video ${video} s, audio ${audio} s${error ? `; ffprobe: ${error}` : ''}`,
        both ? round1(video - audio) : null);
    }
    settle();
  }));
