#!/usr/bin/env bash
# bench/run agent: benchmarks the worker agent (`ci-jwt agent`) through its Unix socket, and the runtime wrapper
# (ci-jwt-runtime) in front of real runc. Prints one Markdown table per figure of BENCHMARKS.md's
# "Worker agent" section:
#   1. POST+DELETE /v1/containers, one at a time: p50/p99 and the agent's CPU per pair, EdDSA and ES256
#      (ephemeral keys, in memory);
#   2. the agent's VmRSS with 0, 100 and 1,000 live containers;
#   3. the wrapper's added time on `create` (runc alone vs ci-jwt-runtime without and with the annotation);
#   4. refreshing 1,000 containers (tokens of 1 min, refreshed 42 to 48 s after their create).
#
#   bench/run agent                                  # everything, about 3 minutes
#   N=500 WARMUP=500 SKIP_REFRESH=1 bench/run agent  # a quick look
#   PROFILE=1 SKIP_WRAPPER=1 SKIP_REFRESH=1 bench/run agent   # and where the time goes (JFR)
#
# Environment: N, WARMUP (pairs per algorithm), LIVE (containers for RSS and refresh, 1000),
# WRAP_N (creates per kind), AGENT_JAVA_OPTS (default: the systemd unit's in docs/agent.md),
# BENCH_DIR (where the state dir and bundles go; default a tmpfs, /dev/shm, as /run is on a worker),
# SKIP_WRAPPER=1, SKIP_REFRESH=1, PROFILE=1 (records the measured pairs with JFR and prints the hot spots).
# Needs: Java 17 (java, jcmd, jfr), Go (for the load client and the wrapper), curl, jq; root, runc and
# busybox-static for 3.
# Starts the agent from plugin/cli/target/ci-jwt.jar, building it first (never `install`) if missing;
# after changing the code, rebuild it with the `package` command below before measuring.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
N="${N:-2000}"
WARMUP="${WARMUP:-2000}"
LIVE="${LIVE:-1000}"
WRAP_N="${WRAP_N:-100}"

for tool in java jcmd jfr go curl jq; do
  command -v "$tool" >/dev/null || { echo "agent-bench: $tool not found" >&2; exit 2; }
done
name=agent-bench
runc_root=runc-root
source "$here/lib.sh"
wrapper="$root/plugin/runtime/target/ci-jwt-runtime"
"$root/ci-jwt-runtime" --build   # quick when nothing changed: Go's build cache
socket="$work/run/agent.sock"
cat >"$work/agent.yml" <<YAML
issuer: https://ci.example.test
default_profile: es256
profiles:
  es256: {tokens: [{name: jwt, audiences: [vault], algorithm: ES256, ttl: 1h}]}
  eddsa: {tokens: [{name: jwt, audiences: [vault], algorithm: EdDSA, ttl: 1h}]}
  short: {tokens: [{name: jwt, audiences: [vault], algorithm: ES256, ttl: 1m}]}
YAML

java_opts="$AGENT_JAVA_OPTS"
# Deep enough stacks that each sample reaches the agent's own frames below Vert.x and Netty.
[ -n "${PROFILE:-}" ] && java_opts="$java_opts -XX:FlightRecorderOptions:stackdepth=512"
start_agent "$java_opts" "$work/state"
common=(-socket "$socket" -pid "$agent_pid" -metadata "$metadata" -dir "$work/bundles")
mkdir -p "$work/bundles"

echo "== $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(uname -sr)"
echo "== $(java -version 2>&1 | head -1), agent JVM options: $AGENT_JAVA_OPTS; state and bundles in $BENCH_DIR"
echo "== load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "### POST + DELETE through the socket, one at a time ($WARMUP warm-up pairs per algorithm, then $N measured)"
echo
echo "| profile | pairs | POST p50 / p99 ms | DELETE p50 / p99 ms | pair p50 / p99 ms | agent CPU per pair ms | agent threads waiting for a CPU, per pair ms | pairs/s |"
echo "|---|---|---|---|---|---|---|---|"
# Both algorithms are warmed up before either is measured, so the JIT compiles (which run on the
# agent's own compiler threads, and count as its CPU) are done by then.
for profile in eddsa es256; do
  "$load" latency "${common[@]}" -profile "$profile" -n 0 -warmup "$WARMUP"
done
for profile in eddsa es256; do
  if [ -n "${PROFILE:-}" ]; then
    jcmd "$agent_pid" JFR.start name=bench settings=profile filename="$work/$profile.jfr" >/dev/null
  fi
  "$load" latency "${common[@]}" -profile "$profile" -n "$N" -warmup 0
  if [ -n "${PROFILE:-}" ]; then
    jcmd "$agent_pid" JFR.stop name=bench >/dev/null
  fi
done
if [ -n "${PROFILE:-}" ]; then
  for profile in eddsa es256; do
    echo
    echo "#### Profile of the measured $profile pairs (JFR, settings=profile): where the agent's samples are"
    echo
    echo '```'
    # Each sample counts for the innermost method of ours (org.cijwt) on its stack, which says what
    # the agent was doing (signing, writing a file, parsing), else for its top frame (Vert.x, Netty, a GC).
    jfr print --json --stack-depth 128 --events jdk.ExecutionSample "$work/$profile.jfr" | jq -r '
      .recording.events | length as $n | map(.values.stackTrace.frames | map(.method.type.name + "." + .method.name)
        | ((map(select(test("^org[./]cijwt") and (test("Lambda") | not))) | first) // first) ) | group_by(.)
      | map({f: .[0], c: length}) | sort_by(-.c) | .[:12][] | "\(.c * 100 / $n | floor) %  \(.f)"'
    echo "samples: $(jfr print --json --events jdk.ExecutionSample "$work/$profile.jfr" | jq '.recording.events | length')"
    jfr print --json --events jdk.GarbageCollection "$work/$profile.jfr" | jq -r '.recording.events
      | "GC: \(length) collections, pauses: longest \(map(.values.longestPause | sub("PT";"") | sub("S";"") | tonumber * 1000) | max // 0) ms"'
    echo '```'
  done
fi

# Three readings per step: VmRSS as it is (what the kernel charges the agent), VmRSS after a full
# GC (jcmd GC.run: the garbage of the creates collected), and the Java heap in use after that GC.
memory() {
  sleep 3
  local rss gcrss heap
  rss="$("$load" rss -pid "$agent_pid")"
  jcmd "$agent_pid" GC.run >/dev/null
  sleep 1
  gcrss="$("$load" rss -pid "$agent_pid")"
  heap="$("$load" heap -socket "$socket")"
  echo "$rss $gcrss $heap"
}
row() { # live base-readings readings
  local live=$1; shift
  local b_rss=$1 b_gc=$2 b_heap=$3 rss=$4 gc=$5 heap=$6
  if [ "$live" = 0 ]; then
    echo "| 0 | $((rss / 1024)) | | $((gc / 1024)) | | $((heap / 1024)) | |"
  else
    echo "| $live | $((rss / 1024)) | $(( (rss - b_rss) / live )) | $((gc / 1024)) | $(( (gc - b_gc) / live )) | $((heap / 1024)) | $(( (heap - b_heap) / live )) |"
  fi
}
echo
echo "### Agent memory by live containers (ES256, 1 h tokens; bundles hold only a config.json)"
echo
echo "| live containers | VmRSS MiB | added per container KiB | VmRSS after a full GC MiB | per container KiB | heap in use after GC MiB | per container KiB |"
echo "|---|---|---|---|---|---|---|"
read -r -a m0 <<<"$(memory)"
row 0 "${m0[@]}" "${m0[@]}"
"$load" fill "${common[@]}" -profile es256 -from 0 -to 100
read -r -a m100 <<<"$(memory)"
row 100 "${m0[@]}" "${m100[@]}"
"$load" fill "${common[@]}" -profile es256 -from 100 -to "$LIVE"
read -r -a mlive <<<"$(memory)"
row "$LIVE" "${m0[@]}" "${mlive[@]}"
"$load" drain "${common[@]}"

echo
if [ -n "${SKIP_WRAPPER:-}" ]; then
  echo "### Wrapper: skipped (SKIP_WRAPPER)"
elif [ "$(id -u)" != 0 ] || ! command -v runc >/dev/null || [ ! -x /bin/busybox ]; then
  echo "### Wrapper: skipped (needs root, runc and /bin/busybox from busybox-static)"
else
  rootfs="$work/rootfs"
  mkdir -p "$rootfs/bin" "$rootfs/proc" "$rootfs/dev" "$rootfs/sys" "$rootfs/tmp" "$rootfs/var/run/secrets/concourse-ci"
  cp /bin/busybox "$rootfs/bin/busybox"
  ln -s busybox "$rootfs/bin/sh"
  ln -s busybox "$rootfs/bin/true"
  echo "### The wrapper's added time on \`create\` (real runc 1.1 containers, busybox; $WRAP_N of each, interleaved)"
  echo
  echo "| create | n | p50 ms | p99 ms | p50 added to runc's ms |"
  echo "|---|---|---|---|---|"
  "$load" wrapper "${common[@]}" -runc "$(command -v runc)" -wrapper "$wrapper" -rootfs "$rootfs" -n "$WRAP_N"
fi

echo
if [ -n "${SKIP_REFRESH:-}" ]; then
  echo "### Refresh: skipped (SKIP_REFRESH)"
else
  echo "### Refreshing $LIVE containers (1 min tokens: each refreshed 42 to 48 s after its create)"
  echo
  start=$(date +%s)
  "$load" fill "${common[@]}" -profile short -from 0 -to "$LIVE"
  filled=$(( $(date +%s) - start ))
  # Measure the agent at rest (1,000 live containers, the reaper, key reloads) until just before the
  # first refresh is due, then over the refreshes.
  idle=$(( 38 - filled )); [ "$idle" -gt 20 ] && idle=20
  [ "$idle" -lt 1 ] && { echo "agent-bench: filling took ${filled}s, refreshes began before it ended" >&2; exit 1; }
  echo "(created in ${filled} s; idle window ${idle} s)"
  echo
  echo "| containers | refreshed | first to last refresh s | agent CPU s (above rest) | CPU per refresh ms | at rest, CPU ms per s | refresh work, sum s / mean ms / max ms (histogram) |"
  echo "|---|---|---|---|---|---|---|"
  "$load" refresh "${common[@]}" -expect "$LIVE" -idle "${idle}s" -timeout 3m | tr ' ' '\n' | cut -d= -f2 | paste -sd' ' \
    | awk -v live="$LIVE" '{ printf "| %s | %s | %s | %s | %s | %s | %s / %s / %s |\n", live, $1, $2, $3, $4, $5, $6, $7, $8 }'
  "$load" drain "${common[@]}"
fi
echo
echo "== load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
