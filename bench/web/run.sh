#!/usr/bin/env bash
# bench/run web: a loopback load test of the web endpoint with wrk: JWKS, then introspection of an
# EdDSA token (and ES256, RS256 for comparison). Starts `ci-jwt serve` with throw-away keys, stops it
# at the end.
#   DURATION=15s CONNECTIONS=64 THREADS=2 PORT=18080 bench/run web
# Extra server flags can be passed as arguments, e.g. bench/run web --verify-cache-size 0.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
DURATION="${DURATION:-15s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
PORT="${PORT:-18080}"
ALGS="${ALGS:-EdDSA ES256 RS256}"
url="http://127.0.0.1:$PORT"

command -v wrk >/dev/null || { echo "bench/run web: wrk not found (apt-get install -y wrk)" >&2; exit 2; }
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

metadata="$root/fixtures/src/main/resources/org/cijwt/fixtures/metadata/main.json"
"$root/ci-jwt" keygen --help >/dev/null   # builds the jar once, before anything is timed
"$root/ci-jwt" serve --listen "127.0.0.1:$PORT" --issuer "$url" --keys "$work/keys" --audiences ci-jwt --reload-interval 0 "$@" \
  >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "$url/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "$url/readyz" >/dev/null || { cat "$work/serve.log" >&2; exit 1; }

echo "== machine: $(nproc) CPUs, $(uname -sr), $(java -version 2>&1 | head -1)"
echo "== wrk -t$THREADS -c$CONNECTIONS -d$DURATION, loopback, server: ci-jwt serve $*"
# Warm up the JIT so the figures are steady-state.
wrk -t"$THREADS" -c"$CONNECTIONS" -d5s "$url/.well-known/jwks.json" >/dev/null

echo
echo "== GET /.well-known/jwks.json"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url/.well-known/jwks.json"

for alg in $ALGS; do
  token="$("$root/ci-jwt" mint --keys "$work/keys" --issuer "$url" --alg "$alg" --metadata "$metadata")"
  answer="$(curl -fsS -d "token=$token" "$url/api/v1/tokens/introspect")"
  case "$answer" in
    *'"active":true'*) ;;
    *) echo "bench/run web: the $alg token is not active: $answer" >&2; exit 1 ;;
  esac
  CI_JWT_BENCH_TOKEN="$token" wrk -t"$THREADS" -c"$CONNECTIONS" -d5s -s "$here/../lua/introspect.lua" "$url" >/dev/null
  echo
  echo "== POST /api/v1/tokens/introspect ($alg token)"
  CI_JWT_BENCH_TOKEN="$token" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$here/../lua/introspect.lua" "$url"
done
