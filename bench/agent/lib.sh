# Shared by the agent benchmarks that start `ci-jwt agent` from the product jar and real runc
# containers (agent-bench.sh, requests-bench.sh). Source it after setting `name` (the script's name,
# for messages and the work directory) and `runc_root` (where, under the work directory, runc keeps
# its state). It builds the jar if missing (never `install`), makes a private work directory under
# BENCH_DIR, builds the load client into it ($load), and at exit deletes every runc container left
# under runc_root, stops the agent ($agent_pid) and removes the work directory. start_agent starts
# the agent.
root="$(cd "$here/../.." && pwd)"
AGENT_JAVA_OPTS="${AGENT_JAVA_OPTS:--XX:+UseSerialGC -Xss512k -XX:MaxRAM=1g}"
BENCH_DIR="${BENCH_DIR:-/dev/shm}"
jar="$root/plugin/cli/target/ci-jwt.jar"
metadata="$root/fixtures/src/main/resources/org/cijwt/fixtures/metadata/main.json"
if [ ! -f "$jar" ]; then
  echo "$name: building $jar ..." >&2
  (cd "$root" && ./mvnw -q -B -DskipTests -Dcijwt.skipToolSetup=true package -pl plugin/cli -am)
fi
work="$(mktemp -d "$BENCH_DIR/ci-jwt-$name.XXXXXX")"
agent_pid=""
cleanup() {
  if [ -d "$work/$runc_root" ]; then
    for id in $(runc --root "$work/$runc_root" list -q 2>/dev/null); do
      runc --root "$work/$runc_root" delete --force "$id" || true
    done
  fi
  if [ -n "$agent_pid" ]; then
    kill -TERM "$agent_pid" 2>/dev/null || true
    wait "$agent_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
load="$work/agentload"
(cd "$here" && CGO_ENABLED=0 go build -trimpath -o "$load" .)

# start_agent JAVA_OPTS STATE_DIR [AGENT_FLAGS...]: `ci-jwt agent` from the jar on $socket with
# ephemeral keys and $work/agent.yml, its log in $work/agent.log; returns once it answers /readyz
# (sets agent_pid), and exits with the log if it dies first.
start_agent() {
  local java_opts="$1" state="$2"
  shift 2
  # shellcheck disable=SC2086 # a list of JVM options
  java $java_opts -jar "$jar" agent --socket "$socket" --state-dir "$state" --keys ephemeral \
    --config "$work/agent.yml" "$@" >"$work/agent.log" 2>&1 &
  agent_pid=$!
  for _ in $(seq 1 300); do
    curl -fsS --unix-socket "$socket" http://agent/readyz >/dev/null 2>&1 && return 0
    kill -0 "$agent_pid" 2>/dev/null || { cat "$work/agent.log" >&2; exit 1; }
    sleep 0.2
  done
  curl -fsS --unix-socket "$socket" http://agent/readyz >/dev/null || { cat "$work/agent.log" >&2; exit 1; }
}
