// Package runcargs reads what the wrapper needs from a runc command line: the verb, the
// container id, the bundle and where runc keeps its log.
package runcargs

import "strings"

// globalFlagsWithValue are runc's global options that take a separate value.
var globalFlagsWithValue = map[string]bool{
	"--root": true, "--log": true, "--log-format": true, "--criu": true, "--rootless": true,
}

// createFlagsWithValue are the options of runc create/run that take a separate value.
var createFlagsWithValue = map[string]bool{
	"--bundle": true, "-b": true, "--console-socket": true, "--pid-file": true, "--preserve-fds": true,
	"--pidfd-socket": true,
}

// Invocation is what the wrapper needs to know of one runc command line.
type Invocation struct {
	// Verb is runc's command (create, run, delete, ...); empty when the line has none.
	Verb string
	// Bundle is the bundle directory of create and run, "." (runc's default) when not given.
	Bundle string
	// ID is the container id: the last positional argument after the verb.
	ID string
	// LogFile and LogFormat are runc's --log and --log-format.
	LogFile   string
	LogFormat string
}

// Parse reads args (without the program name) as runc does. It never fails: a line runc would
// reject is left for runc to reject, with runc's own error.
func Parse(args []string) Invocation {
	var inv Invocation
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			break
		}
		name, value, hasValue := strings.Cut(a, "=")
		if !hasValue && globalFlagsWithValue[name] && i+1 < len(args) {
			i++
			value = args[i]
		}
		switch name {
		case "--log":
			inv.LogFile = value
		case "--log-format":
			inv.LogFormat = value
		}
	}
	if i >= len(args) {
		return inv
	}
	inv.Verb = args[i]
	creates := inv.Verb == "create" || inv.Verb == "run"
	var positional []string
	for j := i + 1; j < len(args); j++ {
		a := args[j]
		if a == "--" {
			positional = append(positional, args[j+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") {
			name, value, hasValue := strings.Cut(a, "=")
			if !hasValue && createFlagsWithValue[name] && j+1 < len(args) && creates {
				j++
				value = args[j]
			}
			if name == "--bundle" || name == "-b" {
				inv.Bundle = value
			}
			continue
		}
		positional = append(positional, a)
	}
	if len(positional) > 0 {
		inv.ID = positional[len(positional)-1]
	}
	if creates && inv.Bundle == "" {
		inv.Bundle = "."
	}
	return inv
}
