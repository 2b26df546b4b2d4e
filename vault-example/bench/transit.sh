#!/usr/bin/env bash
# Mints per second through OpenBao/Vault Transit next to local signing, in one run, in one JVM:
# starts a real OpenBao dev server on loopback (bao from .venv, as the tests find it, or
# CI_JWT_BAO), mounts Transit, makes ed25519, ecdsa-p256 and rsa-2048 keys, gives the signer a
# token with README's signer policy, and measures through TokenMinter
#   - one signer minting one token after the other: mints/s, p50/p99 latency, Vault requests per mint;
#   - bursts of 100 mints started at once (100 containers created together): time until the last
#     token is made, and how many Vault requests each burst took, with Transit's defaults
#     (batch_size 100, concurrency 4), with batch_size 1, and with batch_size 1 and concurrency 1;
#   - the same with the fixtures' local PEM key of each algorithm.
# Prints one Markdown table (BENCHMARKS.md, "Transit signing"). The class is
# bench/src/test/java/org/cijwt/vault/transit/TransitSigningBench.java.
#
#   vault-example/bench/transit.sh                         the full run: about 2 minutes on 2 CPUs
#   vault-example/bench/transit.sh --algs EdDSA --seconds 2 --bursts 5
#   vault-example/bench/transit.sh --no-build ...          reuses the last build
# Options after the script's own: --algs EdDSA,ES256,RS256  --warmup-seconds 2  --seconds 5
#   --burst 100  --warmup-bursts 3  --bursts 20. MVNW_FLAGS adds Maven flags (e.g. -o); JAVA_OPTS JVM flags.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build=1
if [ "${1:-}" = "--no-build" ]; then build=0; shift; fi
case "${1:-}" in -h|--help) sed -n '2,18p' "$0"; exit 0 ;; esac

cp_file="$root/bench/target/bench-classpath.txt"
if [ "$build" = 1 ]; then
  echo "transit.sh: building (mvnw package, tests not run; nothing goes into ~/.m2) ..." >&2
  # shellcheck disable=SC2086
  (cd "$root" && ./mvnw -q -B ${MVNW_FLAGS:-} -DskipTests -Dcijwt.skipToolSetup=true -pl bench -am \
    package dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt)
fi
[ -f "$cp_file" ] || { echo "transit.sh: no $cp_file; run without --no-build first" >&2; exit 2; }
cp="$root/bench/target/test-classes:$(cat "$cp_file")"
cd "$root"
# shellcheck disable=SC2086
exec java ${JAVA_OPTS:-} -cp "$cp" org.cijwt.vault.transit.TransitSigningBench "$@"
