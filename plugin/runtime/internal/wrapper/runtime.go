package wrapper

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

var (
	// errSelf is CI_JWT_RUNC naming this program: it would execute itself for ever.
	errSelf = errors.New("is this wrapper itself")
	// errNoRunc is neither CI_JWT_RUNC nor a runc on PATH other than this program.
	errNoRunc = errors.New("runc is not on PATH (set CI_JWT_RUNC to the real runtime)")
)

// realRuntime finds the runtime to execute: CI_JWT_RUNC, else runc on PATH, never self (this
// program, which may itself be installed as runc, first on PATH).
func realRuntime(getenv func(string) string, self string) (string, error) {
	selfResolved, _ := filepath.EvalSymlinks(self)
	if p := getenv("CI_JWT_RUNC"); p != "" {
		if resolved, _ := filepath.EvalSymlinks(p); resolved != "" && resolved == selfResolved {
			return "", fmt.Errorf("CI_JWT_RUNC=%s %w", p, errSelf)
		}
		return p, nil
	}
	for _, dir := range filepath.SplitList(getenv("PATH")) {
		candidate := filepath.Join(dir, "runc")
		info, err := os.Stat(candidate)
		if err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
			continue
		}
		if resolved, _ := filepath.EvalSymlinks(candidate); resolved == selfResolved {
			continue
		}
		return candidate, nil
	}
	return "", errNoRunc
}

// runChild runs the real runtime with the caller's standard streams and returns its exit code.
func runChild(runc string, args []string) int {
	cmd := exec.Command(runc, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		fmt.Fprintf(os.Stderr, "ci-jwt-runtime: cannot execute %s: %v\n", runc, err)
		return 1
	}
	return 0
}
