// Command execonly is the floor of any runtime wrapper written in Go: it does nothing but replace
// itself with the runc named by CI_JWT_RUNC, with the same arguments. `bench/run container-life`
// times it beside runc and ci-jwt-runtime, so that the wrapper's own start is read against what
// the Go runtime's start and a second execve cost by themselves.
package main

import (
	"os"
	"syscall"
)

func main() {
	runc := os.Getenv("CI_JWT_RUNC")
	if runc == "" {
		os.Exit(127)
	}
	_ = syscall.Exec(runc, append([]string{runc}, os.Args[1:]...), os.Environ())
	os.Exit(127)
}
