// web/lib/protocol.js: the /ws messages, the join page's room state and the
// WHEP trickle fragment.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import {
  candidateMessage, describeOutput, iceCandidateInit, iceCredentials, initialRoomState,
  joinMessage, leaveMessage, mediaSections, pageParams, parseServerMessage, reduceRoom,
  trickleFragment, watchMessage,
} from '../../web/lib/protocol.js';

test('client messages have the documented shapes', () => {
  assert.deepEqual(joinMessage({ room: 'r', name: 'Ann', sdp: 'v=0' }),
    { type: 'join', room: 'r', name: 'Ann', sdp: 'v=0', role: 'publisher' });
  assert.deepEqual(joinMessage({ room: 'r', sdp: 'v=0', role: 'viewer' }),
    { type: 'join', room: 'r', name: '', sdp: 'v=0', role: 'viewer' });
  assert.throws(() => joinMessage({ room: '', sdp: 'v=0' }), /room/);
  assert.throws(() => joinMessage({ room: 'r', sdp: '' }), /offer/);
  assert.throws(() => joinMessage({ room: 'r', sdp: 'v=0', role: 'boss' }), /role/);
  assert.deepEqual(watchMessage('r'), { type: 'watch', room: 'r' });
  assert.deepEqual(leaveMessage(), { type: 'leave' });
});

test('candidates go out with their m-line, and an empty one ends gathering', () => {
  const cases = [
    [{ candidate: 'candidate:1 1 udp 1 10.77.0.1 5000 typ host', sdpMLineIndex: 1 },
      { type: 'candidate', mline: 1, candidate: 'candidate:1 1 udp 1 10.77.0.1 5000 typ host' }],
    [{ candidate: 'candidate:2', sdpMLineIndex: null }, { type: 'candidate', mline: 0, candidate: 'candidate:2' }],
    [null, { type: 'candidate', mline: 0, candidate: '' }],
    [{ candidate: '', sdpMLineIndex: 0 }, { type: 'candidate', mline: 0, candidate: '' }],
  ];
  for (const [input, expected] of cases) assert.deepEqual(candidateMessage(input), expected);
  assert.deepEqual(iceCandidateInit({ type: 'candidate', mline: 2, candidate: 'candidate:x' }),
    { candidate: 'candidate:x', sdpMLineIndex: 2 });
  assert.deepEqual(iceCandidateInit({ type: 'candidate', mline: 0, candidate: '' }),
    { candidate: '', sdpMLineIndex: 0 });
});

test('server messages are parsed, and bad ones say what is wrong', () => {
  assert.deepEqual(parseServerMessage('{"type":"speaking","id":"a-1"}'), { type: 'speaking', id: 'a-1' });
  assert.equal(parseServerMessage('{"type":"new_thing"}').type, 'new_thing');
  const bad = [
    ['not json', /not JSON/],
    ['[1,2]', /not a JSON object/],
    ['null', /not a JSON object/],
    ['{"id":1}', /without a type/],
    ['{"type":"answer","id":"x"}', /'answer' has no 'sdp'/],
    ['{"type":"candidate","candidate":""}', /'candidate' has no 'mline'/],
    ['{"type":"output_state","name":"hls"}', /'output_state' has no 'state'/],
  ];
  for (const [text, error] of bad) assert.throws(() => parseServerMessage(text), error, text);
});

function reduceAll(messages, state = initialRoomState()) {
  return messages.reduce(reduceRoom, state);
}

const roomMessage = {
  type: 'room',
  room: 'demo',
  layout: 'grid',
  participants: [
    { id: 'bob-2', name: 'Bob', slot: 1, has_video: false, speaking: true },
    { id: 'ann-1', name: 'Ann', slot: 0, has_video: true, speaking: false },
  ],
  outputs: [{ name: 'hls', kind: 'hls', state: 'live', attempt: 0, last_error: '', bytes: 10 }],
};

test('the room message sets participants by seat, the speaker and the outputs', () => {
  const state = reduceAll([{ type: 'answer', sdp: 'v=0', id: 'me-3', room: 'demo' }, roomMessage]);
  assert.equal(state.self, 'me-3');
  assert.equal(state.room, 'demo');
  assert.equal(state.layout, 'grid');
  assert.deepEqual(state.participants, [
    { id: 'ann-1', name: 'Ann', slot: 0, has_video: true },
    { id: 'bob-2', name: 'Bob', slot: 1, has_video: false },
  ]);
  assert.equal(state.speaking, 'bob-2');
  assert.deepEqual(state.outputs, [{ name: 'hls', kind: 'hls', state: 'live', attempt: 0, error: '' }]);
});

test('room events update the state and the event log', () => {
  const cases = [
    {
      what: 'someone joins, at the end until the room tells the seat',
      messages: [{ type: 'participant_joined', id: 'cy-4', name: 'Cy' }],
      check: (s) => {
        assert.deepEqual(s.participants.map((p) => p.name), ['Ann', 'Bob', 'Cy']);
        assert.deepEqual(s.events, ['Cy joined']);
      },
    },
    {
      what: 'a repeated join does not duplicate',
      messages: [{ type: 'participant_joined', id: 'ann-1', name: 'Ann' }],
      check: (s) => assert.equal(s.participants.filter((p) => p.id === 'ann-1').length, 1),
    },
    {
      what: 'the speaker leaves: nobody speaks',
      messages: [{ type: 'participant_left', id: 'bob-2', reason: 'ICE failed' }],
      check: (s) => {
        assert.deepEqual(s.participants.map((p) => p.id), ['ann-1']);
        assert.equal(s.speaking, '');
        assert.deepEqual(s.events, ['Bob left (ICE failed)']);
      },
    },
    {
      what: 'the speaker changes, then nobody speaks',
      messages: [{ type: 'speaking', id: 'ann-1' }],
      check: (s) => assert.equal(s.speaking, 'ann-1'),
    },
    {
      what: 'speaking with an empty id',
      messages: [{ type: 'speaking', id: '' }],
      check: (s) => assert.equal(s.speaking, ''),
    },
    {
      what: 'a known output changes state',
      messages: [{ type: 'output_state', name: 'hls', state: 'retrying', attempt: 2, error: 'disk full' }],
      check: (s) => {
        assert.deepEqual(s.outputs, [{ name: 'hls', kind: 'hls', state: 'retrying', attempt: 2, error: 'disk full' }]);
        assert.deepEqual(s.events, ['output hls: retrying (attempt 2): disk full']);
      },
    },
    {
      what: 'a new output appears',
      messages: [{ type: 'output_state', name: 'cdn', state: 'connecting', attempt: 0, error: '' }],
      check: (s) => assert.deepEqual(s.outputs.map((o) => `${o.name}:${o.state}`), ['hls:live', 'cdn:connecting']),
    },
    {
      what: 'the layout changes',
      messages: [{ type: 'layout_changed', layout: 'speaker' }],
      check: (s) => assert.equal(s.layout, 'speaker'),
    },
    {
      what: 'an error is kept until the next answer',
      messages: [{ type: 'error', code: 404, message: "no room named 'x'" }],
      check: (s) => assert.deepEqual(s.error, { code: 404, message: "no room named 'x'" }),
    },
    {
      what: 'our own session ends',
      messages: [{ type: 'left', reason: 'RTP timeout' }],
      check: (s) => assert.equal(s.left, 'RTP timeout'),
    },
    {
      what: 'the server drains',
      messages: [{ type: 'server_stopping', retry_after_s: 5 }],
      check: (s) => {
        assert.equal(s.left, 'the server is stopping');
        assert.match(s.events.at(-1), /try again in 5 s/);
      },
    },
    {
      what: 'an unknown type changes nothing',
      messages: [{ type: 'new_thing', id: 'x' }],
      check: (s, before) => assert.equal(s, before),
    },
  ];
  const start = reduceAll([roomMessage]);
  for (const c of cases) {
    const state = reduceAll(c.messages, start);
    c.check(state, start);
    assert.equal(start.participants.length, 2, `${c.what}: the old state is not changed`);
  }
});

test('the event log keeps the last 50 events', () => {
  let state = initialRoomState();
  for (let i = 0; i < 60; ++i) state = reduceRoom(state, { type: 'participant_joined', id: `p-${i}`, name: `P${i}` });
  assert.equal(state.events.length, 50);
  assert.equal(state.events[49], 'P59 joined');
});

test('outputs are described for people', () => {
  assert.equal(describeOutput({ state: 'live', attempt: 0, error: '' }), 'live');
  assert.equal(describeOutput({ state: 'failed', attempt: 5, error: 'refused' }), 'failed (attempt 5): refused');
});

test('page parameters', () => {
  assert.deepEqual(pageParams('?room=demo&name=Ann%20B'), { room: 'demo', name: 'Ann B' });
  assert.deepEqual(pageParams(''), { room: '', name: '' });
});

const whepOffer = fs.readFileSync(new URL('../unit/data/sdp/chrome-recvonly-whep.sdp', import.meta.url), 'utf8');

test('the trickle fragment names every m-section up to the candidate', () => {
  const sections = mediaSections(whepOffer);
  assert.ok(sections.length >= 2, 'the sample offer has audio and video');
  const { ufrag, pwd } = iceCredentials(whepOffer);
  assert.ok(ufrag && pwd);
  const single = trickleFragment(whepOffer, [{ mline: 0, candidate: 'candidate:1 1 udp 9 10.77.0.2 40000 typ host' }]);
  assert.equal(single, [`a=ice-ufrag:${ufrag}`, `a=ice-pwd:${pwd}`,
    `m=${sections[0].kind} 9 UDP/TLS/RTP/SAVPF 0`, `a=mid:${sections[0].mid}`,
    'a=candidate:1 1 udp 9 10.77.0.2 40000 typ host', ''].join('\r\n'));
  // A candidate of m-line 1 comes after an m= line for 0 (the server counts them).
  const second = trickleFragment(whepOffer, [{ mline: 1, candidate: 'candidate:2' }]);
  assert.equal((second.match(/^m=/gm) || []).length, 2);
  assert.ok(second.indexOf('a=candidate:2') > second.lastIndexOf('m='));
  assert.throws(() => trickleFragment(whepOffer, [{ mline: 9, candidate: 'candidate:3' }]), /no m-line 9/);
});
