// Browser-side helpers shared by the join and viewer pages.

// Fills a <datalist> with the server's rooms (GET /api/v1/rooms).
export async function listRooms(datalist) {
  const response = await fetch('/api/v1/rooms');
  if (!response.ok) throw new Error(`GET /api/v1/rooms: ${response.status}`);
  const { rooms } = await response.json();
  datalist.replaceChildren(...rooms.map((room) => new Option(room.name, room.name)));
  return rooms.map((room) => room.name);
}

// Resolves when ICE gathering is complete or after `timeoutMs`, whichever is
// first: the offer then carries the candidates found so far.
export function iceGathered(pc, timeoutMs) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState !== 'complete') return;
      pc.removeEventListener('icegatheringstatechange', done);
      resolve();
    };
    pc.addEventListener('icegatheringstatechange', done);
    setTimeout(resolve, timeoutMs);
  });
}

// The message of a failed HTTP response: the server's JSON error, else its status.
export async function httpError(response) {
  const text = await response.text();
  try {
    return `${response.status}: ${JSON.parse(text).error.message}`;
  } catch {
    return `${response.status} ${response.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`;
  }
}

// One line about what a peer connection receives: picture size, frames
// decoded and dropped, video codec, audio packets.
export async function receiveStats(pc) {
  const report = await pc.getStats();
  const parts = [];
  for (const s of report.values()) {
    if (s.type !== 'inbound-rtp') continue;
    const codec = s.codecId ? report.get(s.codecId)?.mimeType : '';
    if (s.kind === 'video') {
      parts.push(
        `video ${codec || '?'} ${s.frameWidth || 0}x${s.frameHeight || 0}, ` +
          `${s.framesDecoded || 0} frames decoded, ${s.framesDropped || 0} dropped`,
      );
    } else if (s.kind === 'audio') {
      parts.push(`audio ${codec || '?'}, ${s.packetsReceived || 0} packets`);
    }
  }
  return parts.join(' · ');
}
