package wrapper

import (
	"testing"
	"time"
)

// std is s with the identity settings' defaults: the annotation source, Concourse's namespace.
func std(s settings) settings {
	s.identity, s.namespace = identityAnnotation, "concourse"
	return s
}

func TestSettingsFrom(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want settings
	}{
		{name: "defaults", env: map[string]string{}, want: std(settings{socket: "/run/ci-jwt/agent.sock", timeout: 10 * time.Second})},
		{name: "socket", env: map[string]string{"CI_JWT_AGENT_SOCKET": "/s"}, want: std(settings{socket: "/s", timeout: 10 * time.Second})},
		{name: "timeout", env: map[string]string{"CI_JWT_AGENT_TIMEOUT": "250ms"}, want: std(settings{socket: "/run/ci-jwt/agent.sock", timeout: 250 * time.Millisecond})},
		{name: "timeout that does not parse", env: map[string]string{"CI_JWT_AGENT_TIMEOUT": "10"}, want: std(settings{socket: "/run/ci-jwt/agent.sock", timeout: 10 * time.Second})},
		{name: "timeout not above zero", env: map[string]string{"CI_JWT_AGENT_TIMEOUT": "0s"}, want: std(settings{socket: "/run/ci-jwt/agent.sock", timeout: 10 * time.Second})},
		{name: "fail open true", env: map[string]string{"CI_JWT_FAIL_OPEN": "true"}, want: std(settings{socket: "/run/ci-jwt/agent.sock", timeout: 10 * time.Second, failOpen: true})},
		{name: "fail open YES", env: map[string]string{"CI_JWT_FAIL_OPEN": "YES"}, want: std(settings{socket: "/run/ci-jwt/agent.sock", timeout: 10 * time.Second, failOpen: true})},
		{name: "fail open 1", env: map[string]string{"CI_JWT_FAIL_OPEN": "1"}, want: std(settings{socket: "/run/ci-jwt/agent.sock", timeout: 10 * time.Second, failOpen: true})},
		{name: "fail open anything else is closed", env: map[string]string{"CI_JWT_FAIL_OPEN": "on"}, want: std(settings{socket: "/run/ci-jwt/agent.sock", timeout: 10 * time.Second})},
		{name: "identity concourse", env: map[string]string{"CI_JWT_IDENTITY_SOURCE": "concourse"}, want: settings{socket: "/run/ci-jwt/agent.sock", timeout: 10 * time.Second, identity: "concourse", namespace: "concourse"}},
		{name: "identity annotation", env: map[string]string{"CI_JWT_IDENTITY_SOURCE": "annotation", "CI_JWT_CONCOURSE_NAMESPACE": "ci"}, want: settings{socket: "/run/ci-jwt/agent.sock", timeout: 10 * time.Second, identity: "annotation", namespace: "ci"}},
		{name: "identity misspelt is kept to be refused, never taken for annotation", env: map[string]string{"CI_JWT_IDENTITY_SOURCE": "Concourse "}, want: settings{socket: "/run/ci-jwt/agent.sock", timeout: 10 * time.Second, identity: "Concourse ", namespace: "concourse"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := settingsFrom(func(k string) string { return tt.env[k] }); got != tt.want {
				t.Fatalf("settingsFrom = %+v, want %+v", got, tt.want)
			}
		})
	}
}
