// Command ci-jwt-runtime is an OCI runtime wrapper: runc-compatible, it asks the ci-jwt worker
// agent to deliver a build's identity token into a container's bundle on create, tells the agent
// on delete, and otherwise executes the real runc with the same arguments. It starts no JVM, so
// containerd (BinaryName, or ctr run --runc-binary), Docker (--add-runtime) and Podman (--runtime)
// can use it per container at the cost of one request over a Unix socket.
//
// Only containers whose config.json carries the annotation org.cijwt.metadata are touched.
// Environment: CI_JWT_AGENT_SOCKET (default /run/ci-jwt/agent.sock), CI_JWT_RUNC (default: runc
// on PATH, never this program), CI_JWT_FAIL_OPEN=true to start a container without a token when
// the agent cannot be reached, CI_JWT_AGENT_TIMEOUT (default 10s).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

const (
	defaultSocket      = "/run/ci-jwt/agent.sock"
	metadataAnnotation = "org.cijwt.metadata"
	profileAnnotation  = "org.cijwt.profile"
	maxConfigBytes     = 4 << 20
	maxReplyBytes      = 64 << 10
)

// globalFlagsWithValue are runc's global options that take a separate value.
var globalFlagsWithValue = map[string]bool{
	"--root": true, "--log": true, "--log-format": true, "--criu": true, "--rootless": true,
}

// createFlagsWithValue are the options of runc create/run that take a separate value.
var createFlagsWithValue = map[string]bool{
	"--bundle": true, "-b": true, "--console-socket": true, "--pid-file": true, "--preserve-fds": true,
	"--pidfd-socket": true,
}

// invocation is what the wrapper needs to know of a runc command line.
type invocation struct {
	verb      string
	bundle    string
	id        string
	logFile   string
	logFormat string
}

func parse(args []string) invocation {
	var inv invocation
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			break
		}
		name, value, hasValue := strings.Cut(a, "=")
		if !hasValue && globalFlagsWithValue[name] && i+1 < len(args) {
			i++
			value = args[i]
		}
		switch name {
		case "--log":
			inv.logFile = value
		case "--log-format":
			inv.logFormat = value
		}
	}
	if i >= len(args) {
		return inv
	}
	inv.verb = args[i]
	var positional []string
	for j := i + 1; j < len(args); j++ {
		a := args[j]
		if a == "--" {
			positional = append(positional, args[j+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") {
			name, value, hasValue := strings.Cut(a, "=")
			if !hasValue && createFlagsWithValue[name] && j+1 < len(args) && (inv.verb == "create" || inv.verb == "run") {
				j++
				value = args[j]
			}
			if name == "--bundle" || name == "-b" {
				inv.bundle = value
			}
			continue
		}
		positional = append(positional, a)
	}
	if len(positional) > 0 {
		inv.id = positional[len(positional)-1]
	}
	if (inv.verb == "create" || inv.verb == "run") && inv.bundle == "" {
		inv.bundle = "."
	}
	return inv
}

// realRuntime finds the runtime to execute: CI_JWT_RUNC, else runc on PATH, never this program.
func realRuntime() (string, error) {
	self, _ := os.Executable()
	selfResolved, _ := filepath.EvalSymlinks(self)
	if p := os.Getenv("CI_JWT_RUNC"); p != "" {
		if resolved, _ := filepath.EvalSymlinks(p); resolved != "" && resolved == selfResolved {
			return "", fmt.Errorf("CI_JWT_RUNC=%s is this wrapper itself", p)
		}
		return p, nil
	}
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
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
	return "", errors.New("runc is not on PATH (set CI_JWT_RUNC to the real runtime)")
}

// annotations reads the bundle's config.json annotations; a bundle without one is not ours.
func annotations(bundle string) (map[string]string, error) {
	f, err := os.Open(filepath.Join(bundle, "config.json"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var spec struct {
		Annotations map[string]string `json:"annotations"`
	}
	if err := json.NewDecoder(io.LimitReader(f, maxConfigBytes)).Decode(&spec); err != nil {
		return nil, fmt.Errorf("config.json is not valid JSON: %v", err)
	}
	return spec.Annotations, nil
}

func socketPath() string {
	if p := os.Getenv("CI_JWT_AGENT_SOCKET"); p != "" {
		return p
	}
	return defaultSocket
}

func agentTimeout() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("CI_JWT_AGENT_TIMEOUT")); err == nil && d > 0 {
		return d
	}
	return 10 * time.Second
}

func client(socket string) *http.Client {
	return &http.Client{
		Timeout: agentTimeout(),
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", socket)
			},
		},
	}
}

// unreachable marks a failure to talk to the agent at all, as opposed to the agent refusing.
type unreachable struct{ err error }

func (u unreachable) Error() string { return u.err.Error() }

// agentError is the agent's own one-line answer to a refused request.
func agentError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes))
	var e struct {
		Error string `json:"error"`
		Code  string `json:"code"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		if e.Code != "" {
			return fmt.Errorf("%s %s", e.Code, e.Error)
		}
		return errors.New(e.Error)
	}
	return fmt.Errorf("HTTP %d", resp.StatusCode)
}

func deliver(socket string, inv invocation, ann map[string]string) error {
	bundle, err := filepath.Abs(inv.bundle)
	if err != nil {
		return err
	}
	body := map[string]any{"id": inv.id, "bundle": bundle, "metadata": json.RawMessage(ann[metadataAnnotation])}
	if p, ok := ann[profileAnnotation]; ok {
		body["profile"] = p
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("annotation %s is not valid JSON", metadataAnnotation)
	}
	resp, err := client(socket).Post("http://agent/v1/containers", "application/json", bytes.NewReader(payload))
	if err != nil {
		return unreachable{err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return agentError(resp)
	}
	return nil
}

func forget(socket, id string) error {
	req, err := http.NewRequest(http.MethodDelete, "http://agent/v1/containers/"+url.PathEscape(id), nil)
	if err != nil {
		return err
	}
	resp, err := client(socket).Do(req)
	if err != nil {
		return unreachable{err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusNotFound {
		return agentError(resp)
	}
	return nil
}

// report prints one line on stderr and, like runc, into its JSON log when it keeps one, where
// containerd looks for the reason a create failed.
func report(inv invocation, level, msg string) {
	fmt.Fprintln(os.Stderr, "ci-jwt-runtime: "+msg)
	if inv.logFile == "" {
		return
	}
	f, err := os.OpenFile(inv.logFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	if inv.logFormat == "json" {
		line, _ := json.Marshal(map[string]string{"level": level, "msg": "ci-jwt-runtime: " + msg,
			"time": time.Now().UTC().Format(time.RFC3339Nano)})
		f.Write(append(line, '\n'))
	} else {
		fmt.Fprintf(f, "level=%s msg=%q\n", level, "ci-jwt-runtime: "+msg)
	}
}

func failOpen() bool {
	v := strings.ToLower(os.Getenv("CI_JWT_FAIL_OPEN"))
	return v == "true" || v == "1" || v == "yes"
}

func run(args []string) int {
	runc, err := realRuntime()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ci-jwt-runtime: "+err.Error())
		return 1
	}
	inv := parse(args)
	socket := socketPath()
	switch inv.verb {
	case "create", "run":
		ann, err := annotations(inv.bundle)
		if err != nil {
			// Not a bundle we can read: runc gives the authoritative error.
			break
		}
		if _, ours := ann[metadataAnnotation]; !ours {
			break
		}
		if err := deliver(socket, inv, ann); err != nil {
			var u unreachable
			if errors.As(err, &u) && failOpen() {
				report(inv, "warning", fmt.Sprintf("agent at %s unreachable (%v); starting container %s WITHOUT a token (CI_JWT_FAIL_OPEN)", socket, u.err, inv.id))
				break
			}
			if errors.As(err, &u) {
				report(inv, "error", fmt.Sprintf("cannot reach the ci-jwt agent at %s: %v; container %s not created", socket, u.err, inv.id))
			} else {
				report(inv, "error", fmt.Sprintf("agent refused container %s: %v", inv.id, err))
			}
			return 1
		}
	case "delete":
		code := runChild(runc, args)
		if inv.id != "" {
			if err := forget(socket, inv.id); err != nil {
				report(inv, "warning", fmt.Sprintf("agent at %s was not told that %s is deleted: %v", socket, inv.id, err))
			}
		}
		return code
	}
	if err := syscall.Exec(runc, append([]string{runc}, args...), os.Environ()); err != nil {
		fmt.Fprintf(os.Stderr, "ci-jwt-runtime: cannot execute %s: %v\n", runc, err)
		return 1
	}
	return 0
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

func main() {
	os.Exit(run(os.Args[1:]))
}
