package wrapper

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/cijwt/ci-jwt/runtime/internal/agent/agenttest"
	"github.com/cijwt/ci-jwt/runtime/internal/bundle"
	"github.com/cijwt/ci-jwt/runtime/internal/marker"
)

// TestMain makes this test binary the wrapper when a test re-executes it (runWrapper): the flow
// ends in syscall.Exec and os.Exit, which only a process of its own can go through.
func TestMain(m *testing.M) {
	if os.Getenv("CI_JWT_RUNTIME_UNDER_TEST") == "1" {
		os.Exit(Run(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// runWrapper runs the wrapper with args and env added to this process's environment, and returns
// its exit code and combined output.
func runWrapper(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "CI_JWT_RUNTIME_UNDER_TEST=1"), env...)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// fakeRunc writes a script standing in for runc that records its arguments and exits with code;
// it returns the script and the file of recorded argument lines.
func fakeRunc(t *testing.T, dir string, code int) (string, string) {
	t.Helper()
	record := filepath.Join(dir, "runc-args")
	script := filepath.Join(dir, "runc")
	content := "#!/bin/sh\necho \"$@\" >> " + record + "\nexit " + strconv.Itoa(code) + "\n"
	if err := os.WriteFile(script, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
	return script, record
}

// ranRunc is what the fake runc recorded, "" when it never ran.
func ranRunc(t *testing.T, record string) string {
	t.Helper()
	got, err := os.ReadFile(record)
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(got))
}

// makeBundle writes a bundle whose config.json has annotations and returns its directory.
func makeBundle(t *testing.T, dir string, annotations map[string]string) string {
	t.Helper()
	b := filepath.Join(dir, "bundle")
	if err := os.MkdirAll(b, 0o700); err != nil {
		t.Fatal(err)
	}
	spec, err := json.Marshal(map[string]any{"ociVersion": "1.0.2", "annotations": annotations})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b, "config.json"), spec, 0o600); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCreate(t *testing.T) {
	t.Run("annotated: the agent is asked, then runc runs with the same arguments", func(t *testing.T) {
		dir := t.TempDir()
		a := agenttest.Start(t, dir, http.StatusCreated)
		runc, record := fakeRunc(t, dir, 0)
		b := makeBundle(t, dir, map[string]string{bundle.MetadataAnnotation: `{"team":"main"}`, bundle.ProfileAnnotation: "vault"})

		code, out := runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + a.Socket, "CI_JWT_RUNC=" + runc}, "create", "--bundle", b, "c1")

		if code != 0 {
			t.Fatalf("exit %d: %s", code, out)
		}
		reqs := a.Requests()
		if len(reqs) != 1 || reqs[0].Method != http.MethodPost || reqs[0].Path != "/v1/containers" {
			t.Fatalf("agent requests = %+v", reqs)
		}
		want := map[string]any{"id": "c1", "bundle": b, "profile": "vault", "metadata": map[string]any{"team": "main"}}
		if !reflect.DeepEqual(reqs[0].Body, want) {
			t.Fatalf("body = %v, want %v", reqs[0].Body, want)
		}
		if got := ranRunc(t, record); got != "create --bundle "+b+" c1" {
			t.Fatalf("runc args = %q", got)
		}
	})

	t.Run("a relative bundle reaches the agent as an absolute path", func(t *testing.T) {
		dir := t.TempDir()
		a := agenttest.Start(t, dir, http.StatusCreated)
		runc, record := fakeRunc(t, dir, 0)
		b := makeBundle(t, dir, map[string]string{bundle.MetadataAnnotation: `{"team":"main"}`})

		cmd := exec.Command(os.Args[0], "create", "c2")
		cmd.Dir = b
		cmd.Env = append(os.Environ(), "CI_JWT_RUNTIME_UNDER_TEST=1", "CI_JWT_AGENT_SOCKET="+a.Socket, "CI_JWT_RUNC="+runc)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}

		if reqs := a.Requests(); len(reqs) != 1 || reqs[0].Body["bundle"] != b {
			t.Fatalf("agent requests = %+v, want the bundle %s", reqs, b)
		}
		if got := ranRunc(t, record); got != "create c2" {
			t.Fatalf("runc args = %q", got)
		}
	})

	t.Run("not annotated: straight to runc without the agent", func(t *testing.T) {
		dir := t.TempDir()
		a := agenttest.Start(t, dir, http.StatusCreated)
		runc, record := fakeRunc(t, dir, 0)
		b := makeBundle(t, dir, map[string]string{"other": "x"})

		code, out := runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + a.Socket, "CI_JWT_RUNC=" + runc}, "create", "-b", b, "c3")

		if reqs := a.Requests(); code != 0 || len(reqs) != 0 {
			t.Fatalf("exit %d, requests %+v: %s", code, reqs, out)
		}
		if got := ranRunc(t, record); got != "create -b "+b+" c3" {
			t.Fatalf("runc args = %q", got)
		}
	})

	t.Run("no readable bundle: runc has the say", func(t *testing.T) {
		dir := t.TempDir()
		a := agenttest.Start(t, dir, http.StatusCreated)
		runc, record := fakeRunc(t, dir, 0)
		missing := filepath.Join(dir, "no-bundle")

		code, out := runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + a.Socket, "CI_JWT_RUNC=" + runc}, "create", "--bundle", missing, "c4")

		if reqs := a.Requests(); code != 0 || len(reqs) != 0 {
			t.Fatalf("exit %d, requests %+v: %s", code, reqs, out)
		}
		if got := ranRunc(t, record); got != "create --bundle "+missing+" c4" {
			t.Fatalf("runc args = %q", got)
		}
	})

	t.Run("config.json too large to read: fail closed with one line, unless fail-open", func(t *testing.T) {
		dir := t.TempDir()
		a := agenttest.Start(t, dir, http.StatusCreated)
		runc, record := fakeRunc(t, dir, 0)
		b := makeBundle(t, dir, map[string]string{bundle.MetadataAnnotation: `{"team":"main"}`})
		big := `{"annotations":{"org.cijwt.metadata":"{}"},"x":"` + strings.Repeat(" ", 4<<20) + `"}`
		if err := os.WriteFile(filepath.Join(b, "config.json"), []byte(big), 0o600); err != nil {
			t.Fatal(err)
		}

		code, out := runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + a.Socket, "CI_JWT_RUNC=" + runc}, "create", "--bundle", b, "c10")
		if code != 1 || ranRunc(t, record) != "" || strings.Count(out, "\n") != 1 ||
			!strings.Contains(out, "cannot tell whether container c10 is ci-jwt's") || !strings.Contains(out, "larger than 4 MiB") {
			t.Fatalf("exit %d, runc %q: %q", code, ranRunc(t, record), out)
		}

		code, out = runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + a.Socket, "CI_JWT_RUNC=" + runc, "CI_JWT_FAIL_OPEN=true"},
			"create", "--bundle", b, "c10")
		if code != 0 || ranRunc(t, record) != "create --bundle "+b+" c10" || !strings.Contains(out, "WITHOUT a token") {
			t.Fatalf("fail-open: exit %d, runc %q: %q", code, ranRunc(t, record), out)
		}
		if reqs := a.Requests(); len(reqs) != 0 {
			t.Fatalf("the agent was asked: %+v", reqs)
		}
	})

	t.Run("agent refuses: one line with its code, in runc's log too, and runc never runs", func(t *testing.T) {
		dir := t.TempDir()
		a := agenttest.Start(t, dir, http.StatusBadRequest)
		runc, record := fakeRunc(t, dir, 0)
		b := makeBundle(t, dir, map[string]string{bundle.MetadataAnnotation: `{"tema":"main"}`})
		log := filepath.Join(dir, "log.json")

		code, out := runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + a.Socket, "CI_JWT_RUNC=" + runc},
			"--log", log, "--log-format", "json", "create", "--bundle", b, "c5")

		if want := "ci-jwt-runtime: agent refused container c5: CJ101 metadata key 'tema' is not a build metadata key\n"; code != 1 || out != want {
			t.Fatalf("exit %d: %q, want 1: %q", code, out, want)
		}
		if got := ranRunc(t, record); got != "" {
			t.Fatalf("runc ran although the agent refused: %q", got)
		}
		logged, err := os.ReadFile(log)
		if err != nil {
			t.Fatal(err)
		}
		var entry map[string]string
		if err := json.Unmarshal(logged, &entry); err != nil || entry["level"] != "error" || !strings.Contains(entry["msg"], "CJ101") {
			t.Fatalf("runc log = %q (%v)", logged, err)
		}
	})

	t.Run("agent unreachable: fail closed naming the socket, unless fail-open", func(t *testing.T) {
		dir := t.TempDir()
		runc, record := fakeRunc(t, dir, 0)
		b := makeBundle(t, dir, map[string]string{bundle.MetadataAnnotation: `{"team":"main"}`})
		socket := filepath.Join(dir, "missing.sock")

		code, out := runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + socket, "CI_JWT_RUNC=" + runc}, "create", "--bundle", b, "c6")
		if code != 1 || !strings.Contains(out, "cannot reach the ci-jwt agent at "+socket) || !strings.HasSuffix(out, "; container c6 not created\n") {
			t.Fatalf("exit %d: %q", code, out)
		}
		if got := ranRunc(t, record); got != "" {
			t.Fatalf("runc ran although the agent is unreachable: %q", got)
		}

		code, out = runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + socket, "CI_JWT_RUNC=" + runc, "CI_JWT_FAIL_OPEN=true"},
			"create", "--bundle", b, "c6")
		if code != 0 || !strings.Contains(out, "starting container c6 WITHOUT a token (CI_JWT_FAIL_OPEN)") {
			t.Fatalf("fail-open: exit %d: %q", code, out)
		}
		if got := ranRunc(t, record); got != "create --bundle "+b+" c6" {
			t.Fatalf("fail-open: runc args = %q", got)
		}
	})

	t.Run("fail-open does not start a container the agent refuses", func(t *testing.T) {
		dir := t.TempDir()
		a := agenttest.Start(t, dir, http.StatusBadRequest)
		runc, record := fakeRunc(t, dir, 0)
		b := makeBundle(t, dir, map[string]string{bundle.MetadataAnnotation: `{"tema":"main"}`})

		code, out := runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + a.Socket, "CI_JWT_RUNC=" + runc, "CI_JWT_FAIL_OPEN=true"}, "create", "--bundle", b, "c7")

		if code != 1 || !strings.Contains(out, "agent refused container c7") || ranRunc(t, record) != "" {
			t.Fatalf("exit %d: %q", code, out)
		}
	})
}

// TestCreateWhateverTheSpelling has the agent asked for the right bundle and id in each of runc's
// spellings of its flags: a missed -bundle would send the agent the current directory instead.
func TestCreateWhateverTheSpelling(t *testing.T) {
	for _, args := range []string{
		"create -bundle {b} c1",
		"create -bundle={b} c1",
		"create --bundle={b} c1",
		"create -b={b} c1",
		"create --b {b} c1",
		"-root {dir}/root -log {dir}/log -log-format json create -bundle {b} c1",
		"--root={dir}/root --systemd-cgroup create c1 --pid-file {dir}/pid -bundle {b}",
	} {
		t.Run(args, func(t *testing.T) {
			dir := t.TempDir()
			a := agenttest.Start(t, dir, http.StatusCreated)
			runc, record := fakeRunc(t, dir, 0)
			b := makeBundle(t, dir, map[string]string{bundle.MetadataAnnotation: `{"team":"main"}`})
			line := strings.NewReplacer("{b}", b, "{dir}", dir).Replace(args)

			code, out := runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + a.Socket, "CI_JWT_RUNC=" + runc}, strings.Fields(line)...)

			if code != 0 {
				t.Fatalf("exit %d: %s", code, out)
			}
			if reqs := a.Requests(); len(reqs) != 1 || reqs[0].Body["bundle"] != b || reqs[0].Body["id"] != "c1" {
				t.Fatalf("agent requests = %+v, want bundle %s and id c1", reqs, b)
			}
			if got := ranRunc(t, record); got != line {
				t.Fatalf("runc args = %q, want %q", got, line)
			}
		})
	}
}

// markedAndStillThere gives container id a marker and the state runc keeps of a container that
// is still there, in a runc root under dir; it returns the root and the marker directory.
func markedAndStillThere(t *testing.T, dir, socket, id string) (string, marker.Dir) {
	t.Helper()
	root := filepath.Join(dir, "runc-root")
	if err := os.MkdirAll(filepath.Join(root, id), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, id, "state.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	marks := marker.Beside(socket)
	if err := marks.Mark(root, id); err != nil {
		t.Fatal(err)
	}
	return root, marks
}

func TestDelete(t *testing.T) {
	t.Run("a delivered container: the agent is told, the marker removed and runc's exit code kept", func(t *testing.T) {
		dir := t.TempDir()
		a := agenttest.Start(t, dir, http.StatusNoContent)
		runc, record := fakeRunc(t, dir, 3)
		marks := marker.Beside(a.Socket)
		if err := marks.Mark("", "c8"); err != nil {
			t.Fatal(err)
		}

		code, out := runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + a.Socket, "CI_JWT_RUNC=" + runc}, "delete", "--force", "c8")

		if code != 3 {
			t.Fatalf("exit %d, want runc's 3: %s", code, out)
		}
		if got := ranRunc(t, record); got != "delete --force c8" {
			t.Fatalf("runc args = %q", got)
		}
		// One request, before runc ran: forget it if it stopped, which the agent did; then runc replaced the wrapper.
		if reqs := a.Requests(); len(reqs) != 1 || reqs[0].Method != http.MethodDelete || reqs[0].Path != "/v1/containers/c8" ||
			reqs[0].Query != "if=stopped" {
			t.Fatalf("agent requests = %+v", reqs)
		}
		if marks.Marked("", "c8") {
			t.Fatal("the marker outlived the delete")
		}
	})

	t.Run("a container still running when the agent looked: the agent is told again once runc deleted it", func(t *testing.T) {
		dir := t.TempDir()
		a := agenttest.Start(t, dir, http.StatusConflict)
		a.Answer(http.StatusConflict, `{"code":"CJ515","error":"container c8 still runs (its init process is alive)"}`)
		runc, record := fakeRunc(t, dir, 0)
		marks := marker.Beside(a.Socket)
		if err := marks.Mark("", "c8"); err != nil {
			t.Fatal(err)
		}

		code, out := runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + a.Socket, "CI_JWT_RUNC=" + runc}, "delete", "--force", "c8")

		if code != 0 || ranRunc(t, record) != "delete --force c8" {
			t.Fatalf("exit %d, runc %q: %s", code, ranRunc(t, record), out)
		}
		reqs := a.Requests()
		if len(reqs) != 2 || reqs[0].Query != "if=stopped" || reqs[1].Method != http.MethodDelete || reqs[1].Path != "/v1/containers/c8" ||
			reqs[1].Query != "" {
			t.Fatalf("agent requests = %+v, want the conditional delete, then the plain one", reqs)
		}
		// The stand-in answers 409 to the second too: the wrapper warns, and the agent's own clean-up is left.
		if !strings.Contains(out, "was not told that c8 is deleted") || marks.Marked("", "c8") {
			t.Fatalf("marked %v: %q", marks.Marked("", "c8"), out)
		}
	})

	t.Run("a container without a marker: straight to runc, the agent never asked", func(t *testing.T) {
		dir := t.TempDir()
		a := agenttest.Start(t, dir, http.StatusNoContent)
		runc, record := fakeRunc(t, dir, 0)
		// Marked under another root (another containerd namespace): not this one.
		if err := marker.Beside(a.Socket).Mark("/run/containerd/runc/other", "c8"); err != nil {
			t.Fatal(err)
		}

		code, out := runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + a.Socket, "CI_JWT_RUNC=" + runc},
			"--root", "/run/containerd/runc/default", "delete", "c8")

		if code != 0 || ranRunc(t, record) != "--root /run/containerd/runc/default delete c8" || len(a.Requests()) != 0 {
			t.Fatalf("exit %d, runc %q, agent requests %+v: %s", code, ranRunc(t, record), a.Requests(), out)
		}
	})

	t.Run("runc fails and the container still runs: it keeps its tokens and its marker", func(t *testing.T) {
		dir := t.TempDir()
		a := agenttest.Start(t, dir, http.StatusConflict)
		a.Answer(http.StatusConflict, `{"code":"CJ515","error":"container c8 still runs (its init process is alive)"}`)
		runc, _ := fakeRunc(t, dir, 1)
		root, marks := markedAndStillThere(t, dir, a.Socket, "c8")

		code, out := runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + a.Socket, "CI_JWT_RUNC=" + runc}, "--root", root, "delete", "c8")

		if reqs := a.Requests(); code != 1 || len(reqs) != 1 || reqs[0].Query != "if=stopped" || !marks.Marked(root, "c8") {
			t.Fatalf("exit %d, agent requests %+v, marked %v: %s", code, reqs, marks.Marked(root, "c8"), out)
		}
	})

	t.Run("runc fails, the container is still there, but stopped: the agent has forgotten it, the marker goes", func(t *testing.T) {
		dir := t.TempDir()
		a := agenttest.Start(t, dir, http.StatusNoContent)
		runc, _ := fakeRunc(t, dir, 1)
		root, marks := markedAndStillThere(t, dir, a.Socket, "c8")

		code, out := runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + a.Socket, "CI_JWT_RUNC=" + runc}, "--root", root, "delete", "c8")

		if code != 1 || len(a.Requests()) != 1 || marks.Marked(root, "c8") {
			t.Fatalf("exit %d, agent requests %+v, marked %v: %s", code, a.Requests(), marks.Marked(root, "c8"), out)
		}
	})

	t.Run("agent unreachable: a warning in runc's log and runc's exit code", func(t *testing.T) {
		dir := t.TempDir()
		runc, _ := fakeRunc(t, dir, 0)
		socket := filepath.Join(dir, "missing.sock")
		log := filepath.Join(dir, "log")
		if err := marker.Beside(socket).Mark("", "c9"); err != nil {
			t.Fatal(err)
		}

		code, out := runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + socket, "CI_JWT_RUNC=" + runc}, "--log", log, "delete", "c9")

		if code != 0 || !strings.Contains(out, "agent at "+socket+" was not told that c9 is deleted") {
			t.Fatalf("exit %d: %q", code, out)
		}
		if logged, _ := os.ReadFile(log); !strings.HasPrefix(string(logged), "level=warning msg=") {
			t.Fatalf("runc log = %q", logged)
		}
		if marker.Beside(socket).Marked("", "c9") {
			t.Fatal("the marker of a deleted container is left: the agent cleans up after it by itself")
		}
	})
}

// TestMarkers has the wrapper mark exactly the containers the agent may have delivered to.
func TestMarkers(t *testing.T) {
	annotated := map[string]string{bundle.MetadataAnnotation: `{"team":"main"}`}
	tests := []struct {
		name        string
		annotations map[string]string
		status      int
		body        string
		wantMarked  bool
	}{
		{name: "delivered: marked", annotations: annotated, status: http.StatusCreated, wantMarked: true},
		{name: "refused: not marked", annotations: annotated, status: http.StatusBadRequest},
		{name: "not managed: not marked", annotations: annotated, status: http.StatusOK, body: `{"id":"c1","managed":false,"reason":"x"}`},
		{name: "no annotation: not marked", annotations: map[string]string{"other": "x"}, status: http.StatusCreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			a := agenttest.Start(t, dir, tt.status)
			a.Answer(tt.status, tt.body)
			runc, _ := fakeRunc(t, dir, 0)
			b := makeBundle(t, dir, tt.annotations)

			runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + a.Socket, "CI_JWT_RUNC=" + runc}, "--root", "/r", "create", "--bundle", b, "c1")

			if got := marker.Beside(a.Socket).Marked("/r", "c1"); got != tt.wantMarked {
				t.Fatalf("marked = %v, want %v", got, tt.wantMarked)
			}
		})
	}

	t.Run("agent unreachable: the marker stays, as the agent may have delivered", func(t *testing.T) {
		dir := t.TempDir()
		runc, _ := fakeRunc(t, dir, 0)
		b := makeBundle(t, dir, annotated)
		socket := filepath.Join(dir, "missing.sock")

		runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + socket, "CI_JWT_RUNC=" + runc, "CI_JWT_FAIL_OPEN=true"}, "create", "--bundle", b, "c1")

		if !marker.Beside(socket).Marked("", "c1") {
			t.Fatal("no marker after an unreachable agent")
		}
	})

	t.Run("a marker that cannot be written: fail closed before the agent is asked, unless fail-open", func(t *testing.T) {
		dir := t.TempDir()
		a := agenttest.Start(t, dir, http.StatusCreated)
		runc, record := fakeRunc(t, dir, 0)
		b := makeBundle(t, dir, annotated)
		// A file where the marker directory would be.
		if err := os.WriteFile(string(marker.Beside(a.Socket)), nil, 0o600); err != nil {
			t.Fatal(err)
		}

		code, out := runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + a.Socket, "CI_JWT_RUNC=" + runc}, "create", "--bundle", b, "c1")
		if code != 1 || ranRunc(t, record) != "" || len(a.Requests()) != 0 || strings.Count(out, "\n") != 1 ||
			!strings.Contains(out, "cannot write the marker of container c1") || !strings.HasSuffix(out, "container not created\n") {
			t.Fatalf("exit %d, runc %q, requests %+v: %q", code, ranRunc(t, record), a.Requests(), out)
		}

		code, out = runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + a.Socket, "CI_JWT_RUNC=" + runc, "CI_JWT_FAIL_OPEN=true"},
			"create", "--bundle", b, "c1")
		if code != 0 || ranRunc(t, record) == "" || len(a.Requests()) != 0 || !strings.Contains(out, "WITHOUT a token") {
			t.Fatalf("fail-open: exit %d, runc %q, requests %+v: %q", code, ranRunc(t, record), a.Requests(), out)
		}
	})
}

func TestOtherVerbsGoStraightToRunc(t *testing.T) {
	for _, args := range [][]string{
		{"start", "c1"},
		{"--root", "/r", "kill", "c1", "KILL"},
		{"state", "c1"},
		{"--version"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			dir := t.TempDir()
			a := agenttest.Start(t, dir, http.StatusCreated)
			runc, record := fakeRunc(t, dir, 0)

			code, out := runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + a.Socket, "CI_JWT_RUNC=" + runc}, args...)

			if reqs := a.Requests(); code != 0 || len(reqs) != 0 {
				t.Fatalf("exit %d, requests %+v: %s", code, reqs, out)
			}
			if got := ranRunc(t, record); got != strings.Join(args, " ") {
				t.Fatalf("runc args = %q", got)
			}
		})
	}
}
