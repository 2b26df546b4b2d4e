#!/usr/bin/env bash
# bench/run faults soak: the agent's memory over SOAK seconds (default 600) of create/delete churn
# through its socket, with 200 containers live on 1 min tokens (so refreshes run all along). VmRSS
# and the heap in use are read after a full GC (jcmd GC.run) once the churn has warmed the agent,
# then every minute. Prints one Markdown row: pairs, the readings at the first and last minute, and
# the growth per hour of the heap's least squares line.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
SOAK="${SOAK:-600}"
command -v jcmd >/dev/null || { echo "faults soak: jcmd not found" >&2; exit 2; }
start_agent
common=(-socket "$socket" -pid "$agent_pid" -metadata "$metadata" -dir "$work/bundles")
"$load" fill "${common[@]}" -profile short -from 0 -to 200
"$load" latency "${common[@]}" -profile es256 -n 0 -warmup 1000 >/dev/null
reading() {
  jcmd "$agent_pid" GC.run >/dev/null
  sleep 1
  echo "$SECONDS $("$load" rss -pid "$agent_pid") $("$load" heap -socket "$socket")"
}
t0=$SECONDS
pairs=0
next=$t0
: >"$work/readings"
while ((SECONDS - t0 < SOAK)); do
  if ((SECONDS >= next)); then
    reading >>"$work/readings"
    next=$((next + 60))
  fi
  "$load" latency "${common[@]}" -profile es256 -n 200 -warmup 0 >/dev/null
  pairs=$((pairs + 200))
done
reading >>"$work/readings"
left="$("$load" drain "${common[@]}"; "$load" tokens -state "$state" | tail -1)"
awk -v pairs="$pairs" -v soak="$SOAK" '
  { t[NR] = $1; rss[NR] = $2; heap[NR] = $3; n = NR }
  END {
    for (i = 1; i <= n; i++) { sx += t[i]; sy += heap[i]; sxx += t[i] * t[i]; sxy += t[i] * heap[i] }
    slope = (n * sxy - sx * sy) / (n * sxx - sx * sx)
    printf "| soak: %d s of create/delete churn, 200 live on 1 min tokens | %d pairs | VmRSS after GC %d → %d MiB | heap in use after GC %d → %d KiB (%d readings) | heap trend %+.0f KiB per hour |\n",
      soak, pairs, rss[1] / 1024, rss[n] / 1024, heap[1], heap[n], n, slope * 3600
  }' "$work/readings"
echo "soak readings (s, VmRSS KiB, heap KiB): $(tr '\n' ';' <"$work/readings"); after the drain: $left" >&2
