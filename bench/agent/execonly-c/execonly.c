/*
 * The floor of a runtime wrapper's start outside Go: nothing but execv of the runc named by
 * CI_JWT_RUNC, with the same arguments. Built static by bench/run container-life (with musl-gcc
 * where it is, as ci-jwt-runtime's fast path is, else gcc), and timed beside runc, execonly (Go)
 * and ci-jwt-runtime, whose fast path (plugin/runtime/internal/fastpath) should come close to it.
 * A benchmark's yardstick only.
 */
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    (void) argc;
    char *runc = getenv("CI_JWT_RUNC");
    if (runc == NULL) {
        return 127;
    }
    argv[0] = runc;
    execv(runc, argv);
    return 127;
}
