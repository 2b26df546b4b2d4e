package agent

import (
	"errors"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cijwt/ci-jwt/runtime/internal/agent/agenttest"
)

func profile(p string) *string { return &p }

func TestClientDeliver(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		ctr     Container
		wantErr string // "" for success
		wantRaw map[string]any
		// wantUnmanaged is an answer that the agent manages no such container (200 managed: false).
		wantUnmanaged bool
	}{
		{
			name:    "created",
			status:  http.StatusCreated,
			ctr:     Container{ID: "c1", Bundle: "/b", Metadata: []byte(`{"team":"main"}`), Profile: profile("vault")},
			wantRaw: map[string]any{"id": "c1", "bundle": "/b", "metadata": map[string]any{"team": "main"}, "profile": "vault"},
		},
		{
			name:    "without a profile none is sent",
			status:  http.StatusCreated,
			ctr:     Container{ID: "c2", Bundle: "/b", Metadata: []byte(`{}`)},
			wantRaw: map[string]any{"id": "c2", "bundle": "/b", "metadata": map[string]any{}},
		},
		{
			name:    "an empty profile is sent as asked",
			status:  http.StatusCreated,
			ctr:     Container{ID: "c3", Bundle: "/b", Metadata: []byte(`{}`), Profile: profile("")},
			wantRaw: map[string]any{"id": "c3", "bundle": "/b", "metadata": map[string]any{}, "profile": ""},
		},
		{
			name:    "without metadata (the concourse identity source) none is sent",
			status:  http.StatusCreated,
			ctr:     Container{ID: "c8", Bundle: "/b"},
			wantRaw: map[string]any{"id": "c8", "bundle": "/b"},
		},
		{
			name:          "not managed: nothing delivered, no error",
			status:        http.StatusOK,
			body:          `{"id":"c9","managed":false,"reason":"a check container"}`,
			ctr:           Container{ID: "c9", Bundle: "/b"},
			wantRaw:       map[string]any{"id": "c9", "bundle": "/b"},
			wantUnmanaged: true,
		},
		{
			name:    "a 200 that does not say managed: false is no success",
			status:  http.StatusOK,
			body:    `{"id":"c10"}`,
			ctr:     Container{ID: "c10", Bundle: "/b"},
			wantErr: "an answer that is neither delivered nor not-managed",
		},
		{
			name:    "refused with the agent's code",
			status:  http.StatusBadRequest,
			ctr:     Container{ID: "c4", Bundle: "/b", Metadata: []byte(`{"tema":"main"}`)},
			wantErr: "CJ101 metadata key 'tema' is not a build metadata key",
		},
		{
			name:    "refused without a code",
			status:  http.StatusConflict,
			body:    `{"error":"container c5 exists"}`,
			ctr:     Container{ID: "c5", Bundle: "/b", Metadata: []byte(`{}`)},
			wantErr: "container c5 exists",
		},
		{
			name:    "refused by something that is not the agent",
			status:  http.StatusBadGateway,
			body:    `<html>bad gateway</html>`,
			ctr:     Container{ID: "c6", Bundle: "/b", Metadata: []byte(`{}`)},
			wantErr: "HTTP 502",
		},
		{
			name:    "a refusal longer than the limit is not read whole",
			status:  http.StatusBadRequest,
			body:    `{"code":"CJ101","error":"` + strings.Repeat("x", maxReplyBytes) + `"}`,
			ctr:     Container{ID: "c7", Bundle: "/b", Metadata: []byte(`{}`)},
			wantErr: "HTTP 400",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := agenttest.Start(t, t.TempDir(), tt.status)
			a.Answer(tt.status, tt.body)

			managed, err := New(a.Socket, 5*time.Second).Deliver(tt.ctr)

			if tt.wantErr == "" {
				if err != nil || managed == tt.wantUnmanaged {
					t.Fatalf("Deliver = %v, %v; want managed %v", managed, err, !tt.wantUnmanaged)
				}
				reqs := a.Requests()
				if len(reqs) != 1 || reqs[0].Method != http.MethodPost || reqs[0].Path != "/v1/containers" {
					t.Fatalf("requests = %+v", reqs)
				}
				if !reflect.DeepEqual(reqs[0].Body, tt.wantRaw) {
					t.Fatalf("body = %v, want %v", reqs[0].Body, tt.wantRaw)
				}
				return
			}
			var refused *RefusedError
			if !errors.As(err, &refused) || refused.Status != tt.status || err.Error() != tt.wantErr {
				t.Fatalf("err = %v (%T), want a *RefusedError with status %d saying %q", err, err, tt.status, tt.wantErr)
			}
		})
	}
}

// deliverErr is Deliver's error alone.
func deliverErr(c *Client, ctr Container) error {
	_, err := c.Deliver(ctr)
	return err
}

func TestClientDeliverErrors(t *testing.T) {
	t.Run("no agent on the socket", func(t *testing.T) {
		err := deliverErr(New(filepath.Join(t.TempDir(), "missing.sock"), time.Second), Container{ID: "c", Metadata: []byte(`{}`)})
		var unreachable *UnreachableError
		if !errors.As(err, &unreachable) || !errors.Is(err, syscall.ENOENT) {
			t.Fatalf("err = %v (%T), want an *UnreachableError wrapping ENOENT", err, err)
		}
	})
	t.Run("agent slower than the timeout", func(t *testing.T) {
		a := agenttest.Start(t, t.TempDir(), http.StatusCreated)
		a.Stall(2 * time.Second)
		err := deliverErr(New(a.Socket, 50*time.Millisecond), Container{ID: "c", Metadata: []byte(`{}`)})
		var unreachable *UnreachableError
		if !errors.As(err, &unreachable) {
			t.Fatalf("err = %v (%T), want an *UnreachableError", err, err)
		}
	})
	t.Run("metadata that is not JSON", func(t *testing.T) {
		a := agenttest.Start(t, t.TempDir(), http.StatusCreated)
		err := deliverErr(New(a.Socket, time.Second), Container{ID: "c", Metadata: []byte(`{team`)})
		if !errors.Is(err, ErrInvalidMetadata) {
			t.Fatalf("err = %v, want ErrInvalidMetadata", err)
		}
		if reqs := a.Requests(); len(reqs) != 0 {
			t.Fatalf("the agent was asked: %+v", reqs)
		}
	})
}

func TestClientForget(t *testing.T) {
	tests := []struct {
		name     string
		id       string
		status   int
		wantPath string
		refused  bool
	}{
		{name: "deleted", id: "c1", status: http.StatusNoContent, wantPath: "/v1/containers/c1"},
		{name: "ok", id: "c2", status: http.StatusOK, wantPath: "/v1/containers/c2"},
		{name: "unknown to the agent", id: "c3", status: http.StatusNotFound, wantPath: "/v1/containers/c3"},
		{name: "id escaped into one path segment", id: "a/../b c", status: http.StatusNoContent, wantPath: "/v1/containers/a%2F..%2Fb%20c"},
		{name: "agent fails", id: "c4", status: http.StatusInternalServerError, wantPath: "/v1/containers/c4", refused: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := agenttest.Start(t, t.TempDir(), tt.status)

			err := New(a.Socket, 5*time.Second).Forget(tt.id)

			var refused *RefusedError
			if tt.refused != errors.As(err, &refused) || (!tt.refused && err != nil) {
				t.Fatalf("err = %v, want refused: %v", err, tt.refused)
			}
			reqs := a.Requests()
			if len(reqs) != 1 || reqs[0].Method != http.MethodDelete || reqs[0].Path != tt.wantPath {
				t.Fatalf("requests = %+v, want DELETE %s", reqs, tt.wantPath)
			}
		})
	}
	t.Run("no agent on the socket", func(t *testing.T) {
		err := New(filepath.Join(t.TempDir(), "missing.sock"), time.Second).Forget("c")
		var unreachable *UnreachableError
		if !errors.As(err, &unreachable) {
			t.Fatalf("err = %v (%T), want an *UnreachableError", err, err)
		}
	})
}

func TestClientForgetIfStopped(t *testing.T) {
	tests := []struct {
		name          string
		status        int
		body          string
		wantForgotten bool
		wantRefused   bool
	}{
		{name: "stopped, forgotten", status: http.StatusNoContent, wantForgotten: true},
		{name: "unknown to the agent", status: http.StatusNotFound, wantForgotten: true},
		{name: "still running", status: http.StatusConflict, body: `{"code":"CJ515","error":"container c1 still runs"}`},
		{name: "another conflict", status: http.StatusConflict, body: `{"code":"CJ506","error":"container c1 is still being created"}`, wantRefused: true},
		{name: "agent fails", status: http.StatusInternalServerError, wantRefused: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := agenttest.Start(t, t.TempDir(), tt.status)
			a.Answer(tt.status, tt.body)

			forgotten, err := New(a.Socket, 5*time.Second).ForgetIfStopped("c1")

			var refused *RefusedError
			if forgotten != tt.wantForgotten || tt.wantRefused != errors.As(err, &refused) || (!tt.wantRefused && err != nil) {
				t.Fatalf("forgotten %v, err %v; want %v, refused %v", forgotten, err, tt.wantForgotten, tt.wantRefused)
			}
			if reqs := a.Requests(); len(reqs) != 1 || reqs[0].Method != http.MethodDelete || reqs[0].Path != "/v1/containers/c1" ||
				reqs[0].Query != "if=stopped" {
				t.Fatalf("requests = %+v, want DELETE /v1/containers/c1?if=stopped", reqs)
			}
		})
	}
}
