// Command ci-jwt-runtime is an OCI runtime wrapper: runc-compatible, it asks the ci-jwt worker
// agent to deliver a build's identity token into a container's bundle on create, tells the agent
// on delete, and otherwise executes the real runc with the same arguments. It starts no JVM, so
// containerd (BinaryName, or ctr run --runc-binary), Docker (--add-runtime) and Podman (--runtime)
// can use it per container at the cost of one request over a Unix socket. A call that is none of
// ci-jwt's business goes to runc before Go's runtime starts (fastpath.go, package fastpath).
//
// Only containers whose config.json carries the annotation org.cijwt.metadata are touched.
// Environment: CI_JWT_AGENT_SOCKET (default /run/ci-jwt/agent.sock), CI_JWT_RUNC (default: runc
// on PATH, never this program), CI_JWT_FAIL_OPEN=true to start a container without a token when
// the agent cannot be reached, CI_JWT_AGENT_TIMEOUT (default 10s).
package main

import (
	"os"

	"github.com/cijwt/ci-jwt/runtime/internal/wrapper"
)

func main() {
	os.Exit(wrapper.Run(os.Args[1:]))
}
