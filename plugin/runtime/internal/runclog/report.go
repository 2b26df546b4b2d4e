// Package runclog reports the wrapper's own failures where a runc caller looks for them: on
// standard error, and in runc's log file in runc's log format (containerd reads the reason a
// create failed from there).
package runclog

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
)

// prefix starts every line the wrapper writes, so that it is told apart from runc's own.
const prefix = "ci-jwt-runtime: "

// Level is a logrus level name, as runc writes it.
type Level string

const (
	Error   Level = "error"
	Warning Level = "warning"
)

// Reporter writes one line per report.
type Reporter struct {
	// Stderr receives every report.
	Stderr io.Writer
	// LogFile is runc's --log; empty when runc logs to standard error only.
	LogFile string
	// LogFormat is runc's --log-format: "json", else runc's text format.
	LogFormat string
	// Now stamps JSON lines; time.Now when nil.
	Now func() time.Time
}

// Report writes msg at level on Stderr and, when there is one, appends it to runc's log file.
func (r Reporter) Report(level Level, msg string) {
	fmt.Fprintln(r.Stderr, prefix+msg)
	if r.LogFile == "" {
		return
	}
	f, err := os.OpenFile(r.LogFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	if r.LogFormat == "json" {
		now := time.Now
		if r.Now != nil {
			now = r.Now
		}
		line, _ := json.Marshal(map[string]string{"level": string(level), "msg": prefix + msg,
			"time": now().UTC().Format(time.RFC3339Nano)})
		f.Write(append(line, '\n'))
	} else {
		fmt.Fprintf(f, "level=%s msg=%q\n", level, prefix+msg)
	}
}
