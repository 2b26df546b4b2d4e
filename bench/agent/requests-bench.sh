#!/usr/bin/env bash
# bench/run requests: tokens on request (POST /v1/tokens on a container's token socket) from real
# runc containers, next to the agent's create, in one run. Prints one Markdown table:
#   - POST+DELETE /v1/containers one at a time (the create a container costs), ES256;
#   - POST /v1/tokens from 1 container, then from 50 containers at once: one asker per container,
#     inside its PID namespace (nsenter --pid), one kept-open connection each, for DURATION.
#
#   bench/run requests                       # about a minute
#   CONTAINERS=20 DURATION=5s bench/run requests
#
# Environment: CONTAINERS (50), DURATION (10s), WARMUP (asks before measuring, as a 1-container run of
# WARMUP_DURATION, 5s), AGENT_JAVA_OPTS (default: the systemd unit's in docs/agent.md), BENCH_DIR (/dev/shm).
# Needs root, runc, nsenter, /bin/busybox (busybox-static), Java 17, Go, curl.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CONTAINERS="${CONTAINERS:-50}"
DURATION="${DURATION:-10s}"
WARMUP_DURATION="${WARMUP_DURATION:-5s}"

[ "$(id -u)" = 0 ] || { echo "requests-bench: needs root (runc, nsenter)" >&2; exit 2; }
for tool in java go curl runc nsenter; do
  command -v "$tool" >/dev/null || { echo "requests-bench: $tool not found" >&2; exit 2; }
done
[ -x /bin/busybox ] || { echo "requests-bench: /bin/busybox (busybox-static) not found" >&2; exit 2; }
name=requests-bench
runc_root=bundles/runc-root
source "$here/lib.sh"
rootfs="$work/rootfs"
mkdir -p "$rootfs/bin" "$rootfs/proc" "$rootfs/dev" "$rootfs/sys" "$rootfs/tmp" "$rootfs/var/run/secrets/concourse-ci"
cp /bin/busybox "$rootfs/bin/busybox"
ln -s busybox "$rootfs/bin/sh"
ln -s busybox "$rootfs/bin/sleep"
ln -s busybox "$rootfs/bin/true"

socket="$work/run/agent.sock"
state="$work/state"
# A rate no run reaches: the figure is the endpoint's, not the limit's.
cat >"$work/agent.yml" <<YAML
issuer: https://ci.example.test
default_profile: es256
profiles:
  es256:
    tokens: [{name: jwt, audiences: [vault], algorithm: ES256, ttl: 1h}]
    on_request: {audiences: [sts.amazonaws.com], max_ttl: 1h, rate_per_minute: 60000}
YAML
start_agent "$AGENT_JAVA_OPTS" "$state"
mkdir -p "$work/bundles"
common=(-socket "$socket" -pid "$agent_pid" -metadata "$metadata" -dir "$work/bundles" -state-dir "$state" -profile es256)

echo "== $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(uname -sr)"
echo "== $(java -version 2>&1 | head -1), agent JVM options: $AGENT_JAVA_OPTS; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "### The agent's create, one at a time (ES256; 1,000 warm-up pairs, then 1,000 measured)"
echo
echo "| profile | pairs | POST p50 / p99 ms | DELETE p50 / p99 ms | pair p50 / p99 ms | agent CPU per pair ms | agent threads waiting for a CPU, per pair ms | pairs/s |"
echo "|---|---|---|---|---|---|---|---|"
"$load" latency "${common[@]}" -n 1000 -warmup 1000
echo
echo "### Tokens on request: POST /v1/tokens, ES256, one kept-open connection per container, asking back to back for $DURATION"
echo
echo "| run | containers | requests | requests/s | p50 / p99 ms | agent CPU per request ms | refused |"
echo "|---|---|---|---|---|---|---|"
"$load" requests "${common[@]}" -runc "$(command -v runc)" -rootfs "$rootfs" -containers 1 -duration "$WARMUP_DURATION" \
  -label "warm-up (not a figure)"
"$load" requests "${common[@]}" -runc "$(command -v runc)" -rootfs "$rootfs" -containers 1 -duration "$DURATION" -label "one client"
"$load" requests "${common[@]}" -runc "$(command -v runc)" -rootfs "$rootfs" -containers "$CONTAINERS" -duration "$DURATION" \
  -label "$CONTAINERS containers at once"
echo
echo "== load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
