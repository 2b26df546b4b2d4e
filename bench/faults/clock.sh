#!/usr/bin/env bash
# bench/run faults clock: the agent's wall clock stepped forward 2 h, then back 1 h, then right
# again, with libfaketime (its monotonic clock untouched, as an NTP step leaves it; never the host's
# clock). 20 containers, 10 with 1 min tokens and 10 with 1 h tokens, are live throughout and 10
# more are created during the steps. After the clock is right again, every token must be re-minted
# with a right iat at the agent's next 10 s check (it tells a step of the wall clock from the
# monotonic one), none ever half-written; then every container is deleted and nothing may be left.
# Prints one Markdown row.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
lib=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
if [ ! -f "$lib" ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends faketime >/dev/null
fi
echo "+0" >"$work/faketime"
AGENT_ENV=(LD_PRELOAD="$lib" FAKETIME_TIMESTAMP_FILE="$work/faketime" FAKETIME_CACHE_DURATION=1
  FAKETIME_DONT_FAKE_MONOTONIC=1)
start_agent
for i in $(seq 1 10); do mk "c$i"; done
for i in $(seq 11 20); do mk "c$i" es256; done
half=0
watch_half() { local s; read -r -a s <<<"$(tokens_state)"; half=$((half + s[1])); }
echo "+2h" >"$work/faketime"; sleep 2
for i in $(seq 1 5); do mk "f$i"; done
for _ in $(seq 1 10); do watch_half; sleep 1; done
echo "-1h" >"$work/faketime"; sleep 2
for i in $(seq 1 5); do mk "b$i"; done
for _ in $(seq 1 10); do watch_half; sleep 1; done
echo "+0" >"$work/faketime"; sleep 1
right=$(date +%s)
took="$(fresh_within "$((right - 1))" 60 || true)"
steps="$(grep -c 'wall clock stepped' "$work/agent.log" || true)"
read -r -a s <<<"$(tokens_state)"
half=$((half + s[1]))
failed="$(metric cijwt_agent_tokens_total\{event=\"refresh_failed\")"
for id in $(seq -f 'c%g' 1 20) $(seq -f 'f%g' 1 5) $(seq -f 'b%g' 1 5); do rm_ctr "$id"; done
read -r -a e <<<"$(tokens_state)"
alive=no; kill -0 "$agent_pid" 2>/dev/null && alive=yes
echo "| agent's clock +2 h, then -1 h, then right (libfaketime; 1 min and 1 h tokens) | 30 | $steps steps noticed, each followed by every token minted again; $failed failed refreshes; $((s[0] < 30 ? 30 - s[0] : 0)) containers without a complete token; agent alive: $alive | all re-minted with a right iat ${took} s after the clock was right (bound: the next 10 s check) | $half | $((e[0] + e[1])) tokens, $((e[4] + e[5])) records |"
