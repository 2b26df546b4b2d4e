// Package agent is a client of the ci-jwt worker agent's HTTP/JSON API on its Unix socket.
package agent

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
	"time"
)

const (
	// DefaultSocket is where the agent listens unless the operator says otherwise.
	DefaultSocket = "/run/ci-jwt/agent.sock"
	// maxReplyBytes bounds what is read of a refusal: its message ends up on one line of a log.
	maxReplyBytes = 64 << 10
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
	socket string
	http   *http.Client
}

// New returns a client of the agent at socket whose requests each take at most timeout.
func New(socket string, timeout time.Duration) *Client {
	return &Client{socket: socket, http: &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", socket)
			},
		},
	}}
}

// Socket is the path of the agent's socket.
func (c *Client) Socket() string { return c.socket }

// Deliver asks the agent to deliver the container's tokens into its bundle (POST /v1/containers).
// managed is false when the agent's identity source says ci-jwt does not manage the container
// (200 {"managed": false}): nothing was delivered and the container starts as it is.
func (c *Client) Deliver(ctr Container) (managed bool, err error) {
	payload, err := json.Marshal(ctr)
	if err != nil {
		return false, ErrInvalidMetadata
	}
	resp, err := c.http.Post("http://agent/v1/containers", "application/json", bytes.NewReader(payload))
	if err != nil {
		return false, &UnreachableError{err}
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusCreated:
		return true, nil
	case http.StatusOK:
		var reply struct {
			Managed *bool `json:"managed"`
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes))
		if json.Unmarshal(body, &reply) == nil && reply.Managed != nil && !*reply.Managed {
			return false, nil
		}
		return false, &RefusedError{Status: resp.StatusCode, Message: "an answer that is neither delivered nor not-managed"}
	}
	return false, refused(resp)
}

// Forget tells the agent that the container is deleted (DELETE /v1/containers/{id}); a container
// the agent does not know is no error.
func (c *Client) Forget(id string) error {
	req, err := http.NewRequest(http.MethodDelete, "http://agent/v1/containers/"+url.PathEscape(id), nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return &UnreachableError{err}
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK, http.StatusNoContent, http.StatusNotFound:
		return nil
	}
	return refused(resp)
}

func refused(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes))
	e := &RefusedError{Status: resp.StatusCode}
	var reply struct {
		Error string `json:"error"`
		Code  string `json:"code"`
	}
	if json.Unmarshal(body, &reply) == nil && reply.Error != "" {
		e.Code, e.Message = reply.Code, reply.Error
	}
	return e
}
