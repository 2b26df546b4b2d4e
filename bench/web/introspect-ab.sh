#!/usr/bin/env bash
# bench/run introspect-ab JAR_A JAR_B: introspection of distinct tokens, serve from two product jars
# (say, a build of main and one of a change), in ROUNDS rounds with the two in a fresh random order
# each round, so a change of the machine's load falls on both. Per round, jar and algorithm: req/s
# and serve's CPU per answer (user and system, all threads, from /proc/PID/stat), and at the end the
# median of the rounds for each. Each serve gets ./ci-jwt's JVM settings for serve; POOL distinct
# tokens per algorithm are minted once (TokenPool) with a throw-away key store that both serve.
#   bench/run introspect-ab /tmp/before.jar plugin/cli/target/ci-jwt.jar
#   ROUNDS=3 ALGS="EdDSA ES256" POOL=100000 WARM=10s TIME=15s CONNECTIONS=64 THREADS=2
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
[ $# = 2 ] || { echo "usage: bench/run introspect-ab JAR_A JAR_B" >&2; exit 2; }
[ -n "${CI_JWT_BENCH_CP:-}" ] || { echo "introspect-ab.sh: start it as bench/run introspect-ab" >&2; exit 2; }
command -v wrk >/dev/null || { echo "bench/run introspect-ab: wrk not found (apt-get install -y wrk)" >&2; exit 2; }
for jar in "$1" "$2"; do [ -f "$jar" ] || { echo "bench/run introspect-ab: $jar: no such jar" >&2; exit 2; }; done
jars=("$(realpath "$1")" "$(realpath "$2")")
ROUNDS="${ROUNDS:-3}"
ALGS="${ALGS:-EdDSA ES256}"
POOL="${POOL:-100000}"
WARM="${WARM:-10s}"
TIME="${TIME:-15s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
PORT="${PORT:-18090}"
url="http://127.0.0.1:$PORT"
work="$(mktemp -d)"
serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && { kill -TERM "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

echo "bench/run introspect-ab: minting $POOL distinct tokens per algorithm ..." >&2
java -cp "$CI_JWT_BENCH_CP" org.cijwt.bench.web.TokenPool "$work/keys" "$url" ci-jwt "$(echo $ALGS | tr ' ' ,)" "$POOL" \
  "$root/fixtures/src/main/resources/org/cijwt/fixtures/metadata/main.json" "$work" >/dev/null
ticks() { sed 's/^.*) //' "/proc/$serve_pid/stat" | awk '{print $12 + $13}'; }
echo "== $(date -u +%Y-%m-%dT%H:%MZ), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== A: ${jars[0]}"
echo "== B: ${jars[1]}"
for round in $(seq 1 "$ROUNDS"); do
  for arm in $(printf '%s\n' A B | shuf); do
    jar="${jars[0]}"; [ "$arm" = B ] && jar="${jars[1]}"
    MALLOC_ARENA_MAX=2 java -Xms48m -Xmx96m -Xmn32m -XX:MaxMetaspaceSize=128m -XX:MaxDirectMemorySize=64m -Xss512k \
      -XX:+UseSerialGC -jar "$jar" serve --listen "127.0.0.1:$PORT" --issuer "$url" --keys "$work/keys" --audiences ci-jwt \
      --reload-interval 0 >"$work/serve-$arm.log" 2>&1 &
    serve_pid=$!
    for _ in $(seq 1 150); do curl -fsS "$url/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
    curl -fsS "$url/readyz" >/dev/null || { cat "$work/serve-$arm.log" >&2; exit 1; }
    for alg in $ALGS; do
      pool="$work/pool-$alg.txt"
      CI_JWT_BENCH_POOL="$pool" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARM" -s "$here/../lua/introspect-pool.lua" "$url" >/dev/null
      t0="$(ticks)"
      CI_JWT_BENCH_POOL="$pool" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$TIME" -s "$here/../lua/introspect-pool.lua" "$url" >"$work/wrk.txt"
      t1="$(ticks)"
      grep -q "Non-2xx" "$work/wrk.txt" && { cat "$work/wrk.txt" >&2; echo "bench/run introspect-ab: answers that were not 200" >&2; exit 1; }
      rps="$(awk '/^Requests\/sec:/ {print $2}' "$work/wrk.txt")"
      n="$(awk '/requests in/ {print $1}' "$work/wrk.txt")"
      cpu="$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$n" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')"
      echo -e "$round\t$arm\t$alg\t$rps\t$cpu" >>"$work/rows.tsv"
    done
    kill -TERM "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; serve_pid=""
  done
done
echo
echo "| round | jar | alg | req/s | serve CPU per answer µs |"
echo "|---|---|---|---|---|"
sort -k1,1n -k3,3 -k2,2 "$work/rows.tsv" | awk -F'\t' '{ printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5 }'
echo
echo "| alg | A req/s (median) | B req/s (median) | B ÷ A | A CPU per answer µs | B CPU per answer µs | B ÷ A |"
echo "|---|---|---|---|---|---|---|"
python3 - "$work/rows.tsv" $ALGS <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
for alg in sys.argv[2:]:
    med = lambda arm, col: statistics.median(float(r[col]) for r in rows if r[1] == arm and r[2] == alg)
    ra, rb, ca, cb = med("A", 3), med("B", 3), med("A", 4), med("B", 4)
    print(f"| {alg} | {ra:,.0f} | {rb:,.0f} | {rb / ra:.3f} | {ca:.1f} | {cb:.1f} | {cb / ca:.3f} |")
PY
