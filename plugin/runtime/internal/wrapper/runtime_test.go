package wrapper

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// executable writes an executable file at path.
func executable(t *testing.T, path string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRealRuntime(t *testing.T) {
	dir := t.TempDir()
	self := executable(t, filepath.Join(dir, "self", "ci-jwt-runtime"))
	// The wrapper installed as runc, first on PATH, as README's "The runtime" suggests.
	selfAsRunc := filepath.Join(dir, "self-as-runc", "runc")
	if err := os.MkdirAll(filepath.Dir(selfAsRunc), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, selfAsRunc); err != nil {
		t.Fatal(err)
	}
	runc := executable(t, filepath.Join(dir, "sbin", "runc"))
	notExecutable := filepath.Join(dir, "plain", "runc")
	if err := os.MkdirAll(filepath.Dir(notExecutable), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notExecutable, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr error
	}{
		{name: "CI_JWT_RUNC", env: map[string]string{"CI_JWT_RUNC": runc, "PATH": ""}, want: runc},
		{name: "CI_JWT_RUNC before PATH", env: map[string]string{"CI_JWT_RUNC": runc, "PATH": filepath.Dir(selfAsRunc)}, want: runc},
		{name: "CI_JWT_RUNC is this wrapper", env: map[string]string{"CI_JWT_RUNC": self}, wantErr: errSelf},
		{name: "CI_JWT_RUNC is a link to this wrapper", env: map[string]string{"CI_JWT_RUNC": selfAsRunc}, wantErr: errSelf},
		{name: "runc on PATH", env: map[string]string{"PATH": filepath.Dir(runc)}, want: runc},
		{name: "this wrapper as runc on PATH is passed over", env: map[string]string{"PATH": filepath.Dir(selfAsRunc) + ":" + filepath.Dir(runc)}, want: runc},
		{name: "a runc that cannot be executed is passed over", env: map[string]string{"PATH": filepath.Dir(notExecutable) + ":" + filepath.Dir(runc)}, want: runc},
		{name: "a directory named runc is passed over", env: map[string]string{"PATH": dir + ":" + filepath.Dir(runc)}, want: runc},
		{name: "only this wrapper on PATH", env: map[string]string{"PATH": filepath.Dir(selfAsRunc)}, wantErr: errNoRunc},
		{name: "nothing", env: map[string]string{}, wantErr: errNoRunc},
	}
	if err := os.Mkdir(filepath.Join(dir, "runc"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := realRuntime(func(k string) string { return tt.env[k] }, self)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Fatalf("realRuntime = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestRunWhenCiJwtRuncIsThisWrapperThenRefused(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	code, out := runWrapper(t, []string{"CI_JWT_RUNC=" + self}, "create", "c1")
	if want := "ci-jwt-runtime: CI_JWT_RUNC=" + self + " is this wrapper itself\n"; code != 1 || out != want {
		t.Fatalf("exit %d: %q, want 1: %q", code, out, want)
	}
}
