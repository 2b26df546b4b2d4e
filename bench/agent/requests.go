package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// requests measures POST /v1/tokens on containers' token sockets: it starts N real runc
// containers (busybox sleep) through the agent (POST /v1/containers, then runc run -d with the
// init PID in the bundle), then for each container one asker process (this program's `ask` mode)
// inside that container's PID namespace (nsenter --pid), all at once for -duration. Each asker
// keeps one connection open and asks one request after another; this process merges their
// latencies: requests per second in total, p50 and p99, and the agent's CPU per request.
func requests(args []string) error {
	var n int
	var duration time.Duration
	var runc, rootfs, label string
	c, err := flags("requests", args, func(fs *flag.FlagSet) {
		fs.IntVar(&n, "containers", 1, "containers asking at once, one asker each")
		fs.DurationVar(&duration, "duration", 10*time.Second, "how long each asker asks")
		fs.StringVar(&runc, "runc", "runc", "the real runc")
		fs.StringVar(&rootfs, "rootfs", "", "a busybox root file system")
		fs.StringVar(&label, "label", "", "the table row's first cell")
	})
	if err != nil {
		return err
	}
	md, err := readMetadata(c.metadata)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	a := newAgent(c.socket)
	runcRoot := filepath.Join(c.dir, "runc-root")
	type ctr struct{ id, bundle, socket string }
	var ctrs []ctr
	defer func() {
		for _, x := range ctrs {
			exec.Command(runc, "--root", runcRoot, "delete", "--force", x.id).Run()
			a.delete(x.id)
		}
	}()
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("req-%d-%d", n, i)
		bundle := filepath.Join(c.dir, id)
		if err := runcBundle(runc, bundle, rootfs, nil); err != nil {
			return err
		}
		if err := setArgs(bundle, []string{"/bin/sleep", "600"}); err != nil {
			return err
		}
		if err := a.create(id, bundle, md, c.profile); err != nil {
			return err
		}
		ctrs = append(ctrs, ctr{id, bundle, ""})
		// Detached, its stdio a file: the container's process keeps what it inherits open, and a pipe would never end.
		logFile, err := os.Create(filepath.Join(bundle, "runc.log"))
		if err != nil {
			return err
		}
		run := exec.Command(runc, "--root", runcRoot, "run", "-d", "--pid-file", filepath.Join(bundle, "init.pid"), "--bundle", bundle, id)
		run.Stdout, run.Stderr = logFile, logFile
		err = run.Run()
		logFile.Close()
		if err != nil {
			out, _ := os.ReadFile(filepath.Join(bundle, "runc.log"))
			return fmt.Errorf("runc run %s: %v: %s", id, err, out)
		}
		// The agent's token directory for the container: its state dir's tokens/<id>.
		ctrs[i].socket = filepath.Join(c.stateDir, "tokens", id, "token.sock")
	}
	cpu0, err := cpu(c.pid)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	var all []time.Duration
	var failures int
	var wg sync.WaitGroup
	start := time.Now()
	for _, x := range ctrs {
		raw, err := os.ReadFile(filepath.Join(x.bundle, "init.pid"))
		if err != nil {
			return err
		}
		cmd := exec.Command("nsenter", "--target", strings.TrimSpace(string(raw)), "--pid", "--", self, "ask",
			"-socket", x.socket, "-duration", duration.String())
		out, err := cmd.StdoutPipe()
		if err != nil {
			return err
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			s := bufio.NewScanner(out)
			for s.Scan() {
				if v, err := strconv.ParseInt(s.Text(), 10, 64); err == nil && v >= 0 {
					mine = append(mine, time.Duration(v))
				} else {
					bad++
				}
			}
			cmd.Wait()
			mu.Lock()
			all = append(all, mine...)
			failures += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	cpu1, _ := cpu(c.pid)
	if len(all) == 0 {
		return fmt.Errorf("no request answered (%d failed)", failures)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	fmt.Printf("| %s | %d | %d | %.0f | %s / %s | %s | %d |\n", label, n, len(all), float64(len(all))/wall.Seconds(),
		ms(percentile(all, 50)), ms(percentile(all, 99)), ms((cpu1-cpu0)/time.Duration(len(all))), failures)
	return nil
}

// setArgs makes a bundle's process run args, as a task's long-running command.
func setArgs(bundle string, args []string) error {
	path := filepath.Join(bundle, "config.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var spec map[string]any
	if err := json.Unmarshal(raw, &spec); err != nil {
		return err
	}
	spec["process"].(map[string]any)["args"] = args
	raw, _ = json.Marshal(spec)
	return os.WriteFile(path, raw, 0o600)
}

// ask runs inside a container's PID namespace: one kept-open connection, one request after
// another until -duration has passed; prints each answered request's latency in nanoseconds, and
// a line "fail ..." for each refused one.
func ask(args []string) error {
	fs := flag.NewFlagSet("ask", flag.ContinueOnError)
	socket := fs.String("socket", "", "the container's token socket")
	duration := fs.Duration("duration", 10*time.Second, "how long to ask")
	if err := fs.Parse(args); err != nil {
		return err
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConnsPerHost: 1,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", *socket)
		},
	}}
	body := []byte(`{"audience":["sts.amazonaws.com"],"lifetime":"10m"}`)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	deadline := time.Now().Add(*duration)
	for time.Now().Before(deadline) {
		t0 := time.Now()
		resp, err := client.Post("http://ci-jwt/v1/tokens", "application/json", bytes.NewReader(body))
		if err != nil {
			fmt.Fprintf(w, "fail %v\n", err)
			continue
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(t0)
		if resp.StatusCode != http.StatusOK {
			fmt.Fprintf(w, "fail %d %s\n", resp.StatusCode, bytes.TrimSpace(data))
			continue
		}
		fmt.Fprintln(w, d.Nanoseconds())
	}
	return nil
}
