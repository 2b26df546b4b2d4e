// Package tokenclient is `ci-jwt-runtime token`: inside a container, it asks the ci-jwt agent for
// a token for another audience on the container's token socket and prints it, or writes it to a
// file atomically (for AWS_WEB_IDENTITY_TOKEN_FILE). It sends nothing secret: the agent knows the
// container by which socket was connected and checks the caller with the kernel.
package tokenclient

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cijwt/ci-jwt/runtime/internal/agent"
)

const (
	// DefaultSocket is the token socket's path inside a container ci-jwt manages.
	DefaultSocket = "/var/run/secrets/concourse-ci/token.sock"
	timeout       = 30 * time.Second
)

// Exit codes, as the ci-jwt CLI's: 0 done, 1 refused or failed, 2 usage.
const (
	exitOK      = 0
	exitRefused = 1
	exitUsage   = 2
)

type audiences []string

func (a *audiences) String() string { return strings.Join(*a, ",") }

func (a *audiences) Set(v string) error {
	*a = append(*a, v)
	return nil
}

// Main runs `ci-jwt-runtime token ARGS`; it returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("ci-jwt-runtime token", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var aud audiences
	fl.Var(&aud, "audience", "an audience the token is for (repeat for several); the operator's on_request.audiences must allow it")
	lifetime := fl.String("lifetime", "", "the token's lifetime, e.g. 10m (default: the agent's, 10m or on_request.max_ttl if shorter)")
	out := fl.String("out", "", "write the token to this file (atomically, mode 0600) instead of printing it")
	socket := fl.String("socket", DefaultSocket, "the container's token socket")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: ci-jwt-runtime token --audience AUD [--audience AUD2] [--lifetime 10m] [--out FILE]")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "ci-jwt-runtime token: unexpected argument %q\n", fl.Arg(0))
		return exitUsage
	}
	if len(aud) == 0 {
		fmt.Fprintln(stderr, "ci-jwt-runtime token: --audience is required")
		return exitUsage
	}
	tok, err := Request(*socket, aud, *lifetime)
	if err != nil {
		fmt.Fprintln(stderr, "ci-jwt-runtime token: "+err.Error())
		return exitRefused
	}
	if *out == "" {
		fmt.Fprintln(stdout, tok.Token)
		return exitOK
	}
	if err := writeAtomically(*out, []byte(tok.Token)); err != nil {
		fmt.Fprintln(stderr, "ci-jwt-runtime token: "+err.Error())
		return exitRefused
	}
	return exitOK
}

// Token is the agent's answer: the token and when it expires (seconds since the epoch).
type Token struct {
	Token     string `json:"token"`
	ExpiresAt int64  `json:"expires_at"`
}

// RefusedError is the agent's refusal: its error code (CJnnn) and one line.
type RefusedError struct {
	Status  int
	Code    string
	Message string
}

func (e *RefusedError) Error() string {
	if e.Code != "" {
		return e.Code + " " + e.Message
	}
	return fmt.Sprintf("the agent answered HTTP %d", e.Status)
}

// Request asks the agent on socket for a token for audiences; lifetime may be empty.
func Request(socket string, audiences []string, lifetime string) (Token, error) {
	body := map[string]interface{}{"audience": audiences}
	if lifetime != "" {
		body["lifetime"] = lifetime
	}
	payload, _ := json.Marshal(body)
	status, data, err := agent.New(socket, timeout).Call("POST", "/v1/tokens", payload)
	if err != nil {
		if _, statErr := os.Stat(socket); errors.Is(statErr, fs.ErrNotExist) {
			return Token{}, fmt.Errorf("no token socket at %s: ci-jwt does not manage this container, its profile allows no"+
				" token requests (on_request), or the container has ended", socket)
		}
		return Token{}, fmt.Errorf("cannot reach the token socket %s: %v", socket, err)
	}
	if status != 200 {
		e := &RefusedError{Status: status}
		var reply struct {
			Error string `json:"error"`
			Code  string `json:"code"`
		}
		if json.Unmarshal(data, &reply) == nil {
			e.Code, e.Message = reply.Code, reply.Error
		}
		return Token{}, e
	}
	var tok Token
	if err := json.Unmarshal(data, &tok); err != nil || tok.Token == "" {
		return Token{}, errors.New("the agent's answer holds no token")
	}
	return tok, nil
}

// writeAtomically writes data to a temporary file beside path (0600) and renames it over path, so
// a reader (an AWS SDK re-reading AWS_WEB_IDENTITY_TOKEN_FILE) never sees half a token.
func writeAtomically(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	return nil
}
