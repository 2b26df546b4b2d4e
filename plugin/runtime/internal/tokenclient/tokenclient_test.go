package tokenclient

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// serve answers POST /v1/tokens on a Unix socket in a temporary directory with handler; the real
// agent is tested against this client in the agent's ITs (TokenRequestIT).
func serve(t *testing.T, handler http.HandlerFunc) string {
	t.Helper()
	socket := filepath.Join(t.TempDir(), "token.sock")
	l, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: handler}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return socket
}

func TestMainWhenAllowedThenPrintsTheTokenAndSendsOnlyAudienceAndLifetime(t *testing.T) {
	var got map[string]interface{}
	socket := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/tokens" {
			t.Errorf("got %s %s", r.Method, r.URL.Path)
		}
		json.NewDecoder(r.Body).Decode(&got)
		w.Write([]byte(`{"token":"eyJ.a.b","expires_at":1}`))
	})
	var out, errOut bytes.Buffer
	code := Main([]string{"--socket", socket, "--audience", "sts.amazonaws.com", "--audience", "vault", "--lifetime", "5m"}, &out, &errOut)
	if code != 0 || out.String() != "eyJ.a.b\n" {
		t.Fatalf("code %d, out %q, err %q", code, out.String(), errOut.String())
	}
	if len(got) != 2 || got["lifetime"] != "5m" || len(got["audience"].([]interface{})) != 2 {
		t.Fatalf("request body %v", got)
	}
}

func TestMainWhenRefusedThenOneLineWithTheCodeAndExit1(t *testing.T) {
	socket := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"error":"audience 'x' is not allowed","code":"CJ511"}`))
	})
	var out, errOut bytes.Buffer
	code := Main([]string{"--socket", socket, "--audience", "x"}, &out, &errOut)
	if code != 1 || out.Len() != 0 || errOut.String() != "ci-jwt-runtime token: CJ511 audience 'x' is not allowed\n" {
		t.Fatalf("code %d, out %q, err %q", code, out.String(), errOut.String())
	}
}

func TestMainWhenOutGivenThenTheFileIsReplacedWhole0600AndNothingElseIsLeft(t *testing.T) {
	socket := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"token":"eyJ.new.token","expires_at":1}`))
	})
	dir := t.TempDir()
	file := filepath.Join(dir, "aws-token")
	os.WriteFile(file, []byte("old"), 0o644)
	var out, errOut bytes.Buffer
	if code := Main([]string{"--socket", socket, "--audience", "sts.amazonaws.com", "--out", file}, &out, &errOut); code != 0 {
		t.Fatalf("code %d, err %q", code, errOut.String())
	}
	data, _ := os.ReadFile(file)
	info, _ := os.Stat(file)
	entries, _ := os.ReadDir(dir)
	if string(data) != "eyJ.new.token" || info.Mode().Perm() != 0o600 || len(entries) != 1 || out.Len() != 0 {
		t.Fatalf("file %q mode %v, %d entries, out %q", data, info.Mode().Perm(), len(entries), out.String())
	}
}

func TestMainWhenNoSocketThenItSaysWhyAndExit1(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Main([]string{"--socket", filepath.Join(t.TempDir(), "token.sock"), "--audience", "vault"}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "no token socket at") || !strings.Contains(errOut.String(), "on_request") {
		t.Fatalf("code %d, err %q", code, errOut.String())
	}
}

func TestMainWhenNoAudienceOrAnArgumentThenUsageExit2(t *testing.T) {
	for _, args := range [][]string{{}, {"--audience", "a", "extra"}, {"--bogus"}} {
		var out, errOut bytes.Buffer
		if code := Main(args, &out, &errOut); code != 2 {
			t.Errorf("%v: code %d", args, code)
		}
	}
}
