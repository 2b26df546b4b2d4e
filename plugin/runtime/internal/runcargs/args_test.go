package runcargs

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		args string
		want Invocation
	}{
		{
			name: "containerd's create",
			args: "--root /run/containerd/runc/default --log /b/log.json --log-format json create --bundle /b --pid-file /b/init.pid --console-socket /tmp/c.sock ctr-1",
			want: Invocation{Verb: "create", Bundle: "/b", ID: "ctr-1", LogFile: "/b/log.json", LogFormat: "json"},
		},
		{
			name: "global flags with equals",
			args: "--root=/r --log=/l --log-format=json create -b /b id",
			want: Invocation{Verb: "create", Bundle: "/b", ID: "id", LogFile: "/l", LogFormat: "json"},
		},
		{
			name: "short bundle",
			args: "--root=/r create -b /b2 --no-pivot id2",
			want: Invocation{Verb: "create", Bundle: "/b2", ID: "id2"},
		},
		{
			name: "bundle with equals",
			args: "create --bundle=/b3 id3",
			want: Invocation{Verb: "create", Bundle: "/b3", ID: "id3"},
		},
		{
			name: "global flags without a value",
			args: "--systemd-cgroup --debug create --bundle /b id",
			want: Invocation{Verb: "create", Bundle: "/b", ID: "id"},
		},
		{
			name: "global flags taking a value",
			args: "--criu /usr/sbin/criu --rootless false create --bundle /b id",
			want: Invocation{Verb: "create", Bundle: "/b", ID: "id"},
		},
		{
			name: "values of create's flags are not the id",
			args: "create --pid-file /p --preserve-fds 2 --console-socket /c.sock --no-new-keyring -b /b id",
			want: Invocation{Verb: "create", Bundle: "/b", ID: "id"},
		},
		{
			name: "flags after the id",
			args: "create id --bundle /b",
			want: Invocation{Verb: "create", Bundle: "/b", ID: "id"},
		},
		{
			name: "id after a double dash",
			args: "create --bundle /b -- id",
			want: Invocation{Verb: "create", Bundle: "/b", ID: "id"},
		},
		{
			name: "run",
			args: "run -d --keep -b /b id",
			want: Invocation{Verb: "run", Bundle: "/b", ID: "id"},
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
			name: "other verbs",
			args: "--root /r start ctr-9",
			want: Invocation{Verb: "start", ID: "ctr-9"},
		},
		{
			name: "no verb",
			args: "--root /r --version",
			want: Invocation{},
		},
		{
			name: "nothing",
			args: "",
			want: Invocation{},
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
