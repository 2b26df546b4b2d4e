package wrapper

import (
	"testing"
	"time"
)

func TestSettingsFrom(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want settings
	}{
		{name: "defaults", env: map[string]string{}, want: settings{socket: "/run/ci-jwt/agent.sock", timeout: 10 * time.Second}},
		{name: "socket", env: map[string]string{"CI_JWT_AGENT_SOCKET": "/s"}, want: settings{socket: "/s", timeout: 10 * time.Second}},
		{name: "timeout", env: map[string]string{"CI_JWT_AGENT_TIMEOUT": "250ms"}, want: settings{socket: "/run/ci-jwt/agent.sock", timeout: 250 * time.Millisecond}},
		{name: "timeout that does not parse", env: map[string]string{"CI_JWT_AGENT_TIMEOUT": "10"}, want: settings{socket: "/run/ci-jwt/agent.sock", timeout: 10 * time.Second}},
		{name: "timeout not above zero", env: map[string]string{"CI_JWT_AGENT_TIMEOUT": "0s"}, want: settings{socket: "/run/ci-jwt/agent.sock", timeout: 10 * time.Second}},
		{name: "fail open true", env: map[string]string{"CI_JWT_FAIL_OPEN": "true"}, want: settings{socket: "/run/ci-jwt/agent.sock", timeout: 10 * time.Second, failOpen: true}},
		{name: "fail open YES", env: map[string]string{"CI_JWT_FAIL_OPEN": "YES"}, want: settings{socket: "/run/ci-jwt/agent.sock", timeout: 10 * time.Second, failOpen: true}},
		{name: "fail open 1", env: map[string]string{"CI_JWT_FAIL_OPEN": "1"}, want: settings{socket: "/run/ci-jwt/agent.sock", timeout: 10 * time.Second, failOpen: true}},
		{name: "fail open anything else is closed", env: map[string]string{"CI_JWT_FAIL_OPEN": "on"}, want: settings{socket: "/run/ci-jwt/agent.sock", timeout: 10 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := settingsFrom(func(k string) string { return tt.env[k] }); got != tt.want {
				t.Fatalf("settingsFrom = %+v, want %+v", got, tt.want)
			}
		})
	}
}
