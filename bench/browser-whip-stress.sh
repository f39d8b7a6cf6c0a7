#!/usr/bin/env bash
# Stress mode of the browser WHIP test (issue 7): runs tests/browser/whip.test.mjs
# RUNS times in a row (default 20; a fresh server and fresh Chromium processes
# each time, inside tests/tools/netns-run), then prints for every check its
# failure count over the runs and the min/median/max of its measured figure
# (own-tone margin dB, concealment %, ...), the tests' durations and the
# GStreamer warnings the server logged. About 40 s a run.
#
#   bench/browser-whip-stress.sh [RUNS]
#
# Not a test: the default suite runs the scenario once (browser/whip). Each
# run's output, check results (JSON lines) and server log are kept in
# $MIXCAST_WHIP_STRESS_DIR (default a new ${TMPDIR:-/tmp}/mixcast-whip-stress-*).
set -uo pipefail
RUNS=${1:-20}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD=${MIXCAST_BUILD:-build}
if [[ -f $BUILD/build.ninja ]]; then ninja -C "$BUILD" >/dev/null || exit 1; else ./scripts/bootstrap >/dev/null || exit 1; fi
OUT=${MIXCAST_WHIP_STRESS_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/mixcast-whip-stress-XXXXXX")}
mkdir -p "$OUT"
echo "runs: $RUNS, logs in $OUT"
for ((i = 1; i <= RUNS; ++i)); do
  start=$(date +%s)
  rm -f "$OUT/run$i.jsonl"
  MIXCAST_WHIP_RESULTS="$OUT/run$i.jsonl" GST_DEBUG=${GST_DEBUG:-2} timeout 600 \
    tests/tools/netns-run node tests/browser/whip.test.mjs "$BUILD/src/app/mixcast" >"$OUT/run$i.log" 2>&1
  rc=$?
  took=$(($(date +%s) - start))
  failed=$(grep -c '"ok":false' "$OUT/run$i.jsonl" 2>/dev/null)
  echo "{\"run\": $i, \"rc\": $rc, \"seconds\": $took}" >>"$OUT/runs.jsonl"
  echo "run $i/$RUNS: exit $rc in ${took} s, ${failed:-0} check(s) failed"
done

node - "$OUT" "$RUNS" <<'EOF'
const fs = require('node:fs');
const path = require('node:path');
const [dir, runsText] = process.argv.slice(2);
const runs = Number(runsText);
const lines = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
const median = (v) => { const s = [...v].sort((a, b) => a - b); const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const fmt = (x) => (Number.isInteger(x) ? String(x) : x.toFixed(2));
const figures = (v) => (v.length ? `${fmt(Math.min(...v))} / ${fmt(median(v))} / ${fmt(Math.max(...v))}` : '');

// Checks, in the order they first appear; a check absent from a run (its
// test stopped early) counts as "not reached".
const checks = new Map();
const groups = new Map([['own-tone margin dB, every participant', /own tone >=/],
  ['concealment %, every participant', /concealment <=/], ['heard tone above floor dB', / hears /]]);
const grouped = new Map([...groups.keys()].map((k) => [k, { fails: 0, n: 0, values: [] }]));
const durations = new Map();
const warnings = new Map();
for (let run = 1; run <= runs; ++run) {
  for (const line of lines(path.join(dir, `run${run}.jsonl`))) {
    const r = JSON.parse(line);
    if (!checks.has(r.check)) checks.set(r.check, { runs: new Set(), fails: 0, values: [], details: [] });
    const c = checks.get(r.check);
    c.runs.add(run);
    if (!r.ok) { c.fails += 1; c.details.push(`run ${run}: ${r.detail}`); }
    if (typeof r.value === 'number') c.values.push(r.value);
    for (const [name, re] of groups) {
      if (!re.test(r.check)) continue;
      const g = grouped.get(name);
      g.n += 1; if (!r.ok) g.fails += 1;
      if (typeof r.value === 'number') g.values.push(r.value);
    }
  }
  const log = fs.existsSync(path.join(dir, `run${run}.log`)) ? fs.readFileSync(path.join(dir, `run${run}.log`), 'utf8') : '';
  for (const m of log.matchAll(/^(not )?ok \d+ - (.*)\n\s+---\n\s+duration_ms: ([\d.]+)/gm)) {
    if (!durations.has(m[2])) durations.set(m[2], { values: [], fails: 0 });
    durations.get(m[2]).values.push(Number(m[3]) / 1000);
    if (m[1]) durations.get(m[2]).fails += 1;
  }
  // GStreamer's warnings and errors (GST_DEBUG=2), without time, thread and address.
  for (const line of lines(path.join(dir, `run${run}.jsonl.server.log`))) {
    const m = /\b(WARN|ERROR)\s+(\S+)\s+(.*)$/.exec(line.replace(/\x1b\[[0-9;]*m/g, ''));
    if (!m) continue;
    const key = `${m[1]} ${m[2]} ${m[3].replace(/0x[0-9a-f]+/g, '0x…').replace(/\d+/g, 'N')}`.slice(0, 170);
    if (!warnings.has(key)) warnings.set(key, new Set());
    warnings.get(key).add(run);
  }
}
const width = Math.max(40, ...[...checks.keys()].map((k) => k.length)) + 2;
console.log(`\n${'check'.padEnd(width)} ${'failed'.padStart(8)} ${'not run'.padStart(8)}   figure min / median / max`);
for (const [name, c] of checks)
  console.log(`${name.padEnd(width)} ${`${c.fails}/${c.runs.size}`.padStart(8)} ${String(runs - c.runs.size).padStart(8)}   ${figures(c.values)}`);
console.log(`\n${'all participants together'.padEnd(width)} ${'failed'.padStart(8)}`);
for (const [name, g] of grouped)
  console.log(`${name.padEnd(width)} ${`${g.fails}/${g.n}`.padStart(8)}            ${figures(g.values)}`);
console.log(`\n${'test'.padEnd(width)} ${'failed'.padStart(8)}   seconds min / median / max`);
for (const [name, d] of durations)
  console.log(`${name.slice(0, width - 1).padEnd(width)} ${`${d.fails}/${d.values.length}`.padStart(8)}   ${figures(d.values)}`);
const failedRuns = lines(path.join(dir, 'runs.jsonl')).map(JSON.parse).filter((r) => r.rc !== 0);
console.log(`\nruns that failed: ${failedRuns.length}/${runs}${failedRuns.length ? ` (${failedRuns.map((r) => r.run).join(' ')})` : ''}`);
const details = [...checks].flatMap(([name, c]) => c.details.map((d) => `  ${name}: ${d}`));
if (details.length) console.log(`failures:\n${details.slice(0, 40).join('\n')}`);
if (warnings.size) {
  console.log('\nserver GStreamer warnings/errors (runs in which each appeared):');
  for (const [key, set] of [...warnings].sort((a, b) => b[1].size - a[1].size).slice(0, 25))
    console.log(`  ${String(set.size).padStart(3)}/${runs}  ${key}`);
}
EOF
