#!/bin/sh
# Builds ci-jwt-runtime (./cmd/ci-jwt-runtime) into the file OUT, through OUT.tmp and a rename:
#   build.sh OUT       build
#   build.sh --probe   exit 0 when this machine can build the fast path, else say why and exit 1
#
# With a C compiler and libmd (Debian: gcc, libc6-dev, libmd-dev) the binary is static and has the
# fast path (package internal/fastpath): a call that is none of ci-jwt's business goes to runc
# before the Go runtime starts, for about a third of Go's start cost. Without them it is a pure Go
# binary that makes the same decisions at Go's start cost, and this script says so on stderr; with
# CI=true it fails instead. verify.sh (Maven's test phase) and ./ci-jwt-runtime --build run it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

probe() {
  cc="${CC:-gcc}"
  if ! command -v "$cc" >/dev/null 2>&1; then
    echo "no C compiler ($cc)"
    return 1
  fi
  scratch=$(mktemp -d)
  printf '#include <sha2.h>\nint main(void) { char h[SHA256_DIGEST_STRING_LENGTH]; return SHA256Data((const unsigned char *)"", 0, h) == 0; }\n' >"$scratch/p.c"
  if ! "$cc" -static -o "$scratch/p" "$scratch/p.c" -lmd >/dev/null 2>&1; then
    rm -rf "$scratch"
    echo "no static libmd (Debian: libmd-dev) or static C library (libc6-dev) for $cc"
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
  # netgo and osusergo: nothing of the C library's name service, which a static binary cannot load.
  CGO_ENABLED=1 go build -trimpath -tags netgo,osusergo -ldflags '-extldflags -static' -o "$out.tmp" ./cmd/ci-jwt-runtime
elif [ "${CI:-}" = "true" ]; then
  echo "ci-jwt-runtime: cannot build the fast path: $why (CI=true requires it)" >&2
  exit 1
else
  echo "ci-jwt-runtime: built WITHOUT the fast path: $why; every runc call pays Go's start" >&2
  CGO_ENABLED=0 go build -trimpath -o "$out.tmp" ./cmd/ci-jwt-runtime
fi
mv "$out.tmp" "$out"
