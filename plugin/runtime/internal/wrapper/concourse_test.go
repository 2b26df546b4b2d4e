package wrapper

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cijwt/ci-jwt/runtime/internal/agent/agenttest"
	"github.com/cijwt/ci-jwt/runtime/internal/bundle"
	"github.com/cijwt/ci-jwt/runtime/internal/marker"
)

func TestCreateUnderTheConcourseSource(t *testing.T) {
	concourse := func(a *agenttest.Agent, runc string) []string {
		return []string{"CI_JWT_AGENT_SOCKET=" + a.Socket, "CI_JWT_RUNC=" + runc, "CI_JWT_IDENTITY_SOURCE=concourse"}
	}
	tests := []struct {
		name      string
		namespace string
		status    int
		body      string
		wantAsked bool
		wantRunc  bool
		wantOut   string
	}{
		{name: "Concourse's container is sent without its annotation", namespace: "concourse", status: http.StatusCreated,
			wantAsked: true, wantRunc: true},
		{name: "a container the agent does not manage starts untouched", namespace: "concourse", status: http.StatusOK,
			body: `{"id":"h1","managed":false,"reason":"a check container"}`, wantAsked: true, wantRunc: true},
		{name: "a handle Concourse does not know does not start", namespace: "concourse", status: http.StatusNotFound,
			body: `{"code":"CJ810","error":"container h1 is not known to Concourse at http://127.0.0.1:8081"}`, wantAsked: true,
			wantOut: "agent refused container h1: CJ810 container h1 is not known to Concourse"},
		{name: "another namespace goes straight to runc", namespace: "default", status: http.StatusCreated, wantRunc: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			a := agenttest.Start(t, dir, tt.status)
			a.Answer(tt.status, tt.body)
			runc, record := fakeRunc(t, dir, 0)
			// The annotation a workload's author could write is there, and must not be read.
			b := makeBundle(t, dir, map[string]string{bundle.MetadataAnnotation: `{"team":"admins"}`})
			root := filepath.Join(dir, "runc", tt.namespace)

			code, out := runWrapper(t, concourse(a, runc), "--root", root, "create", "--bundle", b, "h1")

			reqs := a.Requests()
			if tt.wantAsked {
				want := map[string]any{"id": "h1", "bundle": b}
				if len(reqs) != 1 || !reflect.DeepEqual(reqs[0].Body, want) {
					t.Fatalf("agent requests = %+v, want one with %v", reqs, want)
				}
			} else if len(reqs) != 0 {
				t.Fatalf("the agent was asked: %+v", reqs)
			}
			ran := ranRunc(t, record) != ""
			if ran != tt.wantRunc || (code == 0) != tt.wantRunc {
				t.Fatalf("exit %d, runc ran %v: %s", code, ran, out)
			}
			if tt.wantOut != "" && (!strings.Contains(out, tt.wantOut) || strings.Count(out, "\n") != 1) {
				t.Fatalf("output %q, want one line with %q", out, tt.wantOut)
			}
		})
	}

	t.Run("a misspelt source is refused, never taken for annotation", func(t *testing.T) {
		dir := t.TempDir()
		a := agenttest.Start(t, dir, http.StatusCreated)
		runc, record := fakeRunc(t, dir, 0)
		b := makeBundle(t, dir, map[string]string{bundle.MetadataAnnotation: `{"team":"admins"}`})

		code, out := runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + a.Socket, "CI_JWT_RUNC=" + runc, "CI_JWT_IDENTITY_SOURCE=concours"},
			"create", "--bundle", b, "h2")

		if code != 1 || ranRunc(t, record) != "" || len(a.Requests()) != 0 || !strings.Contains(out, `CI_JWT_IDENTITY_SOURCE="concours"`) {
			t.Fatalf("exit %d, runc %q, requests %+v: %s", code, ranRunc(t, record), a.Requests(), out)
		}
	})
}

func TestExecGetsTheTokenVariables(t *testing.T) {
	// processFile writes an exec process spec with env and returns its path.
	processFile := func(t *testing.T, dir string, env []string) string {
		t.Helper()
		spec, err := json.Marshal(map[string]any{"args": []string{"/bin/sh", "-c", "true"}, "cwd": "/tmp/build/1", "env": env,
			"user": map[string]int{"uid": 0, "gid": 0}})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "runc-process1")
		if err := os.WriteFile(p, spec, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// bundleWithEnv writes a bundle whose config.json's process has env.
	bundleWithEnv := func(t *testing.T, dir string, env []string) string {
		t.Helper()
		b := filepath.Join(dir, "bundle")
		if err := os.MkdirAll(b, 0o700); err != nil {
			t.Fatal(err)
		}
		spec, err := json.Marshal(map[string]any{"ociVersion": "1.0.2", "process": map[string]any{"env": env}})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(b, "config.json"), spec, 0o600); err != nil {
			t.Fatal(err)
		}
		return b
	}
	readEnv := func(t *testing.T, p string) ([]string, map[string]any) {
		t.Helper()
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var spec map[string]any
		if err := json.Unmarshal(data, &spec); err != nil {
			t.Fatal(err)
		}
		var env []string
		for _, e := range spec["env"].([]any) {
			env = append(env, e.(string))
		}
		return env, spec
	}
	delivered := []string{"PATH=/bin", "CONCOURSE_CI_JWT=first-token", "CONCOURSE_CI_JWT_FILE=/var/run/secrets/concourse-ci/jwt"}
	tests := []struct {
		name       string
		bundleEnv  []string
		processEnv []string
		wantEnv    []string
		// unmarked is a container the wrapper never handed to the agent.
		unmarked bool
	}{
		{name: "a delivered container's exec gets both variables", bundleEnv: delivered,
			processEnv: []string{"PATH=/usr/bin", "DRY_RUN=true"},
			wantEnv:    []string{"PATH=/usr/bin", "DRY_RUN=true", "CONCOURSE_CI_JWT=first-token", "CONCOURSE_CI_JWT_FILE=/var/run/secrets/concourse-ci/jwt"}},
		{name: "a container ci-jwt did not deliver to is left alone", bundleEnv: []string{"PATH=/bin"},
			processEnv: []string{"PATH=/usr/bin"}, wantEnv: []string{"PATH=/usr/bin"}},
		{name: "a variable the process sets keeps its value, as at create", bundleEnv: delivered,
			processEnv: []string{"CONCOURSE_CI_JWT=own"},
			wantEnv:    []string{"CONCOURSE_CI_JWT=own", "CONCOURSE_CI_JWT_FILE=/var/run/secrets/concourse-ci/jwt"}},
		{name: "a container without the wrapper's marker is left alone, its config.json unread", bundleEnv: delivered,
			processEnv: []string{"PATH=/usr/bin"}, wantEnv: []string{"PATH=/usr/bin"}, unmarked: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			a := agenttest.Start(t, dir, http.StatusCreated)
			runc, record := fakeRunc(t, dir, 0)
			b := bundleWithEnv(t, dir, tt.bundleEnv)
			p := processFile(t, dir, tt.processEnv)
			root := filepath.Join(dir, "runc", "concourse")
			args := []string{"--root", root, "exec", "--process", p, "--detach", "--pid-file", filepath.Join(b, "task.pid"), "h1"}
			if !tt.unmarked {
				if err := marker.Beside(a.Socket).Mark(root, "h1"); err != nil {
					t.Fatal(err)
				}
			}

			code, out := runWrapper(t, []string{"CI_JWT_AGENT_SOCKET=" + a.Socket, "CI_JWT_RUNC=" + runc}, args...)

			if code != 0 || ranRunc(t, record) != strings.Join(args, " ") {
				t.Fatalf("exit %d, runc %q: %s", code, ranRunc(t, record), out)
			}
			env, spec := readEnv(t, p)
			if !reflect.DeepEqual(env, tt.wantEnv) || spec["cwd"] != "/tmp/build/1" {
				t.Fatalf("process env = %v (cwd %v), want %v", env, spec["cwd"], tt.wantEnv)
			}
			if len(a.Requests()) != 0 {
				t.Fatalf("exec asked the agent: %+v", a.Requests())
			}
		})
	}
}
