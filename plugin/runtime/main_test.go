package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseWhenContainerdCallsCreateThenBundleIdAndLogAreFound(t *testing.T) {
	inv := parse([]string{"--root", "/run/containerd/runc/default", "--log", "/b/log.json", "--log-format", "json",
		"create", "--bundle", "/b", "--pid-file", "/b/init.pid", "--console-socket", "/tmp/c.sock", "ctr-1"})
	if inv.verb != "create" || inv.bundle != "/b" || inv.id != "ctr-1" || inv.logFile != "/b/log.json" || inv.logFormat != "json" {
		t.Fatalf("parse = %+v", inv)
	}
}

func TestParseWhenFlagsUseEqualsAndShortFormsThenTheSame(t *testing.T) {
	inv := parse([]string{"--root=/r", "create", "-b", "/b2", "--no-pivot", "id2"})
	if inv.verb != "create" || inv.bundle != "/b2" || inv.id != "id2" {
		t.Fatalf("parse = %+v", inv)
	}
	inv = parse([]string{"create", "--bundle=/b3", "id3"})
	if inv.bundle != "/b3" || inv.id != "id3" {
		t.Fatalf("parse = %+v", inv)
	}
}

func TestParseWhenCreateHasNoBundleThenTheCurrentDirectory(t *testing.T) {
	if inv := parse([]string{"create", "id"}); inv.bundle != "." {
		t.Fatalf("bundle = %q", inv.bundle)
	}
}

func TestParseWhenDeleteThenTheIdAndNoBundle(t *testing.T) {
	inv := parse([]string{"--root", "/r", "delete", "--force", "ctr-9"})
	if inv.verb != "delete" || inv.id != "ctr-9" || inv.bundle != "" {
		t.Fatalf("parse = %+v", inv)
	}
}

// A stand-in for the agent on a Unix socket (our own component, not a system we claim), recording
// what it was asked; the real agent and containerd are exercised by the Java integration tests.
type agentStub struct {
	requests []string
	bodies   []map[string]any
	status   int
}

func startAgent(t *testing.T, dir string, a *agentStub) string {
	socket := filepath.Join(dir, "agent.sock")
	l, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.requests = append(a.requests, r.Method+" "+r.URL.Path)
		var body map[string]any
		data, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(data, &body)
		a.bodies = append(a.bodies, body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		if a.status >= 400 {
			io.WriteString(w, `{"code":"CJ101","error":"metadata key 'tema' is not a build metadata key"}`)
		} else {
			io.WriteString(w, `{"id":"x","tokens":[]}`)
		}
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return socket
}

// fakeRunc writes a script standing in for runc that records its arguments.
func fakeRunc(t *testing.T, dir string) (string, string) {
	record := filepath.Join(dir, "runc-args")
	script := filepath.Join(dir, "runc")
	os.WriteFile(script, []byte("#!/bin/sh\necho \"$@\" >> "+record+"\n"), 0o755)
	return script, record
}

func bundle(t *testing.T, dir string, annotations map[string]string) string {
	b := filepath.Join(dir, "bundle")
	os.MkdirAll(b, 0o700)
	spec, _ := json.Marshal(map[string]any{"ociVersion": "1.0.2", "annotations": annotations})
	os.WriteFile(filepath.Join(b, "config.json"), spec, 0o600)
	return b
}

// runWrapper builds nothing: it re-executes this test binary as the wrapper (see TestMain).
func runWrapper(t *testing.T, env []string, args ...string) (int, string) {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "CI_JWT_RUNTIME_UNDER_TEST=1"), env...)
	out, err := cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); ok {
		return exit.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

func TestMain(m *testing.M) {
	if os.Getenv("CI_JWT_RUNTIME_UNDER_TEST") == "1" {
		os.Exit(run(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func TestCreateWhenAnnotatedThenAgentIsAskedBeforeRuncRunsWithTheSameArguments(t *testing.T) {
	dir := t.TempDir()
	a := &agentStub{status: http.StatusCreated}
	socket := startAgent(t, dir, a)
	runc, record := fakeRunc(t, dir)
	b := bundle(t, dir, map[string]string{metadataAnnotation: `{"team":"main"}`, profileAnnotation: "vault"})

	code, out := runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + socket, "CI_JWT_RUNC=" + runc}, "create", "--bundle", b, "c1")

	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	if len(a.requests) != 1 || a.requests[0] != "POST /v1/containers" {
		t.Fatalf("agent requests = %v", a.requests)
	}
	if a.bodies[0]["id"] != "c1" || a.bodies[0]["bundle"] != b || a.bodies[0]["profile"] != "vault" {
		t.Fatalf("body = %v", a.bodies[0])
	}
	if md, _ := a.bodies[0]["metadata"].(map[string]any); md["team"] != "main" {
		t.Fatalf("metadata = %v", a.bodies[0]["metadata"])
	}
	if got, _ := os.ReadFile(record); strings.TrimSpace(string(got)) != "create --bundle "+b+" c1" {
		t.Fatalf("runc args = %q", got)
	}
}

func TestCreateWhenNotAnnotatedThenStraightToRuncWithoutTheAgent(t *testing.T) {
	dir := t.TempDir()
	a := &agentStub{status: http.StatusCreated}
	socket := startAgent(t, dir, a)
	runc, record := fakeRunc(t, dir)
	b := bundle(t, dir, map[string]string{"other": "x"})

	code, out := runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + socket, "CI_JWT_RUNC=" + runc}, "create", "-b", b, "c2")

	if code != 0 || len(a.requests) != 0 {
		t.Fatalf("exit %d, requests %v: %s", code, a.requests, out)
	}
	if got, _ := os.ReadFile(record); !strings.Contains(string(got), "c2") {
		t.Fatalf("runc not run: %q", got)
	}
}

func TestCreateWhenAgentRefusesThenOneLineWithItsCodeAndRuncNeverRuns(t *testing.T) {
	dir := t.TempDir()
	a := &agentStub{status: http.StatusBadRequest}
	socket := startAgent(t, dir, a)
	runc, record := fakeRunc(t, dir)
	b := bundle(t, dir, map[string]string{metadataAnnotation: `{"tema":"main"}`})
	log := filepath.Join(dir, "log.json")

	code, out := runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + socket, "CI_JWT_RUNC=" + runc},
		"--log", log, "--log-format", "json", "create", "--bundle", b, "c3")

	if code != 1 || !strings.Contains(out, "agent refused container c3: CJ101 metadata key 'tema'") || strings.Count(out, "\n") != 1 {
		t.Fatalf("exit %d: %q", code, out)
	}
	if _, err := os.Stat(record); err == nil {
		t.Fatal("runc ran although the agent refused")
	}
	if logged, _ := os.ReadFile(log); !strings.Contains(string(logged), `"level":"error"`) {
		t.Fatalf("runc log = %q", logged)
	}
}

func TestCreateWhenAgentUnreachableThenFailClosedNamingTheSocketUnlessFailOpen(t *testing.T) {
	dir := t.TempDir()
	runc, record := fakeRunc(t, dir)
	b := bundle(t, dir, map[string]string{metadataAnnotation: `{"team":"main"}`})
	socket := filepath.Join(dir, "missing.sock")

	code, out := runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + socket, "CI_JWT_RUNC=" + runc}, "create", "--bundle", b, "c4")
	if code != 1 || !strings.Contains(out, "cannot reach the ci-jwt agent at "+socket) {
		t.Fatalf("exit %d: %q", code, out)
	}
	if _, err := os.Stat(record); err == nil {
		t.Fatal("runc ran although the agent is unreachable")
	}

	code, out = runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + socket, "CI_JWT_RUNC=" + runc, "CI_JWT_FAIL_OPEN=true"},
		"create", "--bundle", b, "c4")
	if code != 0 || !strings.Contains(out, "WITHOUT a token") {
		t.Fatalf("fail-open: exit %d: %q", code, out)
	}
}

func TestDeleteWhenRuncDeletedThenAgentIsToldAndRuncsExitCodeKept(t *testing.T) {
	dir := t.TempDir()
	a := &agentStub{status: http.StatusNoContent}
	socket := startAgent(t, dir, a)
	runc := filepath.Join(dir, "runc")
	os.WriteFile(runc, []byte("#!/bin/sh\nexit 3\n"), 0o755)

	code, _ := runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + socket, "CI_JWT_RUNC=" + runc}, "delete", "--force", "c5")

	if code != 3 {
		t.Fatalf("exit %d, want runc's 3", code)
	}
	if len(a.requests) != 1 || a.requests[0] != "DELETE /v1/containers/c5" {
		t.Fatalf("agent requests = %v", a.requests)
	}
}

func TestRealRuntimeWhenCiJwtRuncIsThisWrapperThenRefused(t *testing.T) {
	self, _ := os.Executable()
	t.Setenv("CI_JWT_RUNC", self)
	if _, err := realRuntime(); err == nil || !strings.Contains(err.Error(), "this wrapper itself") {
		t.Fatalf("err = %v", err)
	}
}
