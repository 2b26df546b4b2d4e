# Shared set-up of the fault scripts: the jar, the load client, a private work directory (on a
# tmpfs, as /run is on a worker) with the agent's config, removed at exit with every process the
# script started (their pids in $pids).
root="$(cd "$here/../.." && pwd)"
jar="$root/plugin/cli/target/ci-jwt.jar"
metadata="$root/fixtures/src/main/resources/org/cijwt/fixtures/metadata/main.json"
AGENT_JAVA_OPTS="${AGENT_JAVA_OPTS:--XX:+UseSerialGC -Xss512k -XX:MaxRAM=1g}"
BENCH_DIR="${BENCH_DIR:-/dev/shm}"
for tool in java go curl; do
  command -v "$tool" >/dev/null || { echo "faults: $tool not found" >&2; exit 2; }
done
if [ ! -f "$jar" ]; then
  (cd "$root" && ./mvnw -q -B -DskipTests -Dcijwt.skipToolSetup=true package -pl plugin/cli -am)
fi
work="$(mktemp -d "$BENCH_DIR/ci-jwt-faults.XXXXXX")"
chmod 700 "$work"
pids=()
mounts=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
load="$work/agentload"
(cd "$here/../agent" && CGO_ENABLED=0 go build -trimpath -o "$load" .)
mkdir -p "$work/bundles" "$work/run"
cat >"$work/agent.yml" <<YAML
issuer: https://ci.example.test
default_profile: es256
profiles:
  es256: {tokens: [{name: jwt, audiences: [vault], algorithm: ES256, ttl: 1h}]}
  short: {tokens: [{name: jwt, audiences: [vault], algorithm: ES256, ttl: 1m}]}
YAML
state="$work/state"
socket="$work/run/agent.sock"
agent_pid=""
AGENT_ENV=()
KEYS="${KEYS:-ephemeral}"
# start_agent [FLAG...]: the agent (no warm-up: restarts are what is timed), AGENT_ENV in its
# environment; returns once it answers /readyz, 1 if it exits first.
start_agent() {
  # shellcheck disable=SC2086 # a list of JVM options
  env "${AGENT_ENV[@]}" java $AGENT_JAVA_OPTS -jar "$jar" agent --socket "$socket" --state-dir "$state" --keys "$KEYS" \
    --config "$work/agent.yml" --warm-up 0 "$@" >>"$work/agent.log" 2>&1 &
  agent_pid=$!
  pids+=("$agent_pid")
  for _ in $(seq 1 600); do
    curl -fsS --unix-socket "$socket" http://agent/readyz >/dev/null 2>&1 && return 0
    kill -0 "$agent_pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
stop_agent() { kill -TERM "$agent_pid" 2>/dev/null || true; wait "$agent_pid" 2>/dev/null || true; }
# metric NAME: the sum of a Prometheus family's samples on /metrics.
metric() {
  curl -fsS --unix-socket "$socket" http://agent/metrics | awk -v m="$1" 'index($1, m) == 1 { s += $2 } END { print s + 0 }'
}
mk() { "$load" create -socket "$socket" -metadata "$metadata" -dir "$work/bundles" -profile "${2:-short}" -id "$1"; }
rm_ctr() { "$load" delete -socket "$socket" -id "$1"; }
# tokens_state: "complete half oldest-iat newest-iat deliveries containers" of the state directory.
tokens_state() {
  "$load" tokens -state "$state" | awk '
    $1 == "token" { if ($3 == "complete") { c++; if (min == "" || $4 < min) min = $4; if ($4 > max) max = $4 } else h++ }
    $1 == "records" { d = $2; r = $3 }
    END { printf "%d %d %s %s %d %d\n", c, h, (min == "" ? 0 : min), (max == "" ? 0 : max), d, r }'
}
# fresh_within SINCE LIMIT: waits until every token file is complete and minted at or after SINCE
# (epoch seconds), up to LIMIT seconds; prints the seconds it took, or "never".
fresh_within() {
  local since=$1 limit=$2 t0=$SECONDS s
  while ((SECONDS - t0 <= limit)); do
    read -r -a s <<<"$(tokens_state)"
    if [ "${s[1]}" = 0 ] && [ "${s[0]}" -gt 0 ] && [ "${s[2]}" -ge "$since" ]; then
      echo $((SECONDS - t0))
      return 0
    fi
    sleep 1
  done
  echo never
  return 1
}
