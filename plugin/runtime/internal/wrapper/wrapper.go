// Package wrapper is the flow of ci-jwt-runtime: on create (or run) of an annotated container it
// has the agent deliver the build's tokens into the bundle, on delete it tells the agent, and in
// every case it then hands over to the real runc with the same arguments.
package wrapper

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/cijwt/ci-jwt/runtime/internal/agent"
	"github.com/cijwt/ci-jwt/runtime/internal/bundle"
	"github.com/cijwt/ci-jwt/runtime/internal/runcargs"
	"github.com/cijwt/ci-jwt/runtime/internal/runclog"
	"github.com/cijwt/ci-jwt/runtime/internal/tokenclient"
)

// Run is the wrapper's main: args are runc's (without the program name), the result is the exit
// code. On success it does not return: the real runtime replaces this process (syscall.Exec),
// except for delete, after which the agent is told.
func Run(args []string) int {
	// Not a runc verb: inside a container, ask the agent for a token on the container's socket.
	if len(args) > 0 && args[0] == "token" {
		return tokenclient.Main(args[1:], os.Stdout, os.Stderr)
	}
	self, _ := os.Executable()
	runc, err := realRuntime(os.Getenv, self)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ci-jwt-runtime: "+err.Error())
		return 1
	}
	inv := runcargs.Parse(args)
	s := settingsFrom(os.Getenv)
	client := agent.New(s.socket, s.timeout)
	log := runclog.Reporter{Stderr: os.Stderr, LogFile: inv.LogFile, LogFormat: inv.LogFormat}
	switch inv.Verb {
	case "create", "run":
		if code, proceed := create(client, inv, s, log); !proceed {
			return code
		}
	case "exec":
		if err := passTokenToProcess(inv); err != nil {
			log.Report(runclog.Error, fmt.Sprintf("cannot give the token to the process started in container %s: %v", inv.ID, err))
			return 1
		}
	case "delete":
		code := runChild(runc, args)
		if inv.ID != "" {
			if err := client.Forget(inv.ID); err != nil {
				log.Report(runclog.Warning, fmt.Sprintf("agent at %s was not told that %s is deleted: %v", s.socket, inv.ID, err))
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

// create has the agent deliver the tokens of a container ci-jwt may manage: under the annotation
// source an annotated one, under the concourse source every one in Concourse's namespace. proceed
// says whether runc may create it, else code is the exit code.
func create(client *agent.Client, inv runcargs.Invocation, s settings, log runclog.Reporter) (code int, proceed bool) {
	failOpen := s.failOpen
	switch s.identity {
	case identityAnnotation:
	case identityConcourse:
		return createFromConcourse(client, inv, s, log)
	default:
		log.Report(runclog.Error, fmt.Sprintf("CI_JWT_IDENTITY_SOURCE=%q is neither annotation nor concourse; container %s not created", s.identity, inv.ID))
		return 1, false
	}
	ann, err := bundle.Read(inv.Bundle)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// No bundle at all: runc gives the authoritative error.
		return 0, true
	case err != nil && failOpen:
		log.Report(runclog.Warning, fmt.Sprintf("cannot tell whether container %s is ci-jwt's (%v); starting it WITHOUT a token (CI_JWT_FAIL_OPEN)", inv.ID, err))
		return 0, true
	case err != nil:
		// A config.json we cannot read may carry the annotation: never start such a container silently.
		log.Report(runclog.Error, fmt.Sprintf("cannot tell whether container %s is ci-jwt's: %v; container not created", inv.ID, err))
		return 1, false
	}
	metadata, ours := ann.Metadata()
	if !ours {
		return 0, true
	}
	return answered(client, inv, failOpen, log, deliver(client, inv, ann, metadata))
}

// createFromConcourse sends a container of Concourse's namespace to the agent, which asks
// Concourse which build it belongs to; an annotation is never read. Containers of other
// namespaces are not Concourse's and go to runc untouched.
func createFromConcourse(client *agent.Client, inv runcargs.Invocation, s settings, log runclog.Reporter) (int, bool) {
	if filepath.Base(inv.Root) != s.namespace {
		return 0, true
	}
	dir, err := filepath.Abs(inv.Bundle)
	if err != nil {
		return answered(client, inv, s.failOpen, log, err)
	}
	_, err = client.Deliver(agent.Container{ID: inv.ID, Bundle: dir})
	return answered(client, inv, s.failOpen, log, err)
}

// answered turns the agent's answer to a create into the wrapper's: go on, or stop with one line.
func answered(client *agent.Client, inv runcargs.Invocation, failOpen bool, log runclog.Reporter, err error) (int, bool) {
	if err == nil {
		return 0, true
	}
	var unreachable *agent.UnreachableError
	switch {
	case errors.As(err, &unreachable) && failOpen:
		log.Report(runclog.Warning, fmt.Sprintf("agent at %s unreachable (%v); starting container %s WITHOUT a token (CI_JWT_FAIL_OPEN)", client.Socket(), unreachable.Err, inv.ID))
		return 0, true
	case errors.As(err, &unreachable):
		log.Report(runclog.Error, fmt.Sprintf("cannot reach the ci-jwt agent at %s: %v; container %s not created", client.Socket(), unreachable.Err, inv.ID))
	default:
		log.Report(runclog.Error, fmt.Sprintf("agent refused container %s: %v", inv.ID, err))
	}
	return 1, false
}

func deliver(client *agent.Client, inv runcargs.Invocation, ann bundle.Annotations, metadata string) error {
	dir, err := filepath.Abs(inv.Bundle)
	if err != nil {
		return err
	}
	ctr := agent.Container{ID: inv.ID, Bundle: dir, Metadata: []byte(metadata)}
	if p, ok := ann.Profile(); ok {
		ctr.Profile = &p
	}
	_, err = client.Deliver(ctr)
	return err
}
