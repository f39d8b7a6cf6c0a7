// Join page: publishes the camera and microphone into a room and shows the
// mix that comes back on the same peer connection (sendrecv). Signalling and
// room events go over the WebSocket /ws (docs/http-api.md). See docs/web.md.
import {
  candidateMessage, describeOutput, iceCandidateInit, initialRoomState, joinMessage, leaveMessage,
  pageParams, parseServerMessage, reduceRoom,
} from './lib/protocol.js';
import { listRooms, receiveStats } from './lib/page.js';

// The join token the operator gave this guest, if the server asks for one.
const joinToken = new URLSearchParams(location.search).get('token') || '';

const $ = (id) => document.getElementById(id);
const form = $('form');
const roomInput = $('room');
const nameInput = $('name');
const joinButton = $('join');
const leaveButton = $('leave');
const micButton = $('mic');
const cameraButton = $('camera');
const mixVideo = $('mix');
const preview = $('preview');

// The current call: {ws, pc, local, opened, answered, remoteSet, early,
// sentJoin, outgoing, queue}; null when not in a room.
let call = null;
let room = initialRoomState();

// For the console and the browser test: the peer connection and room state.
window.mixcast = {
  get pc() {
    return call?.pc ?? null;
  },
  get room() {
    return room;
  },
};

function setStatus(text) {
  $('status').textContent = text;
}

function showError(text) {
  $('error').textContent = text;
  if (text) console.error(text);
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
}

function render() {
  $('layout').textContent = room.layout ? `(layout ${room.layout})` : '';
  const participants = $('participants');
  while (participants.rows.length > 1) participants.deleteRow(1);
  for (const p of room.participants) {
    const row = participants.insertRow();
    if (p.id === room.speaking) row.className = 'speaking';
    cell(row, p.slot ?? '');
    cell(row, p.id === room.self ? `${p.name} (you)` : p.name);
    cell(row, p.has_video ? 'yes' : 'no');
    cell(row, p.id === room.speaking ? 'speaking' : '');
  }
  const outputs = $('outputs');
  while (outputs.rows.length > 1) outputs.deleteRow(1);
  for (const o of room.outputs) {
    const row = outputs.insertRow();
    cell(row, o.kind ? `${o.name} (${o.kind})` : o.name);
    cell(row, describeOutput(o), o.state);
  }
  $('events').replaceChildren(
    ...room.events.map((text) => Object.assign(document.createElement('li'), { textContent: text })),
  );
}

function setButtons(inRoom) {
  joinButton.disabled = inRoom;
  roomInput.disabled = inRoom;
  nameInput.disabled = inRoom;
  leaveButton.disabled = !inRoom;
  const audio = call?.local.getAudioTracks()[0];
  const video = call?.local.getVideoTracks()[0];
  micButton.disabled = !inRoom || !audio;
  cameraButton.disabled = !inRoom || !video;
  micButton.textContent = audio && !audio.enabled ? 'Unmute mic' : 'Mute mic';
  cameraButton.textContent = video && !video.enabled ? 'Camera on' : 'Camera off';
}

function send(current, message) {
  if (current.ws.readyState === WebSocket.OPEN) current.ws.send(JSON.stringify(message));
}

// Camera and microphone; a missing or busy camera leaves the microphone.
async function localMedia() {
  if (!navigator.mediaDevices?.getUserMedia)
    throw new Error('this page needs HTTPS (or localhost) to use the camera and microphone');
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: true,
      video: { width: { ideal: 1280 }, height: { ideal: 720 } },
    });
  } catch (e) {
    if (e.name !== 'NotFoundError' && e.name !== 'NotReadableError' && e.name !== 'OverconstrainedError')
      throw e;
    console.warn(`no camera (${e.name}): joining with the microphone only`);
    return navigator.mediaDevices.getUserMedia({ audio: true });
  }
}

function socketOpen(ws) {
  return new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('close', () => reject(new Error('cannot open the WebSocket /ws')), { once: true });
  });
}

async function addServerCandidate(pc, message) {
  try {
    await pc.addIceCandidate(iceCandidateInit(message));
  } catch (e) {
    console.warn(`server candidate ${message.candidate}: ${e.message}`);
  }
}

async function onMessage(current, text) {
  if (call !== current) return;
  let message;
  try {
    message = parseServerMessage(text);
  } catch (e) {
    showError(e.message);
    return;
  }
  room = reduceRoom(room, message);
  render();
  const { pc } = current;
  switch (message.type) {
    case 'answer':
      current.answered = true;
      await pc.setRemoteDescription({ type: 'answer', sdp: message.sdp });
      current.remoteSet = true;
      for (const early of current.early.splice(0)) await addServerCandidate(pc, early);
      // ICE may already have connected while the candidates were applied.
      if (pc.connectionState !== 'connected') setStatus(`connecting to ${room.room}…`);
      break;
    case 'candidate':
      if (current.remoteSet) await addServerCandidate(pc, message);
      else current.early.push(message);
      break;
    case 'error':
      showError(`server: ${message.code ?? ''} ${message.message}`);
      // A failed join ends the call; other errors leave it as it is.
      if (!current.answered) end(current);
      break;
    case 'left':
      showError(`you left ${room.room}: ${message.reason || 'the server ended the session'}`);
      end(current);
      break;
    case 'server_stopping':
      // It drains: the call ends, and a join is refused until it is back.
      showError(`the server is stopping: join again in ${message.retry_after_s} s`);
      end(current);
      break;
    default:
      break;
  }
}

async function join(roomName, name) {
  if (call) return;
  showError('');
  room = initialRoomState();
  render();
  setStatus('asking for the camera and microphone…');
  joinButton.disabled = true;
  let local;
  try {
    local = await localMedia();
  } catch (e) {
    showError(`no camera or microphone: ${e.message}`);
    setStatus('not in a room');
    joinButton.disabled = false;
    return;
  }
  preview.srcObject = local;

  // H.264 is in Chromium's offer by default: every codec the browser has stays.
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  // A join token (?token= of this page, from the operator) goes with the
  // socket: a browser cannot set headers on a WebSocket.
  const wsUrl = new URL('/ws', location.href);
  if (joinToken) wsUrl.searchParams.set('token', joinToken);
  const ws = new WebSocket(wsUrl.href.replace(/^http/, 'ws'));
  const current = {
    ws, pc, local, opened: false, answered: false, remoteSet: false, early: [], sentJoin: false, outgoing: [],
    queue: Promise.resolve(),
  };
  call = current;
  setButtons(true);
  for (const track of local.getTracks()) pc.addTransceiver(track, { direction: 'sendrecv', streams: [local] });
  if (!local.getVideoTracks().length) pc.addTransceiver('video', { direction: 'recvonly' });

  const mix = new MediaStream();
  pc.ontrack = (event) => {
    mix.addTrack(event.track);
    mixVideo.srcObject = mix;
    mixVideo.play().catch(() => setStatus('press play to start the mix'));
  };
  pc.onicecandidate = ({ candidate }) => {
    const message = candidateMessage(candidate);
    if (current.sentJoin) send(current, message);
    else current.outgoing.push(message);
  };
  pc.onconnectionstatechange = () => {
    if (call !== current) return;
    if (pc.connectionState === 'connected') setStatus(`in ${room.room || roomName} as ${name}`);
    else setStatus(`${roomName}: ${pc.connectionState}`);
    if (pc.connectionState === 'failed') showError('the media connection to the server failed (ICE or DTLS)');
  };
  // One message at a time: a candidate waits for the answer before it.
  ws.onmessage = (event) => {
    current.queue = current.queue
      .then(() => onMessage(current, event.data))
      .catch((e) => {
        // The server's answer did not apply: there is no call to keep.
        showError(`signalling failed: ${e.message}`);
        if (!current.remoteSet) end(current);
      });
  };
  ws.onopen = () => {
    current.opened = true;
  };
  ws.onclose = (event) => {
    if (call !== current) return;
    if (!current.opened) showError(`cannot open the WebSocket ${ws.url}: is the server there?`);
    else showError(`the server closed the connection${event.reason ? `: ${event.reason}` : ''}`);
    end(current);
  };

  try {
    await socketOpen(ws);
    await pc.setLocalDescription(await pc.createOffer());
    send(current, joinMessage({ room: roomName, name, sdp: pc.localDescription.sdp }));
    current.sentJoin = true;
    for (const message of current.outgoing.splice(0)) send(current, message);
    setStatus(`joining ${roomName}…`);
  } catch (e) {
    if (call !== current) return;
    showError(`could not join ${roomName}: ${e.message}`);
    end(current);
  }
}

// Ends the call on this side: the socket, the peer connection, the camera.
function end(current) {
  if (call !== current) return;
  call = null;
  current.ws.onclose = null;
  if (current.ws.readyState <= WebSocket.OPEN) current.ws.close(1000);
  current.pc.close();
  for (const track of current.local.getTracks()) track.stop();
  mixVideo.srcObject = null;
  preview.srcObject = null;
  $('stats').textContent = '';
  setButtons(false);
  setStatus('not in a room');
}

function leave() {
  if (!call) return;
  send(call, leaveMessage());
  room = reduceRoom(room, { type: 'left', reason: '' });
  render();
  end(call);
}

function toggle(track) {
  if (!track) return;
  track.enabled = !track.enabled;
  setButtons(true);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const roomName = roomInput.value.trim();
  const name = nameInput.value.trim();
  const query = new URLSearchParams({ room: roomName, name });
  if (joinToken) query.set('token', joinToken);
  history.replaceState(null, '', `?${query}`);
  join(roomName, name);
});
leaveButton.addEventListener('click', leave);
micButton.addEventListener('click', () => toggle(call?.local.getAudioTracks()[0]));
cameraButton.addEventListener('click', () => toggle(call?.local.getVideoTracks()[0]));
window.addEventListener('pagehide', leave);

setInterval(async () => {
  if (call?.remoteSet) $('stats').textContent = await receiveStats(call.pc);
}, 1000);

const params = pageParams(location.search);
roomInput.value = params.room;
nameInput.value = params.name;
setButtons(false);
// The room list is the operator's (an admin key): a guest with a token has a room.
if (!joinToken) listRooms($('rooms'))
  .then((rooms) => {
    if (!roomInput.value && rooms.length) roomInput.value = rooms[0];
  })
  .catch((e) => showError(`cannot list the rooms: ${e.message}`));
