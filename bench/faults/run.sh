#!/usr/bin/env bash
# bench/run faults [NAMES]: the fault runs of issue 22, each a script of this directory, one after
# the other; NAMES are any of churn, containerd, full-fs, clock, keys, transit, soak (default: all). Each prints
# one row of a Markdown table, and fails (exit 1) when it finds a fault. Benchmark scripts, not
# tests: they take minutes (about 20 in all, 10 of them the soak: SOAK seconds) and the machine's root (containerd, mount).
#   bench/run faults                 # all five
#   N=200 KILLS=5 bench/run faults churn
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
names=("$@")
((${#names[@]} > 0)) || names=(churn containerd full-fs clock keys transit soak)
status=0
for name in "${names[@]}"; do
  case "$name" in
    churn)
      echo
      echo "| containers | creates answered / failed by a kill | deletes answered / not heard (agent down) | kills, each followed by a restart | slowest restart to ready ms | managed without a complete token | live tokens not re-minted at the restart | config.json left patched | half-written token reads / reads | token dirs left | records left | agent VmRSS first / last MiB |"
      echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
      script=churn.sh ;;
    soak)
      echo
      echo "| soak | churn | VmRSS | heap | trend |"
      echo "|---|---|---|---|---|"
      script=soak.sh ;;
    containerd|full-fs|clock|keys|transit)
      if [ "${header_done:-}" != 1 ]; then
        echo
        echo "| fault | containers | during the fault | after recovery | half-written token files seen | left after every container was deleted |"
        echo "|---|---|---|---|---|---|"
        header_done=1
      fi
      script="${name/full-fs/fullfs}.sh" ;;
    *) echo "bench/run faults: unknown fault $name (churn, containerd, full-fs, clock, keys, transit, soak)" >&2; exit 2 ;;
  esac
  "$here/$script" || { status=1; echo "bench/run faults: $name found a fault or failed" >&2; }
done
exit "$status"
