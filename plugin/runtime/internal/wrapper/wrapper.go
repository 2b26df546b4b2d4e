// Package wrapper is the flow of ci-jwt-runtime: on create (or run) of an annotated container it
// has the agent deliver the build's tokens into the bundle, on delete of such a container it tells
// the agent, and in every case it then hands over to the real runc with the same arguments.
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
	"github.com/cijwt/ci-jwt/runtime/internal/marker"
	"github.com/cijwt/ci-jwt/runtime/internal/runcargs"
	"github.com/cijwt/ci-jwt/runtime/internal/runclog"
	"github.com/cijwt/ci-jwt/runtime/internal/tokenclient"
)

// Run is the wrapper's main: args are runc's (without the program name), the result is the exit
// code. On success it does not return: the real runtime replaces this process (syscall.Exec),
// except for the delete of a delivered container that still runs, after which the agent is told.
//
// Only create (and run) of a container that may be ci-jwt's reads its bundle and asks the agent;
// every later call tells ci-jwt's containers from the others by the wrapper's own marker
// (package marker), so a container ci-jwt does not manage costs no more than this program's
// start on any call, and most of those calls never get here: the fast path (package fastpath)
// executes runc before Go's runtime starts.
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
	marks := marker.Beside(s.socket)
	log := runclog.Reporter{Stderr: os.Stderr, LogFile: inv.LogFile, LogFormat: inv.LogFormat}
	switch inv.Verb {
	case "create", "run":
		if code, proceed := create(agent.New(s.socket, s.timeout), marks, inv, s, log); !proceed {
			return code
		}
	case "exec":
		if !marks.Marked(inv.Root, inv.ID) {
			break
		}
		if err := passTokenToProcess(inv); err != nil {
			log.Report(runclog.Error, fmt.Sprintf("cannot give the token to the process started in container %s: %v", inv.ID, err))
			return 1
		}
	case "delete":
		if inv.ID != "" && marks.Marked(inv.Root, inv.ID) {
			if code, proceed := deleteDelivered(runc, args, agent.New(s.socket, s.timeout), marks, inv, s, log); !proceed {
				return code
			}
		}
	}
	if err := syscall.Exec(runc, append([]string{runc}, args...), os.Environ()); err != nil {
		fmt.Fprintf(os.Stderr, "ci-jwt-runtime: cannot execute %s: %v\n", runc, err)
		return 1
	}
	return 0
}

// deleteDelivered deletes a container ci-jwt delivered to. First it asks the agent to forget the
// container if its init process has ended, as it has whenever containerd deletes; then, the
// marker gone, runc's delete replaces this process (proceed true), as for any other container. A
// container whose init process still runs (runc delete --force kills it; without --force runc
// refuses) keeps its tokens until runc is done: runc's delete runs as a child, the agent is told
// after it, and when runc failed and the container is still there, it keeps its tokens and its
// marker (code is then the exit code).
func deleteDelivered(runc string, args []string, client *agent.Client, marks marker.Dir, inv runcargs.Invocation, s settings,
	log runclog.Reporter) (code int, proceed bool) {
	forgotten, ferr := client.ForgetIfStopped(inv.ID)
	if forgotten {
		unmark(marks, inv, log)
		return 0, true
	}
	code = runChild(runc, args)
	if code != 0 && stillThere(inv) {
		return code, false
	}
	if ferr == nil {
		// It still ran when the agent looked, and runc has deleted it since.
		ferr = client.Forget(inv.ID)
	}
	if ferr != nil {
		log.Report(runclog.Warning, fmt.Sprintf("agent at %s was not told that %s is deleted: %v", s.socket, inv.ID, ferr))
	}
	unmark(marks, inv, log)
	return code, false
}

func unmark(marks marker.Dir, inv runcargs.Invocation, log runclog.Reporter) {
	if err := marks.Unmark(inv.Root, inv.ID); err != nil {
		log.Report(runclog.Warning, fmt.Sprintf("the marker of deleted container %s is left: %v", inv.ID, err))
	}
}

// stillThere says whether runc still keeps the state of the container: runc's state directory
// is ROOT/ID (ROOT /run/runc unless --root says otherwise).
func stillThere(inv runcargs.Invocation) bool {
	root := inv.Root
	if root == "" {
		root = "/run/runc"
	}
	_, err := os.Lstat(filepath.Join(root, inv.ID, "state.json"))
	return err == nil
}

// create has the agent deliver the tokens of a container ci-jwt may manage: under the annotation
// source an annotated one, under the concourse source every one in Concourse's namespace. proceed
// says whether runc may create it, else code is the exit code.
func create(client *agent.Client, marks marker.Dir, inv runcargs.Invocation, s settings, log runclog.Reporter) (code int, proceed bool) {
	failOpen := s.failOpen
	switch s.identity {
	case identityAnnotation:
	case identityConcourse:
		return createFromConcourse(client, marks, inv, s, log)
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
	if code, proceed, ask := mark(marks, inv, failOpen, log); !ask {
		return code, proceed
	}
	managed, err := deliver(client, inv, ann, metadata)
	return settled(client, marks, inv, failOpen, log, managed, err)
}

// mark writes the container's marker before the agent is asked (see package marker); ask says
// whether to go on and ask. Without a marker, the delete would not reach the agent: the create
// fails closed, or under fail-open the container starts without a token.
func mark(marks marker.Dir, inv runcargs.Invocation, failOpen bool, log runclog.Reporter) (code int, proceed, ask bool) {
	err := marks.Mark(inv.Root, inv.ID)
	switch {
	case err == nil:
		return 0, true, true
	case failOpen:
		log.Report(runclog.Warning, fmt.Sprintf("cannot write the marker of container %s in %s (%v); starting it WITHOUT a token (CI_JWT_FAIL_OPEN)",
			inv.ID, string(marks), err))
		return 0, true, false
	default:
		log.Report(runclog.Error, fmt.Sprintf("cannot write the marker of container %s in %s: %v; container not created", inv.ID, string(marks), err))
		return 1, false, false
	}
}

// settled turns the agent's answer into the wrapper's (answered) and drops the marker of a
// container the agent certainly delivered nothing to: it refused, or does not manage it. After an
// unreachable agent the marker stays: the agent may have delivered before the answer was lost.
func settled(client *agent.Client, marks marker.Dir, inv runcargs.Invocation, failOpen bool, log runclog.Reporter, managed bool, err error) (int, bool) {
	var unreachable *agent.UnreachableError
	if (err == nil && !managed) || (err != nil && !errors.As(err, &unreachable)) {
		if uerr := marks.Unmark(inv.Root, inv.ID); uerr != nil {
			log.Report(runclog.Warning, fmt.Sprintf("the marker of container %s is left: %v", inv.ID, uerr))
		}
	}
	return answered(client, inv, failOpen, log, err)
}

// createFromConcourse sends a container of Concourse's namespace to the agent, which asks
// Concourse which build it belongs to; an annotation is never read. Containers of other
// namespaces are not Concourse's and go to runc untouched.
func createFromConcourse(client *agent.Client, marks marker.Dir, inv runcargs.Invocation, s settings, log runclog.Reporter) (int, bool) {
	if filepath.Base(inv.Root) != s.namespace {
		return 0, true
	}
	dir, err := filepath.Abs(inv.Bundle)
	if err != nil {
		return answered(client, inv, s.failOpen, log, err)
	}
	if code, proceed, ask := mark(marks, inv, s.failOpen, log); !ask {
		return code, proceed
	}
	managed, err := client.Deliver(agent.Container{ID: inv.ID, Bundle: dir})
	return settled(client, marks, inv, s.failOpen, log, managed, err)
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

func deliver(client *agent.Client, inv runcargs.Invocation, ann bundle.Annotations, metadata string) (bool, error) {
	dir, err := filepath.Abs(inv.Bundle)
	if err != nil {
		return false, err
	}
	ctr := agent.Container{ID: inv.ID, Bundle: dir, Metadata: []byte(metadata)}
	if p, ok := ann.Profile(); ok {
		ctr.Profile = &p
	}
	return client.Deliver(ctr)
}
