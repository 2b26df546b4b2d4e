#!/usr/bin/env bash
# bench/run faults churn: 1,000 containers created and deleted through the agent's socket (at most
# LIVE at once), while the agent is SIGKILLed KILLS times at random points (0 to 4 ms into a create
# or a delete) and started again. A reader reads the live containers' token files all along.
# After every restart: each live container has a complete token minted after the restart (the
# agent adopts and mints again at once) and its config.json patched. A create the kill failed is
# treated as containerd treats it (bundle removed); a delete the agent did not hear is only
# warned about (as the wrapper does) and must be cleaned up by the agent itself. At the end: no
# token directory or record left, no config.json left patched, no half-written token file read.
# Prints one Markdown row (see bench/faults/run.sh for the header).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
N="${N:-1000}"; LIVE="${LIVE:-50}"; KILLS="${KILLS:-20}"
"$load" churn -socket "$work/run/agent.sock" -state "$work/state" -config "$work/agent.yml" -jar "$jar" \
  -java-opts "$AGENT_JAVA_OPTS" -log "$work/agent.log" -metadata "$metadata" -dir "$work/bundles" -profile es256 \
  -n "$N" -live "$LIVE" -kills "$KILLS"
