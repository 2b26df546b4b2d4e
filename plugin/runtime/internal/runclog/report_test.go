package runclog

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReport(t *testing.T) {
	at := time.Date(2026, 12, 6, 4, 17, 25, 123, time.FixedZone("CET", 3600))
	tests := []struct {
		name    string
		format  string
		level   Level
		msg     string
		wantLog string
	}{
		{
			name:    "json, as containerd asks runc for",
			format:  "json",
			level:   Error,
			msg:     `agent refused container c3: CJ101 metadata key "tema"`,
			wantLog: `{"level":"error","msg":"ci-jwt-runtime: agent refused container c3: CJ101 metadata key \"tema\"","time":"2026-12-06T03:17:25.000000123Z"}` + "\n",
		},
		{
			name:    "text, runc's default",
			format:  "",
			level:   Warning,
			msg:     `agent at /s was not told that "c5" is deleted`,
			wantLog: `level=warning msg="ci-jwt-runtime: agent at /s was not told that \"c5\" is deleted"` + "\n",
		},
		{
			name:    "text, named",
			format:  "text",
			level:   Error,
			msg:     "x",
			wantLog: `level=error msg="ci-jwt-runtime: x"` + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := filepath.Join(t.TempDir(), "log.json")
			// runc has written to its log before the wrapper does: the report is appended.
			if err := os.WriteFile(log, []byte("runc's line\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			r := Reporter{Stderr: &stderr, LogFile: log, LogFormat: tt.format, Now: func() time.Time { return at }}

			r.Report(tt.level, tt.msg)

			if got, want := stderr.String(), "ci-jwt-runtime: "+tt.msg+"\n"; got != want {
				t.Errorf("stderr = %q, want %q", got, want)
			}
			got, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			if want := "runc's line\n" + tt.wantLog; string(got) != want {
				t.Errorf("log = %q, want %q", got, want)
			}
		})
	}
}

func TestReportJSONIsOneObjectALine(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log.json")
	r := Reporter{Stderr: &bytes.Buffer{}, LogFile: log, LogFormat: "json"}
	r.Report(Error, "first\nsecond")
	r.Report(Warning, "third")

	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("log = %q, want two lines", data)
	}
	for i, line := range lines {
		var entry map[string]string
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("line %d %q: %v", i, line, err)
		}
		if _, err := time.Parse(time.RFC3339Nano, entry["time"]); err != nil || entry["level"] == "" || !strings.HasPrefix(entry["msg"], "ci-jwt-runtime: ") {
			t.Errorf("line %d = %v", i, entry)
		}
	}
}

func TestReportWithoutALogFile(t *testing.T) {
	var stderr bytes.Buffer
	Reporter{Stderr: &stderr}.Report(Error, "only here")
	if got := stderr.String(); got != "ci-jwt-runtime: only here\n" {
		t.Fatalf("stderr = %q", got)
	}

	// A log file that cannot be written does not stop the report on stderr.
	stderr.Reset()
	Reporter{Stderr: &stderr, LogFile: filepath.Join(t.TempDir(), "missing-dir", "log.json"), LogFormat: "json"}.Report(Error, "still here")
	if got := stderr.String(); got != "ci-jwt-runtime: still here\n" {
		t.Fatalf("stderr = %q", got)
	}
}
