package wrapper

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/cijwt/ci-jwt/runtime/internal/bundle"
	"github.com/cijwt/ci-jwt/runtime/internal/runcargs"
)

// maxProcessBytes bounds what is read of an exec's process file.
const maxProcessBytes = 1 << 20

// passTokenToProcess gives a process started with `runc exec --process FILE` the token variables
// the agent put into the container's config.json at create. The init process has them from
// config.json; a process started by exec only from its own process file, and Concourse starts the
// task's command that way. The bundle is the directory of exec's --pid-file, where containerd's
// shims put it; without one (or without a config.json there, or without token variables in it)
// the process is not one of a container ci-jwt delivered to and is left as it is. A variable the
// process already sets keeps its value, as at create.
func passTokenToProcess(inv runcargs.Invocation) error {
	if inv.Process == "" || inv.PidFile == "" {
		return nil
	}
	vars, err := bundle.TokenEnv(filepath.Dir(inv.PidFile))
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(vars) == 0) {
		return nil
	}
	if err != nil {
		return err
	}
	return addEnv(inv.Process, vars)
}

// addEnv adds the variables a process spec file does not set yet, replacing the file (a temporary
// file beside it, then a rename) so that runc never reads half of it; every other field is kept
// as written.
func addEnv(path string, vars []string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("process file: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("process file: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxProcessBytes+1))
	f.Close()
	if err != nil {
		return fmt.Errorf("process file %s: %w", path, err)
	}
	if len(data) > maxProcessBytes {
		return fmt.Errorf("process file %s is larger than %d MiB", path, maxProcessBytes>>20)
	}
	var spec map[string]json.RawMessage
	if err := json.Unmarshal(data, &spec); err != nil {
		return fmt.Errorf("process file %s is not valid JSON: %w", path, err)
	}
	var env []string
	if raw, ok := spec["env"]; ok {
		if err := json.Unmarshal(raw, &env); err != nil {
			return fmt.Errorf("process file %s: env is not a list of strings: %w", path, err)
		}
	}
	set := map[string]bool{}
	for _, e := range env {
		name, _, _ := strings.Cut(e, "=")
		set[name] = true
	}
	added := false
	for _, v := range vars {
		name, _, _ := strings.Cut(v, "=")
		if !set[name] {
			env = append(env, v)
			added = true
		}
	}
	if !added {
		return nil
	}
	if spec["env"], err = json.Marshal(env); err != nil {
		return err
	}
	out, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ci-jwt-process-*")
	if err != nil {
		return fmt.Errorf("process file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		return fmt.Errorf("process file: %w", err)
	}
	if err := tmp.Chmod(info.Mode().Perm()); err != nil {
		tmp.Close()
		return fmt.Errorf("process file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("process file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("process file: %w", err)
	}
	return nil
}
