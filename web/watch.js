// Watch page: plays a room's live HLS and shows its participants and outputs
// from the REST API (GET /api/v1/rooms).
const roomSelect = document.getElementById('room');
const player = document.getElementById('player');
const errorBox = document.getElementById('error');
let hls = null;
// A join token (?token=): HLS may need it (auth.hls: token); the room list,
// an operator's view, needs an admin key and is then not shown.
const watchToken = new URLSearchParams(location.search).get('token') || '';

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
}

function play(room) {
  const url = `/hls/${encodeURIComponent(room)}/index.m3u8`;
  document.getElementById('hls-link').textContent = url;
  document.getElementById('hls-link').href = url;
  const rec = `/recordings/${encodeURIComponent(room)}/`;
  document.getElementById('rec-link').textContent = rec;
  document.getElementById('rec-link').href = rec;
  document.getElementById('join-link').href = `/join.html?room=${encodeURIComponent(room)}`;
  document.getElementById('view-link').href = `/view.html?room=${encodeURIComponent(room)}`;
  if (hls) hls.destroy();
  if (window.Hls && window.Hls.isSupported()) {
    hls = new window.Hls({
      liveSyncDurationCount: 2,
      xhrSetup: (xhr) => {
        if (watchToken) xhr.setRequestHeader('Authorization', `Bearer ${watchToken}`);
      },
    });
    hls.loadSource(url);
    hls.attachMedia(player);
  } else {
    // Safari plays HLS natively (and cannot add a header: the token rides in the URL).
    player.src = watchToken ? `${url}?token=${encodeURIComponent(watchToken)}` : url;
  }
}

function render(room) {
  const participants = document.getElementById('participants');
  while (participants.rows.length > 1) participants.deleteRow(1);
  for (const p of room.participants) {
    const row = participants.insertRow();
    cell(row, p.slot);
    cell(row, p.name);
    cell(row, p.has_video ? 'yes' : 'no');
    cell(row, p.speaking ? 'speaking' : '');
  }
  const outputs = document.getElementById('outputs');
  while (outputs.rows.length > 1) outputs.deleteRow(1);
  for (const o of room.outputs) {
    const row = outputs.insertRow();
    cell(row, `${o.name} (${o.kind})`);
    cell(row, o.state + (o.attempt ? ` #${o.attempt}` : ''), o.state);
    cell(row, (o.bytes / 1e6).toFixed(1));
  }
}

async function refresh() {
  try {
    const response = await fetch('/api/v1/rooms');
    if (response.status === 401 || response.status === 403) {
      // A guest's page: no room list, just the room the link names.
      const wanted = new URLSearchParams(location.search).get('room');
      errorBox.textContent = wanted ? '' : 'this server needs a link with ?room= and ?token=';
      if (wanted && !roomSelect.dataset.started) {
        roomSelect.add(new Option(wanted, wanted));
        roomSelect.dataset.started = '1';
        play(wanted);
      }
      return;
    }
    const { rooms } = await response.json();
    errorBox.textContent = '';
    const known = [...roomSelect.options].map((o) => o.value);
    for (const room of rooms) {
      if (!known.includes(room.name)) roomSelect.add(new Option(room.name, room.name));
    }
    const wanted = new URLSearchParams(location.search).get('room');
    if (!roomSelect.dataset.started && rooms.length) {
      roomSelect.value = rooms.some((r) => r.name === wanted) ? wanted : rooms[0].name;
      roomSelect.dataset.started = '1';
      play(roomSelect.value);
    }
    const current = rooms.find((r) => r.name === roomSelect.value);
    if (current) render(current);
  } catch (e) {
    errorBox.textContent = `server unreachable: ${e}`;
  }
}

roomSelect.addEventListener('change', () => play(roomSelect.value));
refresh();
setInterval(refresh, 1000);
