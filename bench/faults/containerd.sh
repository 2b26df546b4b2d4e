#!/usr/bin/env bash
# bench/run faults containerd: a real containerd of its own (root, state and socket in the work
# directory; never the system's) runs 5 annotated containers with 1 min tokens through
# ci-jwt-runtime, and is SIGKILLed and started again while they run (their shims keep them). After
# the restart: 3 more containers start with tokens, the running ones keep theirs and get them
# refreshed within the bound of a 1 min token (48 s), and once every container is deleted through
# the new containerd, no token directory, record or wrapper marker is left. Needs root, containerd,
# ctr, runc and /bin/busybox. Prints one Markdown row.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
[ "$(id -u)" = 0 ] || { echo "faults containerd: needs root" >&2; exit 2; }
"$root/ci-jwt-runtime" --build
wrapper="$root/plugin/runtime/target/ci-jwt-runtime"
rootfs="$work/rootfs"
mkdir -p "$rootfs/bin" "$rootfs/proc" "$rootfs/dev" "$rootfs/sys" "$rootfs/tmp" "$rootfs/var/run/secrets/concourse-ci"
cp /bin/busybox "$rootfs/bin/busybox"
for l in sh true sleep cat; do ln -s busybox "$rootfs/bin/$l"; done
mkdir -p "$work/containerd/root" "$work/containerd/state"
address="$work/containerd/containerd.sock"
cat >"$work/containerd/config.toml" <<TOML
version = 2
root = "$work/containerd/root"
state = "$work/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$address"
[ttrpc]
  address = "$address.ttrpc"
TOML
containerd_pid=""
start_containerd() {
  CI_JWT_AGENT_SOCKET="$socket" CI_JWT_RUNC="$(command -v runc)" containerd --config "$work/containerd/config.toml" \
    >>"$work/containerd.log" 2>&1 &
  containerd_pid=$!
  pids+=("$containerd_pid")
  for _ in $(seq 1 100); do
    [ -S "$address" ] && ctr --address "$address" version >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}
run() { # id
  ctr --address "$address" run -d --runc-binary "$wrapper" --annotation org.cijwt.metadata="$(cat "$metadata")" \
    --annotation org.cijwt.profile=short --rootfs "$rootfs" "$1" /bin/sleep 600 >/dev/null
}
remove() { # id
  ctr --address "$address" task kill -s KILL "$1" >/dev/null 2>&1 || true
  for _ in $(seq 1 50); do
    ctr --address "$address" task delete "$1" >/dev/null 2>&1 && break
    sleep 0.1
  done
  ctr --address "$address" container delete "$1" >/dev/null 2>&1 || true
}
start_containerd
start_agent
for i in $(seq 1 5); do run "before$i"; done
read -r -a b <<<"$(tokens_state)"
kill -KILL "$containerd_pid"; wait "$containerd_pid" 2>/dev/null || true
restarted=$(date +%s)
start_containerd
running="$(ctr --address "$address" task ls -q | wc -l)"
after=0
for i in $(seq 1 3); do run "after$i" && after=$((after + 1)); done
took="$(fresh_within "$restarted" 60 || true)"
read -r -a s <<<"$(tokens_state)"
for id in before1 before2 before3 before4 before5 after1 after2 after3; do remove "$id"; done
sleep 1
read -r -a e <<<"$(tokens_state)"
markers="$(find "$work/run/runtime" -type f 2>/dev/null | wc -l)"
echo "| containerd SIGKILLed and started again under 5 running containers | 8 | ${b[0]} tokens before; $running tasks still running after, $after of 3 new containers started | all refreshed ${took} s after the restart (bound 48 s) | ${s[1]} | $((e[0] + e[1])) tokens, $((e[4] + e[5])) records, $markers wrapper markers |"
