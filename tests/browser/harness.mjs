// What the browser tests need around the pages: the real server on a
// generated config, Debian's Chromium driven by playwright-core, and the
// pictures and logs to look at. Runs inside tests/tools/netns-run (ICE
// ignores loopback; the namespace's veth addresses carry the media).
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';

export const sourceRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

export function tempDir(prefix) {
  return fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), `mixcast-${prefix}-`));
}

export function removeTempDir(dir) {
  if (!process.env.MIXCAST_KEEP_TEST_FILES) fs.rmSync(dir, { recursive: true, force: true });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Polls `condition` (sync or async) every 200 ms until it returns a truthy
// value, which is returned; throws `what` with the last value after `timeoutMs`.
export async function waitFor(what, condition, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await condition();
    if (last) return last;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await sleep(200);
  }
}

// The server binary on `configYaml` ("{port}", "{dir}", "{root}" replaced).
// The server serves web/ from the config file's directory + "/../web", so the
// config goes to <dir>/etc and <dir>/web links to the source tree's pages.
// `ca` (PEM text): the server speaks HTTPS with a certificate this CA signed
// (the config sets http.tls_*), and the test's own requests trust only it.
export class ServerUnderTest {
  constructor(binary, name, { ca } = {}) {
    this.binary = path.resolve(binary);
    this.dir = tempDir(name);
    this.logFile = path.join(this.dir, 'server.log');
    this.process = null;
    this.port = 0;
    this.ca = ca;
  }

  get url() {
    return `${this.ca ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  // GET `urlPath` from the server: {status, json()}. Node's fetch cannot be
  // given a CA, so HTTPS goes through node:https.
  async get(urlPath, timeoutMs = 5000) {
    if (!this.ca) return fetch(`${this.url}${urlPath}`, { signal: AbortSignal.timeout(timeoutMs) });
    return new Promise((resolve, reject) => {
      const request = https.get(`${this.url}${urlPath}`, { ca: this.ca, timeout: timeoutMs }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => { body += chunk; });
        response.on('end', () => resolve({
          status: response.statusCode,
          ok: response.statusCode >= 200 && response.statusCode < 300,
          json: async () => JSON.parse(body),
        }));
        response.on('error', reject);
      });
      request.on('timeout', () => request.destroy(new Error(`GET ${urlPath}: no answer in ${timeoutMs} ms`)));
      request.on('error', reject);
    });
  }

  async start(configYaml, timeoutMs = 20000) {
    this.port = await freePort();
    const config = configYaml
      .replaceAll('{port}', String(this.port))
      .replaceAll('{dir}', this.dir)
      .replaceAll('{root}', sourceRoot);
    fs.mkdirSync(path.join(this.dir, 'etc'));
    fs.symlinkSync(path.join(sourceRoot, 'web'), path.join(this.dir, 'web'));
    const configFile = path.join(this.dir, 'etc', 'mixcast.yaml');
    fs.writeFileSync(configFile, config);
    const log = fs.openSync(this.logFile, 'a');
    this.process = spawn(this.binary, ['--config', configFile], {
      cwd: this.dir,
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    this.exited = new Promise((resolve) => {
      this.process.on('exit', (code, signal) => resolve({ code, signal }));
      this.process.on('error', (e) => {
        fs.appendFileSync(this.logFile, `cannot start ${this.binary}: ${e.message}\n`);
        resolve({ code: -1, signal: null });
      });
    });
    await waitFor(
      'the server to answer /healthz',
      async () => {
        if (this.process.exitCode !== null || this.process.signalCode || !this.process.pid)
          throw new Error(`the server is not running (see its log, ${this.logFile})`);
        try {
          return (await this.get('/healthz')).status === 200;
        } catch {
          return false;
        }
      },
      timeoutMs,
    );
  }

  // GET /api/v1/rooms/{name}; a server that does not answer within
  // `timeoutMs` (a hung main loop) is an error too.
  async room(name, timeoutMs = 5000) {
    const response = await this.get(`/api/v1/rooms/${name}`, timeoutMs);
    if (!response.ok) throw new Error(`GET /api/v1/rooms/${name}: ${response.status}`);
    return response.json();
  }

  log() {
    try {
      return fs.readFileSync(this.logFile, 'utf8');
    } catch {
      return '(no server log)';
    }
  }

  // SIGTERM, then SIGKILL after `timeoutMs`; resolves to the exit {code, signal}.
  async stop(timeoutMs = 10000) {
    if (!this.process || this.process.exitCode !== null || this.process.signalCode) return this.exited;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), timeoutMs);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }
}

// A y4m file of one colour (a name or 0xRRGGBB) and a wav tone: Chromium's
// fake camera and microphone play them in a loop. The tone is ffmpeg's
// default sine (-18 dBFS) unless `levelDbfs` is given.
export function fakeMedia(dir, colour, frequency, { levelDbfs } = {}) {
  const video = path.join(dir, `${colour}.y4m`);
  const audio = path.join(dir, `tone${frequency}${levelDbfs === undefined ? '' : `_${-levelDbfs}dB`}.wav`);
  const ffmpeg = ['-v', 'error', '-y', '-f', 'lavfi'];
  execFileSync('ffmpeg', [...ffmpeg, '-i', `color=c=${colour}:s=640x360:r=30`, '-t', '2',
    '-pix_fmt', 'yuv420p', video]);
  const tone = levelDbfs === undefined
    ? `sine=frequency=${frequency}:sample_rate=48000`
    : `aevalsrc=${(10 ** (levelDbfs / 20)).toFixed(6)}*sin(2*PI*${frequency}*t):s=48000:c=mono`;
  execFileSync('ffmpeg', [...ffmpeg, '-i', tone, '-t', '2', audio]);
  return { video, audio };
}

// netns-run's veth pair comes up with IPv6 link-local addresses that stay
// "tentative" (duplicate address detection) for about 2 s. When they turn
// usable, Chromium sees a network change and aborts what it is loading
// (net::ERR_NETWORK_CHANGED): a test that navigates within its first seconds
// waits here until no address is tentative.
export function networkSettled(timeoutMs = 10000) {
  return waitFor('the network namespace\'s addresses to settle (IPv6 DAD)', () =>
    execFileSync('ip', ['-6', 'addr', 'show', 'tentative'], { encoding: 'utf8' }).trim() === '',
  timeoutMs);
}

export const chromiumPath = process.env.MIXCAST_CHROMIUM || '/usr/bin/chromium';

// Debian's Chromium, headless, with a fake camera and microphone (the
// shared recipe: these flags work as root and without a display). `home`:
// Chromium's HOME, whose .pki/nssdb is the certificate store it trusts
// besides its built-in roots (see trustStore()).
function browserOptions(media, { home } = {}) {
  if (!fs.existsSync(chromiumPath))
    throw new Error(`no Chromium at ${chromiumPath}: run scripts/bootstrap (Debian package chromium)`);
  return {
    executablePath: chromiumPath,
    headless: true,
    ...(home ? { env: { ...process.env, HOME: home } } : {}),
    args: [
      '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
      `--use-file-for-fake-video-capture=${media.video}`,
      `--use-file-for-fake-audio-capture=${media.audio}`,
    ],
  };
}

export async function launchBrowser(media, options) {
  return chromium.launch(browserOptions(media, options));
}

// A HOME for Chromium whose NSS database (the one Chromium on Linux reads,
// ~/.pki/nssdb) trusts `caFile` to identify web sites, as `certutil` from
// libnss3-tools sets it up for a person; none with `caFile` omitted.
export function trustStore(dir, caFile) {
  const db = path.join(dir, '.pki', 'nssdb');
  fs.mkdirSync(db, { recursive: true });
  execFileSync('certutil', ['-d', `sql:${db}`, '-N', '--empty-password']);
  if (caFile) execFileSync('certutil', ['-d', `sql:${db}`, '-A', '-t', 'C,,', '-n', 'mixcast-test', '-i', caFile]);
  return dir;
}

// The same Chromium, started as a playwright BrowserServer and connected to,
// so that its process is at hand for killBrowser(): {browser, chromium}.
export async function launchKillableBrowser(media) {
  const server = await chromium.launchServer(browserOptions(media));
  try {
    return { browser: await chromium.connect(server.wsEndpoint()), chromium: server };
  } catch (e) {
    await server.kill();
    throw e;
  }
}

// Ends a browser from launchKillableBrowser() abruptly, as a crash or a
// pulled plug would: SIGKILL to its whole process group (playwright starts
// Chromium as a group leader), so no renderer or network process lingers to
// say goodbye. Resolves once the main process is gone.
export async function killBrowser(browserServer) {
  const child = browserServer?.process();
  if (!child || child.exitCode !== null || child.signalCode) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
  await gone;
}

// Collects what a page says (console, uncaught errors, failed requests and
// HTTP errors), to print when a test fails.
export function recordPage(page, name, lines) {
  page.on('console', (m) => {
    const where = m.location()?.url ? ` (${m.location().url}:${m.location().lineNumber})` : '';
    lines.push(`[${name}] console.${m.type()}: ${m.text()}${where}`);
  });
  page.on('pageerror', (e) => lines.push(`[${name}] uncaught: ${e.message}`));
  page.on('requestfailed', (r) => lines.push(`[${name}] request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) lines.push(`[${name}] HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
  });
}

// Frames the page's <video> has presented so far.
export function framesShown(page, selector) {
  return page.$eval(selector, (v) => v.getVideoPlaybackQuality().totalVideoFrames);
}

// Waits until the <video> shows new frames: its count rises by `more` frames.
export async function waitForFrames(page, selector, more, timeoutMs) {
  const start = await framesShown(page, selector);
  return waitFor(`${more} new frames in ${selector}`, async () => {
    const now = await framesShown(page, selector);
    return now - start >= more ? now : 0;
  }, timeoutMs);
}

// The mean colour {r, g, b} of a 40x40 patch centred at (fx, fy), fractions
// of the picture, in the frame the <video> shows now.
export function patchColour(page, selector, fx, fy) {
  return page.$eval(selector, (video, [x, y]) => {
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const context = canvas.getContext('2d', { willReadFrequently: true });
    context.drawImage(video, 0, 0);
    const cx = Math.round(x * canvas.width) - 20;
    const cy = Math.round(y * canvas.height) - 20;
    const { data } = context.getImageData(cx, cy, 40, 40);
    const sum = [0, 0, 0];
    for (let i = 0; i < data.length; i += 4) for (let c = 0; c < 3; ++c) sum[c] += data[i + c];
    const n = data.length / 4;
    return { r: Math.round(sum[0] / n), g: Math.round(sum[1] / n), b: Math.round(sum[2] / n),
      width: canvas.width, height: canvas.height };
  }, [fx, fy]);
}

const colours = {
  red: (c) => c.r > 170 && c.g < 80 && c.b < 80,
  blue: (c) => c.b > 170 && c.r < 80 && c.g < 80,
  green: (c) => c.g > 170 && c.r < 80 && c.b < 80,
  black: (c) => c.r < 40 && c.g < 40 && c.b < 40,
};

// Whether a patch {r, g, b} is `colour` (red, green, blue or black).
export function isColour(seen, colour) {
  return colours[colour](seen);
}

// Waits until the patch at (fx, fy) is `colour` (the mix may take a few
// frames to reflow); returns the colour seen.
export function waitForColour(page, selector, fx, fy, colour, timeoutMs) {
  return waitFor(`${colour} at (${fx}, ${fy}) of ${selector}`, async () => {
    const seen = await patchColour(page, selector, fx, fy);
    return colours[colour](seen) ? seen : false;
  }, timeoutMs).catch(async (e) => {
    const seen = await patchColour(page, selector, fx, fy);
    throw new Error(`${e.message}; the patch is rgb(${seen.r}, ${seen.g}, ${seen.b}) of a ` +
      `${seen.width}x${seen.height} picture`);
  });
}

// The audio a page's peer connection (window.mixcast.pc) has decoded: total
// energy of the received audio, rising while sound (not silence) arrives.
export function audioEnergy(page) {
  return page.evaluate(async () => {
    const pc = window.mixcast?.pc;
    if (!pc) return -1;
    let energy = 0;
    for (const s of (await pc.getStats()).values())
      if (s.type === 'inbound-rtp' && s.kind === 'audio') energy += s.totalAudioEnergy || 0;
    return energy;
  });
}
