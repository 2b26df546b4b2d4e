package wrapper

import (
	"strings"
	"time"

	"github.com/cijwt/ci-jwt/runtime/internal/agent"
)

// defaultAgentTimeout bounds one request to the agent when CI_JWT_AGENT_TIMEOUT does not.
const defaultAgentTimeout = 10 * time.Second

// settings are the wrapper's environment variables, read once; the real runtime is found apart
// (realRuntime), since it depends on this program's own path too.
type settings struct {
	socket   string        // CI_JWT_AGENT_SOCKET
	timeout  time.Duration // CI_JWT_AGENT_TIMEOUT
	failOpen bool          // CI_JWT_FAIL_OPEN
	// identity is CI_JWT_IDENTITY_SOURCE: annotation (the default) sends only annotated
	// containers, with their metadata; concourse sends every container of Concourse's containerd
	// namespace (CI_JWT_CONCOURSE_NAMESPACE, default concourse), with none.
	identity  string
	namespace string
}

const (
	identityAnnotation = "annotation"
	identityConcourse  = "concourse"
)

// settingsFrom reads the settings through getenv (os.Getenv). A value that does not parse gets
// the default: the wrapper runs under a runtime's shim, where there is no one to tell.
func settingsFrom(getenv func(string) string) settings {
	s := settings{socket: agent.DefaultSocket, timeout: defaultAgentTimeout, identity: identityAnnotation, namespace: "concourse"}
	// Unlike the other settings, a value that does not parse is not defaulted: taking a misspelt
	// "concourse" for annotation would trust what a container's author writes.
	switch v := getenv("CI_JWT_IDENTITY_SOURCE"); v {
	case "", identityAnnotation:
	case identityConcourse:
		s.identity = identityConcourse
	default:
		s.identity = v
	}
	if ns := getenv("CI_JWT_CONCOURSE_NAMESPACE"); ns != "" {
		s.namespace = ns
	}
	if p := getenv("CI_JWT_AGENT_SOCKET"); p != "" {
		s.socket = p
	}
	if d, err := time.ParseDuration(getenv("CI_JWT_AGENT_TIMEOUT")); err == nil && d > 0 {
		s.timeout = d
	}
	switch strings.ToLower(getenv("CI_JWT_FAIL_OPEN")) {
	case "true", "1", "yes":
		s.failOpen = true
	}
	return s
}
