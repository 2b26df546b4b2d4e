#!/usr/bin/env bash
# bench/run faults full-fs: the agent's state directory on a small tmpfs of its own (4 MiB), filled
# up while 10 containers with 1 min tokens are live. While it is full: 10 more creates must be
# refused with one line each and leave nothing (no token directory, no record, config.json as it
# was); refreshes fail and are retried, and every live token file stays complete. Once space is
# freed, every live token must be re-minted at its next retry (10 s, doubling, at most 2 min), then all are
# deleted and nothing may be left. Needs root (mount). Prints one Markdown row.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
[ "$(id -u)" = 0 ] || { echo "faults full-fs: needs root (mount -t tmpfs)" >&2; exit 2; }
mkdir -p "$state"
mount -t tmpfs -o size=4m,mode=0700 ci-jwt-faults "$state"
mounts+=("$state")
start_agent
for i in $(seq 1 10); do mk "c$i"; done
# Fill what is left, in one file beside the agent's directories.
dd if=/dev/zero of="$state/filler" bs=64k 2>/dev/null || true
refused=0 wrote=0
for i in $(seq 1 10); do
  "$load" create -socket "$socket" -metadata "$metadata" -dir "$work/bundles" -profile short -id "full$i" \
    2>>"$work/refusals" && wrote=$((wrote + 1)) || refused=$((refused + 1))
  # A refused create leaves its bundle as it was, and nothing in the state directory.
  if [ -d "$state/tokens/full$i" ] || grep -q concourse-ci "$work/bundles/full$i/config.json"; then wrote=$((wrote + 100)); fi
done
read -r -a s <<<"$(tokens_state)"
left_while_full=$(( s[0] + s[1] - 10 ))
records_while_full=$(( s[4] + s[5] - 20 ))
# Over the refresh window: every refresh fails (no room for the new file) and is retried.
half=0
for _ in $(seq 1 55); do read -r -a s <<<"$(tokens_state)"; half=$((half + s[1])); sleep 1; done
failed="$(metric cijwt_agent_tokens_total\{event=\"refresh_failed\")"
rm -f "$state/filler"
freed=$(date +%s)
took="$(fresh_within "$freed" 130 || true)"
read -r -a s <<<"$(tokens_state)"
half=$((half + s[1]))
for i in $(seq 1 10); do rm_ctr "c$i"; done
read -r -a e <<<"$(tokens_state)"
line="$(head -1 "$work/refusals" | cut -c1-160)"
echo "| state dir on a full 4 MiB tmpfs | 10 live + 10 created while full | $refused of 10 creates refused, $wrote written, $left_while_full token dirs and $records_while_full records left by them; $failed failed refreshes, retried | all re-minted ${took} s after space was freed (bound: the next retry of the back-off, 10 s doubling to at most 2 min) | $half | $((e[0] + e[1])) tokens, $((e[4] + e[5])) records |"
echo "refusal: $line" >&2
