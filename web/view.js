// Viewer page: watches a room's full mix over WHEP (POST /whep/{room} with a
// recvonly offer; DELETE the session URL on stop). See docs/web.md.
import { pageParams, trickleFragment } from './lib/protocol.js';
import { httpError, iceGathered, listRooms, receiveStats } from './lib/page.js';

// The join token the operator gave this viewer (?token=), sent as WHEP's
// Authorization: Bearer when the server asks for one.
const viewToken = new URLSearchParams(location.search).get('token') || '';
function withToken(headers) {
  return viewToken ? { ...headers, Authorization: `Bearer ${viewToken}` } : headers;
}

const form = document.getElementById('form');
const roomInput = document.getElementById('room');
const watchButton = document.getElementById('watch');
const stopButton = document.getElementById('stop');
const video = document.getElementById('mix');
const statusBox = document.getElementById('status');
const errorBox = document.getElementById('error');
const statsBox = document.getElementById('stats');

// The current viewing session: {pc, location, pending, offerSent}.
let session = null;
// For the console and the browser test: the current peer connection.
window.mixcast = {
  get pc() {
    return session?.pc ?? null;
  },
};

function setStatus(text) {
  statusBox.textContent = text;
}

function showError(text) {
  errorBox.textContent = text;
  if (text) console.error(text);
}

// Candidates found after the offer was sent go to the session URL.
async function trickle(current, candidates) {
  if (!candidates.length) return;
  const response = await fetch(current.location, {
    method: 'PATCH',
    headers: withToken({ 'Content-Type': 'application/trickle-ice-sdpfrag' }),
    body: trickleFragment(current.pc.localDescription.sdp, candidates),
  });
  if (!response.ok) console.warn(`trickle ICE: ${await httpError(response)}`);
}

async function watch(room) {
  stop();
  showError('');
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  const current = { pc, location: '', pending: [], offerSent: false };
  session = current;
  watchButton.disabled = true;
  stopButton.disabled = false;
  setStatus(`connecting to ${room}…`);

  // H.264 is in Chromium's offer by default: every codec the browser has stays.
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  const stream = new MediaStream();
  pc.ontrack = (event) => {
    stream.addTrack(event.track);
    video.srcObject = stream;
    video.play().catch(() => setStatus('press play to start the picture'));
  };
  pc.onicecandidate = ({ candidate }) => {
    if (!current.offerSent || !candidate || !candidate.candidate) return;
    current.pending.push({ mline: candidate.sdpMLineIndex ?? 0, candidate: candidate.candidate });
    if (current.location) trickle(current, current.pending.splice(0));
  };
  pc.onconnectionstatechange = () => {
    if (session !== current) return;
    const state = pc.connectionState;
    setStatus(state === 'connected' ? `watching ${room}` : `${room}: ${state}`);
    if (state === 'failed') showError('the connection to the server failed (ICE or DTLS)');
  };

  try {
    await pc.setLocalDescription(await pc.createOffer());
    await iceGathered(pc, 1500);
    current.offerSent = true;
    const response = await fetch(`/whep/${encodeURIComponent(room)}`, {
      method: 'POST',
      headers: withToken({ 'Content-Type': 'application/sdp' }),
      body: pc.localDescription.sdp,
    });
    if (response.status !== 201) throw new Error(`WHEP ${await httpError(response)}`);
    const answer = await response.text();
    if (session !== current) return;
    current.location = response.headers.get('Location') || '';
    if (!current.location) throw new Error('the WHEP answer has no Location header');
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    trickle(current, current.pending.splice(0));
  } catch (e) {
    if (session !== current) return;
    showError(`could not watch ${room}: ${e.message}`);
    stop();
  }
}

function stop() {
  if (!session) return;
  const { pc, location } = session;
  session = null;
  // keepalive: the DELETE still goes out when the page is being closed.
  if (location) fetch(location, { method: 'DELETE', keepalive: true, headers: withToken({}) }).catch(() => {});
  pc.close();
  video.srcObject = null;
  statsBox.textContent = '';
  watchButton.disabled = false;
  stopButton.disabled = true;
  setStatus('not watching');
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const room = roomInput.value.trim();
  history.replaceState(null, '', `?room=${encodeURIComponent(room)}`);
  watch(room);
});
stopButton.addEventListener('click', stop);
window.addEventListener('pagehide', stop);

setInterval(async () => {
  if (session && session.location) statsBox.textContent = await receiveStats(session.pc);
}, 1000);

const { room } = pageParams(location.search);
// The room list is the operator's (an admin key): a guest with a token has a room.
if (!viewToken) listRooms(document.getElementById('rooms'))
  .then((rooms) => {
    if (!roomInput.value && rooms.length) roomInput.value = rooms[0];
  })
  .catch((e) => showError(`cannot list the rooms: ${e.message}`));
// A link with ?room= starts watching at once (muted, so autoplay is allowed).
if (room) {
  roomInput.value = room;
  watch(room);
}
