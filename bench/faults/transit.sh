#!/usr/bin/env bash
# bench/run faults transit: the Transit key source stops answering under a running agent. A real
# OpenBao dev server (the checkout's .venv/bin/bao, or CI_JWT_BAO) holds an ecdsa-p256 Transit key;
# the agent signs with --keys transit:transit/ci-jwt (token from a 0600 file, timeout 5 s); 10
# containers with 1 min tokens are live. OpenBao is then frozen (SIGSTOP: connections open, nothing
# answers, as a hung Vault) for OUTAGE seconds (90): creates must fail closed with one line (CJ209),
# refreshes fail and are retried, and the token files already delivered stay whole. After SIGCONT
# every live token must be minted again within the retry back-off (10 s doubling, at most 2 min);
# then every container is deleted and nothing may be left. Prints one Markdown row.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
OUTAGE="${OUTAGE:-90}"
bao="${CI_JWT_BAO:-$root/.venv/bin/bao}"
[ -x "$bao" ] || { echo "faults transit: no OpenBao at $bao (the test command installs it into .venv; or set CI_JWT_BAO)" >&2; exit 2; }
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
addr="http://127.0.0.1:$port"
# A dev server's root token, made up here for this run only (as the fixtures' OpenBaoServer does).
root_token="dev-root-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
"$bao" server -dev -dev-listen-address="127.0.0.1:$port" -dev-root-token-id="$root_token" -dev-no-store-token \
  >"$work/bao.log" 2>&1 &
bao_pid=$!
pids+=("$bao_pid")
for _ in $(seq 1 100); do curl -fsS "$addr/v1/sys/health" >/dev/null 2>&1 && break; sleep 0.2; done
api() { curl -fsS -H "X-Vault-Token: $root_token" "$@" >/dev/null; }
api -X POST "$addr/v1/sys/mounts/transit" -d '{"type":"transit"}'
api -X POST "$addr/v1/transit/keys/ci-jwt" -d '{"type":"ecdsa-p256"}'
( umask 077; printf '%s' "$root_token" >"$work/bao-token" )
cat >"$work/transit.yml" <<YAML
address: $addr
auth: {method: token, token_file: $work/bao-token}
timeout: 5s
poll_interval: 10s
YAML
AGENT_ENV=(CI_JWT_TRANSIT_CONFIG="$work/transit.yml")
KEYS="transit:transit/ci-jwt"
start_agent
for i in $(seq 1 10); do mk "c$i"; done
read -r -a before <<<"$(tokens_state)"

kill -STOP "$bao_pid"
half=0
refused=0
for i in $(seq 1 5); do
  mk "down$i" 2>>"$work/refusals" || refused=$((refused + 1))
done
t0=$SECONDS
while ((SECONDS - t0 < OUTAGE)); do
  read -r -a s <<<"$(tokens_state)"
  half=$((half + s[1]))
  sleep 1
done
read -r -a during <<<"$(tokens_state)"
failed="$(metric cijwt_agent_tokens_total\{event=\"refresh_failed\")"
kill -CONT "$bao_pid"
back=$(date +%s)
took="$(fresh_within "$back" 150 || true)"
read -r -a after <<<"$(tokens_state)"
alive=no; kill -0 "$agent_pid" 2>/dev/null && alive=yes
for i in $(seq 1 10); do rm_ctr "c$i"; done
read -r -a e <<<"$(tokens_state)"
line="$(head -1 "$work/refusals" | cut -c1-200)"
echo "| Transit frozen (OpenBao SIGSTOPped ${OUTAGE} s; --keys transit:transit/ci-jwt, timeout 5 s; 1 min tokens) | 10 live + 5 created while frozen | $refused of 5 creates refused (fail closed); $failed failed refreshes, retried; ${during[0]} complete token files kept (valid until their own exp); agent alive: $alive | all re-minted ${took} s after OpenBao answered again (bound: the next retry of the back-off, at most 2 min) | $half | $((e[0] + e[1])) tokens, $((e[4] + e[5])) records |"
echo "refusal: $line" >&2
[ "$refused" = 5 ] && [ "$half" = 0 ] && [ "$took" != never ] && [ "$alive" = yes ] && [ $((e[0] + e[1] + e[4] + e[5])) = 0 ] \
  && [ "${before[0]}" = 10 ]
