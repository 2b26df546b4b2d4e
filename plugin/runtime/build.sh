#!/bin/sh
# Builds ci-jwt-runtime (./cmd/ci-jwt-runtime) into the file OUT, through OUT.tmp and a rename:
#   build.sh OUT       build
#   build.sh --probe   exit 0 when this machine can build the fast path, else say why and exit 1
#
# With musl's C compiler (Debian: musl-tools) the binary is static, linked with musl, and has the
# fast path (package internal/fastpath): a call that is none of ci-jwt's business goes to runc
# before the Go runtime starts. musl, not the GNU C library: a static glibc program spends about
# 0.4 ms of CPU at its start asking the processor what it is (CPUID, which traps to the hypervisor
# on a virtual machine), a musl one 0.07 ms, and a cgo program linked with glibc starts Go 0.5 ms
# slower than a pure Go one (BENCHMARKS.md). Without musl-gcc the binary is pure Go, making the
# same decisions at Go's start cost, and this script says so on stderr; with CI=true it fails
# instead. verify.sh (Maven's test phase) and ./ci-jwt-runtime --build run it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

probe() {
  if ! command -v musl-gcc >/dev/null 2>&1; then
    echo "no musl-gcc (Debian: musl-tools)"
    return 1
  fi
  scratch=$(mktemp -d)
  printf 'int main(void) { return 0; }\n' >"$scratch/p.c"
  if ! musl-gcc -static -o "$scratch/p" "$scratch/p.c" >/dev/null 2>&1; then
    rm -rf "$scratch"
    echo "musl-gcc cannot link a static program"
    return 1
  fi
  rm -rf "$scratch"
}

if [ "${1:-}" = "--probe" ]; then
  if why=$(probe); then
    exit 0
  fi
  echo "$why"
  exit 1
fi

out="$1"
cd "$here"
if why=$(probe); then
  # netgo and osusergo: no C library name service, which a static binary cannot load.
  CC=musl-gcc CGO_ENABLED=1 go build -trimpath -tags netgo,osusergo -ldflags '-linkmode external -extldflags -static' \
    -o "$out.tmp" ./cmd/ci-jwt-runtime
elif [ "${CI:-}" = "true" ]; then
  echo "ci-jwt-runtime: cannot build the fast path: $why (CI=true requires it)" >&2
  exit 1
else
  echo "ci-jwt-runtime: built WITHOUT the fast path: $why; every runc call pays Go's start" >&2
  CGO_ENABLED=0 go build -trimpath -o "$out.tmp" ./cmd/ci-jwt-runtime
fi
mv "$out.tmp" "$out"
