// Package agenttest is a stand-in for the ci-jwt agent on a Unix socket, for tests of its
// clients: it records what it was asked and answers with a status and body of the test's
// choosing. It is our own component, not a system we claim to work with; the real agent with a
// real containerd is exercised by the Java integration tests (RuntimeWrapperIT, AgentIT).
package agenttest

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Refusal is the agent's JSON answer to a bad metadata key, as the real agent words it.
const Refusal = `{"code":"CJ101","error":"metadata key 'tema' is not a build metadata key"}`

// Request is one request the stand-in received.
type Request struct {
	// Method and Path, the path as sent (still escaped), and Query, what follows its "?".
	Method, Path, Query string
	// Body is the JSON body, nil when there was none.
	Body map[string]any
}

// Agent answers every request with one status and body.
type Agent struct {
	// Socket is the path the stand-in listens on.
	Socket string

	mu     sync.Mutex
	status int
	body   string
	// deletes, when not 0, is the status of DELETE requests; notManaged makes POSTs answer that
	// the agent leaves the container alone.
	deletes    int
	notManaged bool
	delay      time.Duration
	requests   []Request
}

// Start serves an Agent on a socket in dir until the test ends, answering status with the agent's
// body for it: for a status below 400 a container's, else Refusal.
func Start(t *testing.T, dir string, status int) *Agent {
	t.Helper()
	a := &Agent{Socket: filepath.Join(dir, "agent.sock"), status: status}
	l, err := net.Listen("unix", a.Socket)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(a.serve)}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return a
}

func (a *Agent) serve(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	data, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(data, &body)
	a.mu.Lock()
	a.requests = append(a.requests, Request{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Body: body})
	status, reply, delay := a.status, a.body, a.delay
	if r.Method == http.MethodDelete && a.deletes != 0 {
		status, reply = a.deletes, ""
	}
	if r.Method == http.MethodPost && a.notManaged {
		// As the real agent answers a create its identity source leaves alone.
		status, reply = http.StatusOK, `{"id":"x","managed":false,"reason":"not a task's container"}`
		w.Header().Set("CI-JWT-Managed", "false")
	}
	a.mu.Unlock()
	time.Sleep(delay)
	if reply == "" && status >= 400 {
		reply = Refusal
	} else if reply == "" {
		reply = `{"id":"x","tokens":[]}`
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, reply)
}

// Answer makes the stand-in answer status with body from now on ("" for the default body).
func (a *Agent) Answer(status int, body string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.status, a.body = status, body
}

// AnswerDeletes makes the stand-in answer DELETE requests with status (and its default body).
func (a *Agent) AnswerDeletes(status int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.deletes = status
}

// LeaveAlone makes the stand-in answer creates as the agent answers one it does not manage:
// 200, {"managed": false} and the header CI-JWT-Managed: false.
func (a *Agent) LeaveAlone() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.notManaged = true
}

// Stall makes the stand-in wait d before it answers.
func (a *Agent) Stall(d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.delay = d
}

// Requests are the requests received so far.
func (a *Agent) Requests() []Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Request(nil), a.requests...)
}
