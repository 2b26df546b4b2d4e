#!/usr/bin/env bash
# bench/run faults keys: the signing key file (a PEM, --keys) deleted under a running agent with 10
# live containers (1 min tokens). The agent keeps its last good key (degraded, as docs/keys.md says):
# creates and refreshes go on, and cijwt_keys_degraded says so. Then the agent is restarted with the
# file still gone: it must refuse to start with one line, and a create must fail (closed) while the
# live containers keep complete token files. With the file back, the agent starts, adopts the live
# containers and re-mints their tokens at once. Then all are deleted and nothing may be left.
# Prints one Markdown row.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
mkdir -p "$work/keygen"
java -jar "$jar" keygen --format pem --alg ES256 --out "$work/keygen" >/dev/null
mv "$work"/keygen/ES256-*-private.pem "$work/signing.pem"
chmod 600 "$work/signing.pem"
cp -p "$work/signing.pem" "$work/signing.pem.saved"
KEYS="$work/signing.pem"
start_agent
for i in $(seq 1 10); do mk "c$i"; done
rm -f "$work/signing.pem"
sleep 5
degraded="$(metric cijwt_keys_degraded)"
mk during-degraded && created_degraded=yes || created_degraded=no
stop_agent
start_agent && restarted=yes || restarted=no
start_line="$(grep -a 'ci-jwt:' "$work/agent.log" | tail -1 | cut -c1-160)"
mk while-down 2>/dev/null && created_down=yes || created_down=no
read -r -a s <<<"$(tokens_state)"
cp -p "$work/signing.pem.saved" "$work/signing.pem"
back=$(date +%s)
start_agent
took="$(fresh_within "$back" 10 || true)"
read -r -a f <<<"$(tokens_state)"
for id in $(seq -f 'c%g' 1 10) during-degraded; do rm_ctr "$id"; done
read -r -a e <<<"$(tokens_state)"
echo "| signing key file deleted; agent restarted without it; file back | 11 | cijwt_keys_degraded $degraded, a create while degraded: $created_degraded; a restart without the file: $([ "$restarted" = no ] && echo refused || echo STARTED), a create then: $([ "$created_down" = no ] && echo 'failed (closed)' || echo SUCCEEDED); ${s[0]} complete token files kept | all re-minted ${took} s after the restart with the file | ${s[1]} | $((e[0] + e[1])) tokens, $((e[4] + e[5])) records |"
echo "start refused with: $start_line" >&2
