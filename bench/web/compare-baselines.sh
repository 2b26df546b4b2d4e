#!/usr/bin/env bash
# bench/run baselines: the JWKS route against two baselines serving the very same bytes: nginx
# serving the JWKS file, and a bare Vert.x server answering from memory (BareJwksServer in the bench
# module, on the class path bench/run builds and passes in CI_JWT_BENCH_CP). All on loopback, all
# measured by wrk with the same settings. nginx comes from Debian (apt-get install -y nginx-light);
# it runs from a throw-away config and prefix, never as a service.
#   DURATION=10s CONNECTIONS=64 THREADS=2 ROUNDS=5 bench/run baselines
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
ROUNDS="${ROUNDS:-5}"
CI_JWT_PORT="${CI_JWT_PORT:-18080}"
NGINX_PORT="${NGINX_PORT:-18081}"
BARE_PORT="${BARE_PORT:-18082}"

[ -n "${CI_JWT_BENCH_CP:-}" ] || { echo "compare-baselines.sh: start it as bench/run baselines" >&2; exit 2; }
command -v wrk >/dev/null || { echo "bench/run baselines: wrk not found (apt-get install -y wrk)" >&2; exit 2; }
command -v nginx >/dev/null || { echo "bench/run baselines: nginx not found (apt-get install -y nginx-light)" >&2; exit 2; }
work="$(mktemp -d)"
server_pid=""
bare_pid=""
cleanup() {
  [ -n "$server_pid" ] && { kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
  [ -n "$bare_pid" ] && { kill -TERM "$bare_pid" 2>/dev/null || true; wait "$bare_pid" 2>/dev/null || true; }
  [ -f "$work/nginx.pid" ] && nginx -p "$work" -c "$work/nginx.conf" -s stop 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$root/ci-jwt" keygen --help >/dev/null   # builds the jar once, before anything is timed
mkdir -p "$work/www/.well-known" "$work/logs"
cat > "$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/json;
  client_body_temp_path $work/tmp;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $work/www;
    etag on;
    location / { add_header Cache-Control "public, max-age=300"; }
  }
}
CONF
"$root/ci-jwt" serve --listen "127.0.0.1:$CI_JWT_PORT" --issuer "http://127.0.0.1:$CI_JWT_PORT" --keys "$work/keys" \
  --reload-interval 0 >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$CI_JWT_PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
# nginx serves the very bytes ci-jwt publishes, so both answer the same body size.
curl -fsS "http://127.0.0.1:$CI_JWT_PORT/.well-known/jwks.json" > "$work/www/.well-known/jwks.json"
# nginx's workers drop root; let them read the public document (mktemp -d is 0700).
chmod 755 "$work" "$work/www" "$work/www/.well-known"
chmod 644 "$work/www/.well-known/jwks.json"
nginx -p "$work" -c "$work/nginx.conf"
cmp <(curl -fsS "http://127.0.0.1:$NGINX_PORT/.well-known/jwks.json") "$work/www/.well-known/jwks.json" \
  || { echo "bench/run baselines: nginx does not serve the same JWKS" >&2; exit 1; }

# The bare Vert.x baseline, on the bench module's class path (bench/run built it).
java -cp "$CI_JWT_BENCH_CP" org.cijwt.bench.web.BareJwksServer \
  "$BARE_PORT" "$work/www/.well-known/jwks.json" >"$work/bare.log" 2>&1 &
bare_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$BARE_PORT/" >/dev/null 2>&1 && break
  sleep 0.2
done
cmp <(curl -fsS "http://127.0.0.1:$BARE_PORT/.well-known/jwks.json") "$work/www/.well-known/jwks.json" \
  || { cat "$work/bare.log" >&2; echo "bench/run baselines: the bare Vert.x server does not serve the same JWKS" >&2; exit 1; }

echo "== machine: $(nproc) CPUs, $(uname -sr), $(java -version 2>&1 | head -1), $(nginx -v 2>&1), load $(cut -d' ' -f1-3 /proc/loadavg)"
for target in "nginx http://127.0.0.1:$NGINX_PORT" "bare-vertx http://127.0.0.1:$BARE_PORT" "ci-jwt http://127.0.0.1:$CI_JWT_PORT"; do
  wrk -t"$THREADS" -c"$CONNECTIONS" -d5s "${target#* }/.well-known/jwks.json" >/dev/null   # JIT warm-up
done
# ROUNDS rounds, the three servers in a fresh random order each round, so that a change of load
# during the run falls on all three; the ratio to count is the median of the rounds' own ratios.
: > "$work/rates"
for round in $(seq 1 "$ROUNDS"); do
  for target in $(printf '%s\n' "nginx=http://127.0.0.1:$NGINX_PORT" "bare-vertx=http://127.0.0.1:$BARE_PORT" \
      "ci-jwt=http://127.0.0.1:$CI_JWT_PORT" | shuf); do
    name="${target%%=*}"
    url="${target#*=}"
    echo
    echo "== round $round, $name: GET /.well-known/jwks.json (wrk -t$THREADS -c$CONNECTIONS -d$DURATION)"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url/.well-known/jwks.json" | tee "$work/wrk.out"
    echo "$round $name $(awk '/^Requests\/sec:/ {print $2}' "$work/wrk.out")" >> "$work/rates"
  done
done
echo
echo "== JWKS req/s by round (load now $(cut -d' ' -f1-3 /proc/loadavg))"
python3 - "$work/rates" <<'PY'
import statistics, sys
rates = {}
for line in open(sys.argv[1]):
    r, name, rate = line.split()
    rates.setdefault(name, {})[int(r)] = float(rate)
rounds = sorted(rates["ci-jwt"])
print("round  nginx  bare-vertx  ci-jwt  ci-jwt/bare  ci-jwt/nginx")
for r in rounds:
    n, b, c = rates["nginx"][r], rates["bare-vertx"][r], rates["ci-jwt"][r]
    print(f"{r:5d}  {n:,.0f}  {b:,.0f}  {c:,.0f}  {c / b:.3f}  {c / n:.3f}")
med = {k: statistics.median(v.values()) for k, v in rates.items()}
print(f"median req/s: nginx {med['nginx']:,.0f}, bare Vert.x {med['bare-vertx']:,.0f}, ci-jwt {med['ci-jwt']:,.0f}")
print(f"ci-jwt / bare Vert.x: median of the rounds' ratios {statistics.median(rates['ci-jwt'][r] / rates['bare-vertx'][r] for r in rounds):.3f},"
      f" ratio of the medians {med['ci-jwt'] / med['bare-vertx']:.3f} (target >= 0.9)")
print(f"ci-jwt / nginx: median of the rounds' ratios {statistics.median(rates['ci-jwt'][r] / rates['nginx'][r] for r in rounds):.3f}")
PY
