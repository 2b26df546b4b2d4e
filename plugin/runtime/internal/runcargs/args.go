// Package runcargs reads what the wrapper needs from a runc command line: the verb, the
// container id, the bundle and where runc keeps its log.
//
// runc reads its flags with Go's flag package (through urfave/cli), so every flag has four
// spellings, with one dash or two and its value apart or after "=": --bundle B, --bundle=B,
// -bundle B, -bundle=B; and the short -b B, -b=B, --b B. Global flags come before the verb; a
// verb's flags may come before or after the container id. Parse reads them all as runc does, so
// that a flag's value is never taken for the verb or the id.
package runcargs

import "strings"

// globalFlagsWithValue are runc's global flags that take a value (the others, --debug,
// --systemd-cgroup, --help and --version, take none).
var globalFlagsWithValue = map[string]bool{
	"root": true, "log": true, "log-format": true, "criu": true, "rootless": true,
}

// verbFlagsWithValue are, by verb, the flags that take a value (of the verbs the wrapper reads).
var verbFlagsWithValue = map[string]map[string]bool{
	"create": {"bundle": true, "b": true, "console-socket": true, "pid-file": true, "preserve-fds": true, "pidfd-socket": true},
	"run":    {"bundle": true, "b": true, "console-socket": true, "pid-file": true, "preserve-fds": true, "pidfd-socket": true},
	"exec": {"console-socket": true, "pidfd-socket": true, "cwd": true, "env": true, "e": true, "user": true, "u": true,
		"additional-gids": true, "g": true, "process": true, "p": true, "apparmor": true, "process-label": true,
		"pid-file": true, "cap": true, "c": true, "preserve-fds": true, "cgroup": true},
}

// Invocation is what the wrapper needs to know of one runc command line.
type Invocation struct {
	// Verb is runc's command (create, run, delete, ...); empty when the line has none.
	Verb string
	// Bundle is the bundle directory of create and run, "." (runc's default) when not given.
	Bundle string
	// ID is the container id: the last positional argument after the verb (for exec the first,
	// which the command to run follows).
	ID string
	// LogFile and LogFormat are runc's --log and --log-format.
	LogFile   string
	LogFormat string
	// Root is runc's --root: where it keeps container state. containerd's shims end it with the
	// containerd namespace (/run/containerd/runc/concourse for Concourse's containers).
	Root string
	// Process is exec's --process: the file with the spec of the process to start.
	Process string
	// PidFile is the --pid-file of create, run and exec; containerd's shims put it in the bundle.
	PidFile string
}

// Parse reads args (without the program name) as runc does. It never fails: a line runc would
// reject is left for runc to reject, with runc's own error.
func Parse(args []string) Invocation {
	var inv Invocation
	i := 0
	for ; i < len(args); i++ {
		if args[i] == "--" {
			i++
			break
		}
		name, value, hasValue, ok := splitFlag(args[i])
		if !ok {
			break
		}
		if !hasValue && globalFlagsWithValue[name] && i+1 < len(args) {
			i++
			value = args[i]
		}
		switch name {
		case "log":
			inv.LogFile = value
		case "log-format":
			inv.LogFormat = value
		case "root":
			inv.Root = value
		}
	}
	if i >= len(args) {
		return inv
	}
	inv.Verb = args[i]
	creates := inv.Verb == "create" || inv.Verb == "run"
	withValue := verbFlagsWithValue[inv.Verb]
	var positional []string
	for j := i + 1; j < len(args); j++ {
		if args[j] == "--" {
			positional = append(positional, args[j+1:]...)
			break
		}
		name, value, hasValue, ok := splitFlag(args[j])
		if !ok {
			positional = append(positional, args[j])
			if inv.Verb == "exec" {
				// exec's id is followed by the command to run, whose own flags are not runc's.
				break
			}
			continue
		}
		if withValue == nil {
			continue
		}
		if !hasValue && withValue[name] && j+1 < len(args) {
			j++
			value = args[j]
		}
		switch {
		case creates && (name == "bundle" || name == "b"):
			inv.Bundle = value
		case !creates && (name == "process" || name == "p"):
			inv.Process = value
		case name == "pid-file":
			inv.PidFile = value
		}
	}
	if len(positional) > 0 {
		inv.ID = positional[len(positional)-1]
	}
	if creates && inv.Bundle == "" {
		inv.Bundle = "."
	}
	return inv
}

// splitFlag reads arg as Go's flag package does: one or two dashes, the name, then "=value" or
// nothing. ok is false for an argument that is not a flag, "-" among them; "--", which ends the
// flags, is the caller's.
func splitFlag(arg string) (name, value string, hasValue, ok bool) {
	if len(arg) < 2 || arg[0] != '-' {
		return "", "", false, false
	}
	name = strings.TrimPrefix(arg[1:], "-")
	name, value, hasValue = strings.Cut(name, "=")
	return name, value, hasValue, true
}
