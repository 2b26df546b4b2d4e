/*
 * The floor of a runtime wrapper that is not a Go program: nothing but execv of the runc named by
 * CI_JWT_RUNC, with the same arguments. Built static by bench/run container-life when gcc is
 * there, and timed beside runc, execonly (Go) and ci-jwt-runtime. A benchmark's yardstick only:
 * nothing of ci-jwt is written in C.
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
