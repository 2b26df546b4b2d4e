// Package agent is a client of the ci-jwt worker agent's HTTP/JSON API on its Unix socket.
//
// It speaks the little HTTP/1.0 it needs over package net rather than through net/http: the
// wrapper starts once per runc call, and importing net/http alone added about 0.45 ms to every
// start (its package initialisation), on every container, ci-jwt's or not (BENCHMARKS.md,
// "A container's whole life through containerd"). One request per connection; the agent closes
// it after the answer.
package agent

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	// DefaultSocket is where the agent listens unless the operator says otherwise.
	DefaultSocket = "/run/ci-jwt/agent.sock"
	// maxReplyBytes bounds what is read of a refusal: its message ends up on one line of a log.
	maxReplyBytes = 64 << 10
	// maxHeaderBytes bounds the status line and headers of an answer.
	maxHeaderBytes = 16 << 10
)

// ErrInvalidMetadata is returned for a metadata annotation that is not JSON.
var ErrInvalidMetadata = errors.New("annotation org.cijwt.metadata is not valid JSON")

// UnreachableError is a failure to talk to the agent at all, as opposed to the agent refusing.
type UnreachableError struct{ Err error }

func (e *UnreachableError) Error() string { return e.Err.Error() }

func (e *UnreachableError) Unwrap() error { return e.Err }

// RefusedError is the agent's own answer to a request it did not grant.
type RefusedError struct {
	// Status is the HTTP status of the answer.
	Status int
	// Code and Message are the agent's error code (e.g. CJ101) and its one-line message; both are
	// empty when the answer was not the agent's JSON error.
	Code    string
	Message string
}

func (e *RefusedError) Error() string {
	switch {
	case e.Message != "" && e.Code != "":
		return e.Code + " " + e.Message
	case e.Message != "":
		return e.Message
	default:
		return fmt.Sprintf("HTTP %d", e.Status)
	}
}

// Container is what the agent is told of a container being created.
type Container struct {
	ID string `json:"id"`
	// Bundle is the absolute path of the container's bundle.
	Bundle string `json:"bundle"`
	// Metadata is the build metadata the caller vouches for; nil under the concourse identity
	// source, where the agent asks Concourse and takes nothing from the container.
	Metadata json.RawMessage `json:"metadata,omitempty"`
	// Profile is the token profile the container asks for; nil for the operator's default.
	Profile *string `json:"profile,omitempty"`
}

// Client talks to one agent, one connection per request.
type Client struct {
	socket  string
	timeout time.Duration
}

// New returns a client of the agent at socket whose requests each take at most timeout.
func New(socket string, timeout time.Duration) *Client {
	return &Client{socket: socket, timeout: timeout}
}

// Socket is the path of the agent's socket.
func (c *Client) Socket() string { return c.socket }

// answer is the status and (bounded) body of one reply.
type answer struct {
	status int
	body   []byte
}

// Deliver asks the agent to deliver the container's tokens into its bundle (POST /v1/containers).
// managed is false when the agent's identity source says ci-jwt does not manage the container
// (200 {"managed": false}): nothing was delivered and the container starts as it is.
func (c *Client) Deliver(ctr Container) (managed bool, err error) {
	payload, err := json.Marshal(ctr)
	if err != nil {
		return false, ErrInvalidMetadata
	}
	a, err := c.do("POST", "/v1/containers", payload)
	if err != nil {
		return false, err
	}
	switch a.status {
	case 201:
		return true, nil
	case 200:
		var reply struct {
			Managed *bool `json:"managed"`
		}
		if json.Unmarshal(a.body, &reply) == nil && reply.Managed != nil && !*reply.Managed {
			return false, nil
		}
		return false, &RefusedError{Status: a.status, Message: "an answer that is neither delivered nor not-managed"}
	}
	return false, refused(a)
}

// Forget tells the agent that the container is deleted (DELETE /v1/containers/{id}); a container
// the agent does not know is no error.
func (c *Client) Forget(id string) error {
	a, err := c.do("DELETE", "/v1/containers/"+url.PathEscape(id), nil)
	if err != nil {
		return err
	}
	switch a.status {
	case 200, 204, 404:
		return nil
	}
	return refused(a)
}

// ForgetIfStopped asks the agent to forget the container only if its init process has ended
// (DELETE /v1/containers/{id}?if=stopped). forgotten is true when the agent forgot it or never
// knew it, false when it answered that the container still runs (409 CJ515; its tokens stay).
// An agent older than the condition ignores it and forgets: install the agent first.
func (c *Client) ForgetIfStopped(id string) (forgotten bool, err error) {
	a, err := c.do("DELETE", "/v1/containers/"+url.PathEscape(id)+"?if=stopped", nil)
	if err != nil {
		return false, err
	}
	switch a.status {
	case 200, 204, 404:
		return true, nil
	}
	err = refused(a)
	var r *RefusedError
	if errors.As(err, &r) && r.Status == 409 && r.Code == "CJ515" {
		return false, nil
	}
	return false, err
}

// Call sends one request to path on the socket and returns the answer's status and (bounded) body;
// an *UnreachableError when no HTTP answer came. It is the token client's way to the agent, so
// neither side of the wrapper links net/http (its initialisation alone was 0.45 ms of every runc call).
func (c *Client) Call(method, path string, body []byte) (status int, reply []byte, err error) {
	a, err := c.do(method, path, body)
	return a.status, a.body, err
}

// do sends one HTTP/1.0 request (so the answer is never chunked and ends when the agent closes
// the connection) and reads its answer, all within the client's timeout.
func (c *Client) do(method, path string, body []byte) (answer, error) {
	deadline := time.Now().Add(c.timeout)
	d := net.Dialer{Deadline: deadline}
	conn, err := d.Dial("unix", c.socket)
	if err != nil {
		return answer{}, &UnreachableError{err}
	}
	defer conn.Close()
	if err := conn.SetDeadline(deadline); err != nil {
		return answer{}, &UnreachableError{err}
	}
	var req bytes.Buffer
	req.WriteString(method + " " + path + " HTTP/1.0\r\nHost: agent\r\n")
	if body != nil {
		req.WriteString("Content-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n")
	}
	req.WriteString("\r\n")
	req.Write(body)
	if _, err := conn.Write(req.Bytes()); err != nil {
		return answer{}, &UnreachableError{err}
	}
	return readAnswer(conn)
}

// readAnswer reads a status line, the headers and at most maxReplyBytes of the body.
func readAnswer(conn io.Reader) (answer, error) {
	r := textproto.NewReader(bufio.NewReader(io.LimitReader(conn, maxHeaderBytes+maxReplyBytes)))
	line, err := r.ReadLine()
	if err != nil {
		return answer{}, &UnreachableError{fmt.Errorf("no answer: %w", err)}
	}
	proto, rest, _ := strings.Cut(line, " ")
	code, _, _ := strings.Cut(rest, " ")
	status, err := strconv.Atoi(code)
	if !strings.HasPrefix(proto, "HTTP/1.") || err != nil || status < 100 || status > 999 {
		return answer{}, &UnreachableError{fmt.Errorf("not an HTTP answer: %q", truncate(line))}
	}
	header, err := r.ReadMIMEHeader()
	if err != nil {
		return answer{}, &UnreachableError{fmt.Errorf("answer's headers: %w", err)}
	}
	limit := int64(maxReplyBytes)
	if n, err := strconv.ParseInt(header.Get("Content-Length"), 10, 64); err == nil && n >= 0 && n < limit {
		limit = n
	}
	// A body cut short (the agent closed, or the limit was reached) is kept as far as it came:
	// only a refusal's message is read from it, and a truncated one does not parse.
	body, _ := io.ReadAll(io.LimitReader(r.R, limit))
	return answer{status: status, body: body}, nil
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

func refused(a answer) error {
	e := &RefusedError{Status: a.status}
	var reply struct {
		Error string `json:"error"`
		Code  string `json:"code"`
	}
	if json.Unmarshal(a.body, &reply) == nil && reply.Error != "" {
		e.Code, e.Message = reply.Code, reply.Error
	}
	return e
}
