//go:build cgo && linux

package fastpath

import (
	"encoding/json"
	"math/rand"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cijwt/ci-jwt/runtime/internal/agent/agenttest"
	"github.com/cijwt/ci-jwt/runtime/internal/marker"
	"github.com/cijwt/ci-jwt/runtime/internal/runcargs"
)

// TestParseReadsAsRuncargs has the C reading and runcargs.Parse read the same 50,000 command lines,
// drawn at random (fixed seed) from runc's verbs, flags in all their spellings, values and ids.
func TestParseReadsAsRuncargs(t *testing.T) {
	words := []string{
		"--root", "-root", "--root=/r", "-root=/x/", "--log", "l.json", "--log-format=json", "--criu", "--rootless", "true",
		"--debug", "--systemd-cgroup", "--", "-", "-=", "--=v", "---root", "",
		"create", "run", "exec", "delete", "start", "state", "kill", "token",
		"--bundle", "-bundle=/b", "-b", "--b=b2", "/b3", "--pid-file", "p.pid", "--console-socket=c.sock",
		"--process", "-p", "--env", "A=B", "--cwd=/", "-t", "--tty", "-f", "--force", "--no-pivot",
		"c1", "c2", "sh", "-c", "echo", "KILL",
	}
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 50000; i++ {
		args := make([]string, rng.Intn(9))
		for k := range args {
			args[k] = words[rng.Intn(len(words))]
		}
		want := runcargs.Parse(args)
		got := Parse(args)
		bundleWanted := want.Verb == "create" || want.Verb == "run"
		if got.Verb != want.Verb || got.ID != want.ID || got.Root != want.Root || (bundleWanted && got.Bundle != want.Bundle) {
			t.Fatalf("%q: C read %+v, runcargs %+v", args, got, want)
		}
	}
}

// TestMarkerNameIsThatOfPackageMarker hashes 10,000 random keys (any byte but the zero a C string
// cannot hold) in C and in package marker.
func TestMarkerNameIsThatOfPackageMarker(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	str := func() string {
		b := make([]byte, rng.Intn(80))
		for i := range b {
			b[i] = byte(1 + rng.Intn(255))
		}
		return string(b)
	}
	for i := 0; i < 10000; i++ {
		root, id := str(), str()
		if got, want := MarkerName(root, id), marker.Name(root, id); got != want {
			t.Fatalf("MarkerName(%q, %q) = %s, marker.Name %s", root, id, got, want)
		}
	}
}

// decideFixture is a directory with a fake runc, a program standing for the wrapper itself, an
// agent socket path (nothing listens: Decide never asks) and bundles.
type decideFixture struct {
	dir, runc, self, socket string
}

func newDecideFixture(t *testing.T) decideFixture {
	t.Helper()
	dir := t.TempDir()
	f := decideFixture{dir: dir, runc: filepath.Join(dir, "bin", "runc"), self: filepath.Join(dir, "wrapper", "ci-jwt-runtime"),
		socket: filepath.Join(dir, "agent", "agent.sock")}
	for _, p := range []string{f.runc, f.self} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// bundle writes a bundle whose config.json is content ("" for none) and returns its directory.
func (f decideFixture) bundle(t *testing.T, name, content string) string {
	t.Helper()
	b := filepath.Join(f.dir, name)
	if err := os.MkdirAll(b, 0o755); err != nil {
		t.Fatal(err)
	}
	if content != "" {
		if err := os.WriteFile(filepath.Join(b, "config.json"), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func (f decideFixture) env(extra ...string) []string {
	return append([]string{"CI_JWT_RUNC=" + f.runc, "CI_JWT_AGENT_SOCKET=" + f.socket}, extra...)
}

func TestDecide(t *testing.T) {
	f := newDecideFixture(t)
	plain := f.bundle(t, "plain", `{"ociVersion":"1.0.2","process":{"args":["true"]},"annotations":{"io.kubernetes.cri.container-type":"container"}}`)
	annotated := f.bundle(t, "annotated", `{"ociVersion":"1.0.2","annotations":{"org.cijwt.metadata":"{\"team\":\"main\"}"}}`)
	escaped := f.bundle(t, "escaped", `{"ociVersion":"1.0.2","annotations":{"org\u002ecijwt.metadata":"{}"}}`)
	profileOnly := f.bundle(t, "profile", `{"annotations":{"org.cijwt.profile":"vault"}}`)
	ampersand := f.bundle(t, "ampersand", `{"process":{"args":["sh","-c","a \u0026\u0026 b"]}}`)
	none := f.bundle(t, "none", "")
	atLimit := f.bundle(t, "at-limit", `{"a":"`+strings.Repeat("x", 4<<20-8)+`"}`)
	overLimit := f.bundle(t, "over-limit", `{"a":"`+strings.Repeat("x", 4<<20-7)+`"}`)
	dirConfig := f.bundle(t, "dir-config", "")
	if err := os.Mkdir(filepath.Join(dirConfig, "config.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	marks := marker.Beside(f.socket)
	root := "/run/containerd/runc/k8s.io"
	if err := marks.Mark(root, "marked"); err != nil {
		t.Fatal(err)
	}
	// A file under the name of "collides" that holds another container's key (as a hash collision would).
	if err := os.WriteFile(filepath.Join(string(marks), marker.Name(root, "collides")), []byte(`"/other"`+"\n"+`"x"`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	linkToSelf := filepath.Join(f.dir, "self-link")
	if err := os.Symlink(f.self, linkToSelf); err != nil {
		t.Fatal(err)
	}
	pathWithSelf := filepath.Join(f.dir, "path-self")
	if err := os.MkdirAll(pathWithSelf, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(f.self, filepath.Join(pathWithSelf, "runc")); err != nil {
		t.Fatal(err)
	}

	// The wanted outcomes besides runc's path: the Go flow, or asking the agent first.
	const deliver, forget = "deliver", "forget"
	for _, c := range []struct {
		name string
		env  []string
		args []string
		want string // runc's path (executed at once), deliver, forget, or "" for: left to the Go flow
	}{
		{"start", f.env(), []string{"--root", root, "start", "c1"}, f.runc},
		{"state", f.env(), []string{"state", "c1"}, f.runc},
		{"no verb", f.env(), []string{"--version"}, f.runc},
		{"no arguments", f.env(), nil, f.runc},
		{"the wrapper's token command", f.env(), []string{"token", "--audience", "x"}, ""},

		{"create of a bundle without the annotation", f.env(), []string{"--root", root, "create", "--bundle", plain, "c1"}, f.runc},
		{"run of a bundle without the annotation", f.env(), []string{"run", "-b=" + plain, "c1"}, f.runc},
		{"create of an annotated bundle", f.env(), []string{"create", "--bundle", annotated, "c1"}, deliver},
		{"create of a bundle whose annotation is spelt with an escape", f.env(), []string{"create", "-b", escaped, "c1"}, deliver},
		{"create of a bundle with only the profile annotation", f.env(), []string{"create", "-b", profileOnly, "c1"}, deliver},
		{"create of a bundle with any \\u escape", f.env(), []string{"create", "-b", ampersand, "c1"}, deliver},
		{"create of a bundle without config.json", f.env(), []string{"create", "-b", none, "c1"}, ""},
		{"create whose config.json is a directory", f.env(), []string{"create", "-b", dirConfig, "c1"}, ""},
		{"create of an annotated bundle, an id runc would refuse", f.env(), []string{"create", "--bundle", annotated, "c 1"}, ""},
		{"create of an annotated bundle, a root with a quote", f.env(), []string{"--root", `/r/"x`, "create", "--bundle", annotated, "c1"}, ""},
		{"create of an annotated bundle, a relative bundle", f.env(), []string{"create", "--bundle", "annotated", "c1"}, ""},
		{"create of an annotated bundle, a timeout in ms", f.env("CI_JWT_AGENT_TIMEOUT=500ms"), []string{"create", "--bundle", annotated, "c1"}, deliver},
		{"create of an annotated bundle, a timeout Go reads otherwise", f.env("CI_JWT_AGENT_TIMEOUT=1m30s"), []string{"create", "--bundle", annotated, "c1"}, ""},
		{"create of an annotated bundle, a socket path too long for sun_path", []string{"CI_JWT_RUNC=" + f.runc, "CI_JWT_AGENT_SOCKET=/" + strings.Repeat("s", 120)}, []string{"create", "--bundle", annotated, "c1"}, ""},
		{"create of a config.json at the limit", f.env(), []string{"create", "-b", atLimit, "c1"}, f.runc},
		{"create of a config.json past the limit", f.env(), []string{"create", "-b", overLimit, "c1"}, ""},
		{"create of a bundle named through ..", f.env(), []string{"create", "-b", plain + "/../plain", "c1"}, ""},
		{"create under an identity source the wrapper does not know", f.env("CI_JWT_IDENTITY_SOURCE=Concourse"), []string{"create", "-b", plain, "c1"}, ""},
		{"create under annotation spelt out", f.env("CI_JWT_IDENTITY_SOURCE=annotation"), []string{"create", "-b", plain, "c1"}, f.runc},

		{"concourse: create outside its namespace", f.env("CI_JWT_IDENTITY_SOURCE=concourse"), []string{"--root", root, "create", "-b", annotated, "c1"}, f.runc},
		{"concourse: create in its namespace", f.env("CI_JWT_IDENTITY_SOURCE=concourse"), []string{"--root", "/run/containerd/runc/concourse", "create", "-b", plain, "c1"}, deliver},
		{"concourse: create in its namespace, root with a trailing slash", f.env("CI_JWT_IDENTITY_SOURCE=concourse"), []string{"--root=/r/concourse/", "create", "c1"}, ""},
		{"concourse: create in a namespace of the operator's, relative bundle", f.env("CI_JWT_IDENTITY_SOURCE=concourse", "CI_JWT_CONCOURSE_NAMESPACE=ci"), []string{"--root", "/r/ci", "create", "c1"}, ""},
		{"concourse: create in a namespace of the operator's", f.env("CI_JWT_IDENTITY_SOURCE=concourse", "CI_JWT_CONCOURSE_NAMESPACE=ci"), []string{"--root", "/r/ci", "create", "-b", plain, "c1"}, deliver},
		{"concourse: create without --root", f.env("CI_JWT_IDENTITY_SOURCE=concourse"), []string{"create", "-b", plain, "c1"}, f.runc},

		{"delete of a container without a marker", f.env(), []string{"--root", root, "delete", "c1"}, f.runc},
		{"delete of a marked container", f.env(), []string{"--root", root, "delete", "--force", "marked"}, forget},
		{"delete of a container whose marker holds another's key", f.env(), []string{"--root", root, "delete", "collides"}, ""},
		{"delete of a marked container, a timeout Go reads otherwise", f.env("CI_JWT_AGENT_TIMEOUT=soon"), []string{"--root", root, "delete", "marked"}, ""},
		{"delete of the marked id under another root", f.env(), []string{"--root", "/other", "delete", "marked"}, f.runc},
		{"delete without an id", f.env(), []string{"--root", root, "delete"}, f.runc},
		{"exec in a container without a marker", f.env(), []string{"--root", root, "exec", "c1", "sh"}, f.runc},
		{"exec in a marked container", f.env(), []string{"--root", root, "exec", "-t", "marked", "sh"}, ""},
		{"delete with a socket path Go would clean", []string{"CI_JWT_RUNC=" + f.runc, "CI_JWT_AGENT_SOCKET=" + filepath.Dir(f.socket) + "//agent.sock"}, []string{"delete", "c1"}, ""},
		{"delete with the first of two CI_JWT_AGENT_SOCKET, as Go reads it", f.env("CI_JWT_AGENT_SOCKET=agent.sock"), []string{"delete", "c1"}, f.runc},
		{"delete with a relative socket path", []string{"CI_JWT_RUNC=" + f.runc, "CI_JWT_AGENT_SOCKET=agent.sock"}, []string{"delete", "c1"}, ""},

		{"CI_JWT_RUNC naming the wrapper", []string{"CI_JWT_RUNC=" + f.self}, []string{"start", "c1"}, ""},
		{"CI_JWT_RUNC a link to the wrapper", []string{"CI_JWT_RUNC=" + linkToSelf}, []string{"start", "c1"}, ""},
		{"CI_JWT_RUNC missing", []string{"CI_JWT_RUNC=" + f.dir + "/nothing"}, []string{"start", "c1"}, ""},
		{"runc on PATH", []string{"PATH=" + filepath.Dir(f.runc)}, []string{"start", "c1"}, f.runc},
		{"runc on PATH after the wrapper itself", []string{"PATH=/nonexistent:" + pathWithSelf + ":" + filepath.Dir(f.runc)}, []string{"start", "c1"}, f.runc},
		{"a relative PATH entry before runc", []string{"PATH=bin:" + filepath.Dir(f.runc)}, []string{"start", "c1"}, ""},
		{"an empty PATH entry before runc", []string{"PATH=:" + filepath.Dir(f.runc)}, []string{"start", "c1"}, ""},
		{"a PATH entry with a trailing slash", []string{"PATH=" + filepath.Dir(f.runc) + "/"}, []string{"start", "c1"}, ""},
		{"no runc on PATH", []string{"PATH=" + f.dir}, []string{"start", "c1"}, ""},
		{"no PATH", nil, []string{"start", "c1"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			runc, action := Decide(c.args, c.env, f.self)
			wantAction, wantRunc := map[string]Action{"": Go, deliver: Deliver, forget: Forget}[c.want], f.runc
			if c.want == "" {
				wantRunc = ""
			} else if c.want != deliver && c.want != forget {
				wantAction, wantRunc = Runc, c.want
			}
			if action != wantAction || runc != wantRunc {
				t.Fatalf("decided %v then %q; want %v then %q", action, runc, wantAction, wantRunc)
			}
		})
	}
}

// TestTheProgramDoesWhatTheGoFlowDoes builds ci-jwt-runtime twice, with the fast path as it
// ships (build.sh: static, musl) and without (CGO_ENABLED=0), and runs both through the same calls against a stand-in agent and a runc that
// records its arguments: same exit code, same runc arguments, same requests to the agent, same
// markers left; and the fast path took the calls it should, and only those.
func TestTheProgramDoesWhatTheGoFlowDoes(t *testing.T) {
	if why, err := exec.Command("../../build.sh", "--probe").Output(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("build.sh cannot build the fast path: %s", why)
		}
		t.Skipf("build.sh cannot build the fast path here: %s", why)
	}
	bins := t.TempDir()
	fast, pure := filepath.Join(bins, "fast"), filepath.Join(bins, "pure")
	// The fast one as it ships (build.sh), the other without cgo.
	if out, err := exec.Command("../../build.sh", fast).CombinedOutput(); err != nil {
		t.Fatalf("build.sh: %v: %s", err, out)
	}
	build(t, pure)

	type outcome struct {
		Code     int
		Runc     []string
		Requests []string
		Markers  int
		// fast is, for each runc call, whether the fast path executed it (compared apart).
		fast []bool
	}
	// scenario runs one program through calls in a fresh directory, annotated being whether the
	// bundle carries the annotation, against a stand-in agent that setUp prepares.
	var posts []agenttest.Request
	scenario := func(program string, annotated bool, setUp func(*agenttest.Agent), calls [][]string) outcome {
		dir := t.TempDir()
		a := agenttest.Start(t, dir, http.StatusCreated)
		a.AnswerDeletes(http.StatusNoContent)
		setUp(a)
		record, ignored := filepath.Join(dir, "runc-args"), filepath.Join(dir, "runc-sigign")
		runc := filepath.Join(dir, "runc")
		script := "#!/bin/sh\necho \"$*\" >> " + record + "\ngrep '^SigIgn:' /proc/$$/status >> " + ignored + "\n"
		if err := os.WriteFile(runc, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		annotations := map[string]string{"io.containerd.image.name": "busybox"}
		if annotated {
			annotations["org.cijwt.metadata"] = `{"team":"main"}`
		}
		spec, _ := json.Marshal(map[string]any{"ociVersion": "1.0.2", "annotations": annotations})
		b := filepath.Join(dir, "bundle")
		if err := os.MkdirAll(b, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(b, "config.json"), spec, 0o600); err != nil {
			t.Fatal(err)
		}
		var o outcome
		for _, call := range calls {
			args := make([]string, len(call))
			for i, s := range call {
				args[i] = strings.ReplaceAll(s, "{bundle}", b)
			}
			// SIGUSR1 ignored, as a caller may leave it: an ignored signal stays ignored through
			// execve, and Go's runtime installs a handler of its own for it, so runc finds it
			// still ignored only when the fast path executed it (the test's witness of which path ran).
			cmd := exec.Command("/bin/sh", append([]string{"-c", `trap "" USR1; exec "$0" "$@"`, program}, args...)...)
			cmd.Env = []string{"PATH=/usr/bin:/bin", "CI_JWT_RUNC=" + runc, "CI_JWT_AGENT_SOCKET=" + a.Socket}
			out, err := cmd.CombinedOutput()
			if exit, isExit := err.(*exec.ExitError); isExit {
				o.Code += exit.ExitCode()
			} else if err != nil {
				t.Fatalf("%s %q: %v: %s", program, args, err, out)
			}
		}
		recorded, _ := os.ReadFile(record)
		o.Runc = strings.Split(strings.ReplaceAll(strings.TrimSpace(string(recorded)), dir, "{dir}"), "\n")
		sigign, _ := os.ReadFile(ignored)
		for _, line := range strings.Split(strings.TrimSpace(string(sigign)), "\n") {
			mask, err := strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(line, "SigIgn:")), 16, 64)
			if err != nil {
				t.Fatalf("runc's SigIgn line %q: %v", line, err)
			}
			o.fast = append(o.fast, mask&(1<<(uint(syscall.SIGUSR1)-1)) != 0)
		}
		seen := map[string]bool{}
		for _, r := range a.Requests() {
			// The fast path asks, and the Go flow after it asks again when the answer was not one
			// it acts on: what was asked is compared, not how often.
			if q := r.Method + " " + r.Path + "?" + r.Query; !seen[q] {
				seen[q] = true
				o.Requests = append(o.Requests, q)
			}
			if r.Method == http.MethodPost {
				posts = append(posts, r)
			}
		}
		sort.Strings(o.Requests)
		entries, _ := os.ReadDir(string(marker.Beside(a.Socket)))
		o.Markers = len(entries)
		return o
	}
	root := []string{"--root", "/run/containerd/runc/default"}
	life := [][]string{
		append(root[:2:2], "create", "--bundle", "{bundle}", "c1"),
		append(root[:2:2], "start", "c1"),
		append(root[:2:2], "exec", "c1", "true"),
		append(root[:2:2], "delete", "c1"),
		append(root[:2:2], "delete", "--force", "c1"),
	}
	for _, c := range []struct {
		name      string
		annotated bool
		setUp     func(*agenttest.Agent)
		// wantFast is, for each runc call the fast build made, whether the fast path made it.
		wantFast     []bool
		wantCode     int
		wantRequests []string
	}{
		{"a container that is not ci-jwt's", false, func(*agenttest.Agent) {}, []bool{true, true, true, true, true}, 0, nil},
		{"an annotated container", true, func(*agenttest.Agent) {},
			// All but the exec, which gives the process its token in Go.
			[]bool{true, true, false, true, true}, 0,
			[]string{"DELETE /v1/containers/c1?if=stopped", "POST /v1/containers?"}},
		{"an annotated container the agent leaves alone", true, (*agenttest.Agent).LeaveAlone,
			[]bool{true, true, true, true, true}, 0, []string{"POST /v1/containers?"}},
		{"an annotated container the agent refuses", true, func(a *agenttest.Agent) { a.Answer(http.StatusBadRequest, "") },
			// The create fails (exit 1) and runc never creates; the other four calls go to runc.
			[]bool{true, true, true, true}, 1, []string{"POST /v1/containers?"}},
		{"an annotated container the agent says still runs", true, func(a *agenttest.Agent) {
			a.AnswerDeletes(http.StatusConflict)
			a.Answer(http.StatusCreated, "")
		}, nil, -1, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			posts = nil
			want := scenario(pure, c.annotated, c.setUp, life)
			got := scenario(fast, c.annotated, c.setUp, life)
			if c.wantFast != nil && (!reflect.DeepEqual(got.fast, c.wantFast) || !reflect.DeepEqual(want.fast, make([]bool, len(c.wantFast)))) {
				t.Fatalf("fast path taken %v (want %v); by the Go build %v", got.fast, c.wantFast, want.fast)
			}
			got.fast, want.fast = nil, nil
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("with the fast path %+v, Go alone %+v", got, want)
			}
			if c.wantCode >= 0 && (got.Code != c.wantCode || !reflect.DeepEqual(got.Requests, c.wantRequests) || got.Markers != 0) {
				t.Fatalf("%+v; want exit codes adding up to %d, requests %q and no marker left", got, c.wantCode, c.wantRequests)
			}
			// The Go flow sends the annotation's metadata; the fast path only the id and bundle,
			// and the agent reads the annotations itself.
			for _, p := range posts {
				if _, withMetadata := p.Body["metadata"]; p.Body["id"] != "c1" || !strings.HasSuffix(p.Body["bundle"].(string), "/bundle") ||
					(len(p.Body) != 2 && !withMetadata) {
					t.Fatalf("a create sent %v", p.Body)
				}
			}
		})
	}
}

// build builds ./cmd/ci-jwt-runtime into out without cgo: the Go flow alone.
func build(t *testing.T, out string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", out, "github.com/cijwt/ci-jwt/runtime/cmd/ci-jwt-runtime")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build (CGO_ENABLED=0): %v: %s", err, b)
	}
}
