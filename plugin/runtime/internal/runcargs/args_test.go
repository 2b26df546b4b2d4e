package runcargs

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// parseTests are runc command lines in the spellings runc accepts. "{dir}" stands for a directory:
// TestParse reads the lines as they are, TestParseAgreesWithRunc has real runc read them too, with
// {dir} a fresh directory, so every path that runc touches lies inside it.
var parseTests = []struct {
	name string
	args string
	want Invocation
}{
	{
		name: "containerd's create",
		args: "--root {dir}/root --log {dir}/log.json --log-format json create --bundle {dir}/b --pid-file {dir}/init.pid --console-socket {dir}/c.sock ctr-1",
		want: Invocation{Verb: "create", Bundle: "{dir}/b", ID: "ctr-1", LogFile: "{dir}/log.json", LogFormat: "json"},
	},
	{
		name: "--bundle B",
		args: "--root {dir}/root create --bundle {dir}/b id",
		want: Invocation{Verb: "create", Bundle: "{dir}/b", ID: "id"},
	},
	{
		name: "--bundle=B",
		args: "--root {dir}/root create --bundle={dir}/b id",
		want: Invocation{Verb: "create", Bundle: "{dir}/b", ID: "id"},
	},
	{
		name: "-bundle B",
		args: "--root {dir}/root create -bundle {dir}/b id",
		want: Invocation{Verb: "create", Bundle: "{dir}/b", ID: "id"},
	},
	{
		name: "-bundle=B",
		args: "--root {dir}/root create -bundle={dir}/b id",
		want: Invocation{Verb: "create", Bundle: "{dir}/b", ID: "id"},
	},
	{
		name: "-b B",
		args: "--root {dir}/root create -b {dir}/b --no-pivot id",
		want: Invocation{Verb: "create", Bundle: "{dir}/b", ID: "id"},
	},
	{
		name: "-b=B",
		args: "--root {dir}/root create -b={dir}/b id",
		want: Invocation{Verb: "create", Bundle: "{dir}/b", ID: "id"},
	},
	{
		name: "--b B",
		args: "--root {dir}/root create --b {dir}/b id",
		want: Invocation{Verb: "create", Bundle: "{dir}/b", ID: "id"},
	},
	{
		name: "global flags with equals",
		args: "--root={dir}/root --log={dir}/log --log-format=json create -b {dir}/b id",
		want: Invocation{Verb: "create", Bundle: "{dir}/b", ID: "id", LogFile: "{dir}/log", LogFormat: "json"},
	},
	{
		name: "global flags with one dash",
		args: "-root {dir}/root -log {dir}/log -log-format json create -bundle {dir}/b id",
		want: Invocation{Verb: "create", Bundle: "{dir}/b", ID: "id", LogFile: "{dir}/log", LogFormat: "json"},
	},
	{
		name: "global flags with one dash and equals",
		args: "-root={dir}/root -log={dir}/log -log-format=text create -b {dir}/b id",
		want: Invocation{Verb: "create", Bundle: "{dir}/b", ID: "id", LogFile: "{dir}/log", LogFormat: "text"},
	},
	{
		name: "global flags without a value",
		args: "--root {dir}/root --systemd-cgroup -debug create --bundle {dir}/b id",
		want: Invocation{Verb: "create", Bundle: "{dir}/b", ID: "id"},
	},
	{
		name: "global flags taking a value",
		args: "--root {dir}/root --criu {dir}/criu -rootless false create --bundle {dir}/b id",
		want: Invocation{Verb: "create", Bundle: "{dir}/b", ID: "id"},
	},
	{
		name: "a global flag's value is not the verb",
		args: "-root delete --log create create -bundle {dir}/b id",
		want: Invocation{Verb: "create", Bundle: "{dir}/b", ID: "id", LogFile: "create"},
	},
	{
		name: "a double dash ends the global flags",
		args: "--root {dir}/root -- create -bundle {dir}/b id",
		want: Invocation{Verb: "create", Bundle: "{dir}/b", ID: "id"},
	},
	{
		name: "values of create's flags are not the id",
		args: "--root {dir}/root create --pid-file {dir}/p -preserve-fds 0 --console-socket {dir}/c.sock --no-new-keyring -b {dir}/b id",
		want: Invocation{Verb: "create", Bundle: "{dir}/b", ID: "id"},
	},
	{
		name: "flags after the id",
		args: "--root {dir}/root create id -bundle {dir}/b",
		want: Invocation{Verb: "create", Bundle: "{dir}/b", ID: "id"},
	},
	{
		name: "id after a double dash",
		args: "--root {dir}/root create --bundle {dir}/b -- id",
		want: Invocation{Verb: "create", Bundle: "{dir}/b", ID: "id"},
	},
	{
		name: "run",
		args: "--root {dir}/root run -d --keep -bundle {dir}/b id",
		want: Invocation{Verb: "run", Bundle: "{dir}/b", ID: "id"},
	},
	{
		name: "create without a bundle is in the current directory",
		args: "create id",
		want: Invocation{Verb: "create", Bundle: ".", ID: "id"},
	},
	{
		name: "delete has an id and no bundle",
		args: "--root /r delete --force ctr-9",
		want: Invocation{Verb: "delete", ID: "ctr-9"},
	},
	{
		name: "delete with one dash",
		args: "-root /r -log /l delete -f ctr-9",
		want: Invocation{Verb: "delete", ID: "ctr-9", LogFile: "/l"},
	},
	{
		name: "other verbs",
		args: "-root /r start ctr-9",
		want: Invocation{Verb: "start", ID: "ctr-9"},
	},
	{
		name: "no verb",
		args: "--root /r --version",
		want: Invocation{},
	},
	{
		name: "a global flag without its value",
		args: "--root",
		want: Invocation{},
	},
	{
		name: "nothing",
		args: "",
		want: Invocation{},
	},
}

// expand replaces {dir} in s by dir.
func expand(s, dir string) string {
	return strings.ReplaceAll(s, "{dir}", dir)
}

// withoutPaths is inv without Root, Process and PidFile, which TestParsePaths checks: the
// spelling tables above predate them.
func withoutPaths(inv Invocation) Invocation {
	inv.Root, inv.Process, inv.PidFile = "", "", ""
	return inv
}

func TestParsePaths(t *testing.T) {
	tests := []struct {
		name string
		args string
		want Invocation
	}{
		{
			name: "containerd's create in Concourse's namespace",
			args: "--root /run/containerd/runc/concourse --log /b/log.json --log-format json create --bundle /b --pid-file /b/init.pid --no-new-keyring h1",
			want: Invocation{Verb: "create", Bundle: "/b", ID: "h1", LogFile: "/b/log.json", LogFormat: "json",
				Root: "/run/containerd/runc/concourse", PidFile: "/b/init.pid"},
		},
		{
			name: "containerd's exec of a task's command",
			args: "--root /run/containerd/runc/concourse exec --process /tmp/runc-process1 --console-socket /tmp/pty.sock --detach --pid-file /b/task.pid h1",
			want: Invocation{Verb: "exec", ID: "h1", Root: "/run/containerd/runc/concourse", Process: "/tmp/runc-process1", PidFile: "/b/task.pid"},
		},
		{
			name: "exec's short and = spellings",
			args: "-root=/r exec -p=/tmp/p -e A=1 --pid-file=/b/p.pid -u 0 h2",
			want: Invocation{Verb: "exec", ID: "h2", Root: "/r", Process: "/tmp/p", PidFile: "/b/p.pid"},
		},
		{
			name: "exec without a process file runs a command line",
			args: "exec --tty h3 sh -c true",
			want: Invocation{Verb: "exec", ID: "h3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Parse(strings.Fields(tt.args)); got != tt.want {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.args, got, tt.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			if got := withoutPaths(Parse(strings.Fields(tt.args))); got != tt.want {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.args, got, tt.want)
			}
		})
	}
}

// TestParseAgreesWithRunc has runc itself read each create and run line of parseTests, with a
// bundle that does not exist. runc stops at its chdir into the bundle, naming the bundle it read,
// and reaches that chdir only once it has found its verb and exactly one argument besides flags.
func TestParseAgreesWithRunc(t *testing.T) {
	runc, err := exec.LookPath("runc")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("runc not found (CI=true requires it): %v", err)
		}
		t.Skipf("runc not found: %v", err)
	}
	for _, tt := range parseTests {
		if (tt.want.Verb != "create" && tt.want.Verb != "run") || tt.want.Bundle == "." {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			args := strings.Fields(expand(tt.args, dir))
			want := tt.want
			want.Bundle, want.LogFile = expand(want.Bundle, dir), expand(want.LogFile, dir)
			if got := withoutPaths(Parse(args)); got != want {
				t.Fatalf("Parse(%q)\n got %+v\nwant %+v", args, got, want)
			}

			cmd := exec.Command(runc, args...)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("runc %q succeeded: %s", args, out)
			}
			said := string(out)
			if want.LogFile != "" && filepath.IsAbs(want.LogFile) {
				logged, _ := os.ReadFile(want.LogFile)
				said += string(logged)
			}
			if failed := "runc " + want.Verb + " failed: chdir " + want.Bundle + ": "; !strings.Contains(said, failed) {
				t.Fatalf("runc %q said %q, want %q", args, said, failed)
			}
		})
	}
}
