// Pure helpers of the browser pages: the /ws messages (docs/http-api.md,
// "WebSocket: browser signalling and room events"), the room state the join
// page shows, and the WHEP trickle fragment. No DOM and no network, so node
// tests them (tests/web/protocol.test.mjs).

// ---- Client to server -------------------------------------------------------

export function joinMessage({ room, name, sdp, role = 'publisher' }) {
  if (!room) throw new Error('a room is needed to join');
  if (!sdp) throw new Error('an SDP offer is needed to join');
  if (role !== 'publisher' && role !== 'viewer') throw new Error(`unknown role '${role}'`);
  return { type: 'join', room, name: name || '', sdp, role };
}

export function watchMessage(room) {
  if (!room) throw new Error('a room is needed to watch');
  return { type: 'watch', room };
}

// One of our ICE candidates (an RTCIceCandidate or its JSON); null, or an
// empty candidate string, is the end of gathering.
export function candidateMessage(candidate) {
  if (!candidate || !candidate.candidate) return { type: 'candidate', mline: 0, candidate: '' };
  return { type: 'candidate', mline: candidate.sdpMLineIndex ?? 0, candidate: candidate.candidate };
}

export function leaveMessage() {
  return { type: 'leave' };
}

// ---- Server to client -------------------------------------------------------

const serverFields = {
  answer: ['sdp', 'id'],
  candidate: ['mline'],
  room: ['room', 'participants'],
  participant_joined: ['id'],
  participant_left: ['id'],
  speaking: [],
  layout_changed: ['layout'],
  output_state: ['name', 'state'],
  left: [],
  server_stopping: ['retry_after_s'],
  error: ['message'],
};

// Parses one text frame from the server. Throws an Error that says what is
// wrong with it; unknown types are kept (a newer server may send more).
export function parseServerMessage(text) {
  let message;
  try {
    message = JSON.parse(text);
  } catch (e) {
    throw new Error(`the server sent something that is not JSON: ${String(text).slice(0, 80)}`);
  }
  if (!message || typeof message !== 'object' || Array.isArray(message))
    throw new Error('the server sent a message that is not a JSON object');
  if (typeof message.type !== 'string') throw new Error('the server sent a message without a type');
  for (const field of serverFields[message.type] || []) {
    if (!(field in message)) throw new Error(`the server's '${message.type}' has no '${field}'`);
  }
  return message;
}

// A server `candidate` as RTCPeerConnection.addIceCandidate takes it; an
// empty candidate is the end of the server's candidates.
export function iceCandidateInit(message) {
  return { candidate: message.candidate || '', sdpMLineIndex: Number(message.mline) || 0 };
}

// ---- Room state -------------------------------------------------------------

const maxEvents = 50;

export function initialRoomState() {
  return {
    room: '',
    layout: '',
    self: '', // our participant id, from `answer`
    participants: [], // {id, name, slot, has_video}, by seat
    speaking: '',
    outputs: [], // {name, kind, state, attempt, error}
    events: [], // newest last, human-readable
    error: null, // {code, message}: the last `error`
    left: null, // the reason our own session ended
  };
}

function bySeat(a, b) {
  return (a.slot ?? Infinity) - (b.slot ?? Infinity) || String(a.name).localeCompare(b.name);
}

function participantFrom(p) {
  return {
    id: String(p.id ?? ''),
    name: String(p.name ?? p.id ?? ''),
    slot: typeof p.slot === 'number' ? p.slot : null,
    has_video: p.has_video !== false,
  };
}

function outputFrom(o) {
  return {
    name: String(o.name ?? ''),
    kind: String(o.kind ?? ''),
    state: String(o.state ?? ''),
    attempt: Number(o.attempt) || 0,
    error: String(o.error ?? o.last_error ?? ''),
  };
}

function nameOf(state, id) {
  return state.participants.find((p) => p.id === id)?.name || id;
}

function withEvent(state, text) {
  return { ...state, events: [...state.events, text].slice(-maxEvents) };
}

// The room state after one server message (a new object; `state` is kept).
export function reduceRoom(state, message) {
  switch (message.type) {
    case 'answer':
      return { ...state, self: String(message.id), room: message.room || state.room, error: null };
    case 'room': {
      const participants = (message.participants || []).map(participantFrom).sort(bySeat);
      const speaker = (message.participants || []).find((p) => p.speaking);
      return {
        ...state,
        room: message.room,
        layout: message.layout ?? state.layout,
        participants,
        speaking: speaker ? String(speaker.id) : '',
        outputs: (message.outputs || []).map(outputFrom),
      };
    }
    case 'participant_joined': {
      const others = state.participants.filter((p) => p.id !== message.id);
      const joined = participantFrom(message);
      const next = { ...state, participants: [...others, joined].sort(bySeat) };
      return withEvent(next, `${joined.name} joined`);
    }
    case 'participant_left': {
      const name = nameOf(state, message.id);
      const next = {
        ...state,
        participants: state.participants.filter((p) => p.id !== message.id),
        speaking: state.speaking === message.id ? '' : state.speaking,
      };
      return withEvent(next, `${name} left${message.reason ? ` (${message.reason})` : ''}`);
    }
    case 'speaking':
      return { ...state, speaking: message.id || '' };
    case 'layout_changed':
      return withEvent({ ...state, layout: message.layout }, `layout: ${message.layout}`);
    case 'output_state': {
      const known = state.outputs.find((o) => o.name === message.name);
      const updated = outputFrom({ ...known, ...message, error: message.error ?? '' });
      const outputs = known
        ? state.outputs.map((o) => (o.name === message.name ? updated : o))
        : [...state.outputs, updated];
      return withEvent({ ...state, outputs }, `output ${message.name}: ${describeOutput(updated)}`);
    }
    case 'left':
      return withEvent(
        { ...state, left: message.reason || 'left' },
        `you left${message.reason ? ` (${message.reason})` : ''}`,
      );
    case 'server_stopping':
      return withEvent(
        { ...state, left: 'the server is stopping' },
        `the server is stopping: try again in ${message.retry_after_s} s`,
      );
    case 'error': {
      const error = { code: Number(message.code) || 0, message: String(message.message) };
      return withEvent({ ...state, error }, `error ${error.code}: ${error.message}`);
    }
    default:
      return state;
  }
}

export function describeOutput(output) {
  let text = output.state;
  if (output.attempt) text += ` (attempt ${output.attempt})`;
  if (output.error && output.state !== 'live') text += `: ${output.error}`;
  return text;
}

// ---- Page parameters --------------------------------------------------------

// ?room=&name= of a page URL's search part.
export function pageParams(search) {
  const params = new URLSearchParams(search);
  return { room: params.get('room') || '', name: params.get('name') || '' };
}

// ---- WHEP trickle ICE (application/trickle-ice-sdpfrag, RFC 8840) ------------

// The m-sections of an SDP: [{kind, mid}] in order.
export function mediaSections(sdp) {
  const sections = [];
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) sections.push({ kind: line.slice(2).split(' ')[0], mid: '' });
    else if (line.startsWith('a=mid:') && sections.length)
      sections[sections.length - 1].mid = line.slice(6).trim();
  }
  return sections;
}

export function iceCredentials(sdp) {
  const ufrag = /^a=ice-ufrag:(.*)$/m.exec(sdp);
  const pwd = /^a=ice-pwd:(.*)$/m.exec(sdp);
  return { ufrag: ufrag ? ufrag[1].trim() : '', pwd: pwd ? pwd[1].trim() : '' };
}

// A PATCH body carrying `candidates` ([{mline, candidate}]) of the session
// whose local description is `sdp`. Every m-section up to the last one with a
// candidate is written, so a reader that counts m= lines finds the right one.
export function trickleFragment(sdp, candidates) {
  const sections = mediaSections(sdp);
  const { ufrag, pwd } = iceCredentials(sdp);
  const last = Math.max(-1, ...candidates.map((c) => c.mline));
  if (last >= sections.length) throw new Error(`no m-line ${last} in the local description`);
  const lines = [`a=ice-ufrag:${ufrag}`, `a=ice-pwd:${pwd}`];
  for (let i = 0; i <= last; ++i) {
    lines.push(`m=${sections[i].kind} 9 UDP/TLS/RTP/SAVPF 0`, `a=mid:${sections[i].mid}`);
    for (const c of candidates) if (c.mline === i && c.candidate) lines.push(`a=${c.candidate}`);
  }
  return lines.join('\r\n') + '\r\n';
}
