// Command agentload drives a running ci-jwt agent over its Unix socket for agent-bench.sh and
// reads what the benchmark reports from the agent's process (/proc/PID) and its /metrics:
//
//	agentload latency  POST+DELETE pairs, one at a time: p50/p99 of each and agent CPU per pair
//	agentload fill     create containers (bundles with a minimal config.json) and leave them live
//	agentload drain    delete every container the agent lists
//	agentload rss      the agent's VmRSS, in KiB
//	agentload heap     the agent's JVM heap in use (its jvm_memory_used_bytes), in KiB
//	agentload refresh  wait for N refreshes; agent CPU and the refresh histogram over them
//	agentload wrapper  runc create vs ci-jwt-runtime create, with and without the annotation
//	agentload requests POST /v1/tokens on N containers' token sockets at once (askers in each container)
//	agentload ask      (inside a container's PID namespace) ask on one kept-open connection; used by requests
//	agentload life     whole container lives through containerd (ctr run --rm), interleaved arms
//	agentload floor    the wrapper's own start: runc list straight and through ci-jwt-runtime
//	agentload churn    create/delete churn through the socket while the agent is SIGKILLed and restarted
//	agentload tokens   what a state directory holds: each token file (complete or not, iat, exp), the records
//	agentload create, delete   one POST or DELETE through the socket (the fault scripts)
//
// Only the standard library, like the runtime wrapper.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat (100 on Linux everywhere).
const clockTicks = 100

// minimalConfig is the least config.json the agent delivers into: the agent reads the task's user
// and patches env and mounts; nothing here runs.
const minimalConfig = `{"ociVersion":"1.0.2","process":{"args":["true"],"cwd":"/","user":{"uid":0,"gid":0}},"root":{"path":"rootfs"}}`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: agentload latency|fill|drain|rss|heap|refresh|wrapper|life [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "latency":
		err = latency(os.Args[2:])
	case "fill":
		err = fill(os.Args[2:])
	case "drain":
		err = drain(os.Args[2:])
	case "rss":
		err = rss(os.Args[2:])
	case "heap":
		err = heap(os.Args[2:])
	case "refresh":
		err = refresh(os.Args[2:])
	case "wrapper":
		err = wrapper(os.Args[2:])
	case "requests":
		err = requests(os.Args[2:])
	case "ask":
		err = ask(os.Args[2:])
	case "life":
		err = life(os.Args[2:])
	case "floor":
		err = floor(os.Args[2:])
	case "churn":
		err = churn(os.Args[2:])
	case "tokens":
		err = tokens(os.Args[2:])
	case "create":
		err = createOne(os.Args[2:])
	case "delete":
		err = deleteOne(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "agentload: "+err.Error())
		os.Exit(1)
	}
}

// agent is a client of the agent's socket; like ci-jwt-runtime, one connection per request.
type agent struct {
	http *http.Client
}

func newAgent(socket string) agent {
	return agent{&http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
	}}}
}

func (a agent) create(id, bundle string, metadata json.RawMessage, profile string) error {
	body := map[string]any{"id": id, "bundle": bundle, "metadata": metadata}
	if profile != "" {
		body["profile"] = profile
	}
	payload, _ := json.Marshal(body)
	resp, err := a.http.Post("http://agent/v1/containers", "application/json", bytes.NewReader(payload))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST %s: HTTP %d %s", id, resp.StatusCode, reply)
	}
	return nil
}

func (a agent) delete(id string) error {
	req, _ := http.NewRequest(http.MethodDelete, "http://agent/v1/containers/"+id, nil)
	resp, err := a.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("DELETE %s: HTTP %d", id, resp.StatusCode)
	}
	return nil
}

func (a agent) get(path string) ([]byte, error) {
	resp, err := a.http.Get("http://agent" + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", path, resp.StatusCode)
	}
	return io.ReadAll(resp.Body)
}

// cpu is the agent process's user+system CPU time so far (all its threads).
func cpu(pid int) (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	fields := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// runQueueWait is how long the agent's threads have been runnable but waiting for a CPU, summed
// over its threads (the second field of /proc/PID/task/TID/schedstat): on a shared machine this is
// the part of a request's latency that other processes, not the agent, decide.
func runQueueWait(pid int) time.Duration {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var sum time.Duration
	for _, t := range tasks {
		raw, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		f := strings.Fields(string(raw))
		if len(f) >= 2 {
			ns, _ := strconv.ParseInt(f[1], 10, 64)
			sum += time.Duration(ns)
		}
	}
	return sum
}

func vmRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if strings.HasPrefix(s.Text(), "VmRSS:") {
			return strconv.ParseInt(strings.Fields(s.Text())[1], 10, 64)
		}
	}
	return 0, errors.New("no VmRSS line")
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64)
}

func readMetadata(file string) (json.RawMessage, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	return compact.Bytes(), nil
}

func makeBundle(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "config.json"), []byte(minimalConfig), 0o600)
}

type common struct {
	socket, metadata, profile, dir, stateDir string
	pid                                      int
}

func flags(name string, args []string, extra func(*flag.FlagSet)) (common, error) {
	var c common
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&c.socket, "socket", "", "the agent's socket")
	fs.IntVar(&c.pid, "pid", 0, "the agent's pid")
	fs.StringVar(&c.metadata, "metadata", "", "build metadata JSON file")
	fs.StringVar(&c.profile, "profile", "", "the agent profile to ask for")
	fs.StringVar(&c.dir, "dir", "", "where bundles are made")
	fs.StringVar(&c.stateDir, "state-dir", "", "the agent's state directory (token sockets are under its tokens/)")
	if extra != nil {
		extra(fs)
	}
	return c, fs.Parse(args)
}

func latency(args []string) error {
	var n, warmup int
	var pace time.Duration
	c, err := flags("latency", args, func(fs *flag.FlagSet) {
		fs.IntVar(&n, "n", 2000, "measured POST+DELETE pairs")
		fs.IntVar(&warmup, "warmup", 2000, "pairs before measuring (JIT warm-up)")
		fs.DurationVar(&pace, "pace", 0, "pause before each measured POST and each DELETE (0: back to back), as a worker's containers come")
	})
	if err != nil {
		return err
	}
	md, err := readMetadata(c.metadata)
	if err != nil {
		return err
	}
	bundle := filepath.Join(c.dir, "latency-"+c.profile)
	if err := makeBundle(bundle); err != nil {
		return err
	}
	a := newAgent(c.socket)
	pair := func(i int, posts, deletes, pairs *[]time.Duration) error {
		id := fmt.Sprintf("lat-%s-%d", c.profile, i)
		if posts != nil {
			time.Sleep(pace)
		}
		t0 := time.Now()
		if err := a.create(id, bundle, md, c.profile); err != nil {
			return err
		}
		post := time.Since(t0)
		if posts != nil {
			time.Sleep(pace)
		}
		t1 := time.Now()
		if err := a.delete(id); err != nil {
			return err
		}
		del := time.Since(t1)
		if posts != nil {
			*posts = append(*posts, post)
			*deletes = append(*deletes, del)
			*pairs = append(*pairs, post+del)
		}
		return nil
	}
	for i := 0; i < warmup; i++ {
		if err := pair(i, nil, nil, nil); err != nil {
			return err
		}
	}
	if n == 0 {
		return nil
	}
	var posts, deletes, pairs []time.Duration
	cpu0, err := cpu(c.pid)
	if err != nil {
		return err
	}
	wait0 := runQueueWait(c.pid)
	start := time.Now()
	for i := warmup; i < warmup+n; i++ {
		if err := pair(i, &posts, &deletes, &pairs); err != nil {
			return err
		}
	}
	wall := time.Since(start)
	cpu1, _ := cpu(c.pid)
	wait1 := runQueueWait(c.pid)
	for _, s := range [][]time.Duration{posts, deletes, pairs} {
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	}
	perPair := (cpu1 - cpu0) / time.Duration(n)
	rate := fmt.Sprintf("%.0f", float64(n)/wall.Seconds())
	if pace > 0 {
		rate = "paced" // the wall time is mostly the pauses
	}
	fmt.Printf("| %s | %d | %s / %s | %s / %s | %s / %s | %s | %s | %s |\n", c.profile, n,
		ms(percentile(posts, 50)), ms(percentile(posts, 99)), ms(percentile(deletes, 50)), ms(percentile(deletes, 99)),
		ms(percentile(pairs, 50)), ms(percentile(pairs, 99)), ms(perPair), ms((wait1-wait0)/time.Duration(n)), rate)
	return nil
}

func fill(args []string) error {
	var from, to int
	c, err := flags("fill", args, func(fs *flag.FlagSet) {
		fs.IntVar(&from, "from", 0, "first container number")
		fs.IntVar(&to, "to", 100, "one past the last container number")
	})
	if err != nil {
		return err
	}
	md, err := readMetadata(c.metadata)
	if err != nil {
		return err
	}
	a := newAgent(c.socket)
	for i := from; i < to; i++ {
		bundle := filepath.Join(c.dir, fmt.Sprintf("live-%04d", i))
		if err := makeBundle(bundle); err != nil {
			return err
		}
		if err := a.create(fmt.Sprintf("live-%04d", i), bundle, md, c.profile); err != nil {
			return err
		}
	}
	return nil
}

func drain(args []string) error {
	c, err := flags("drain", args, nil)
	if err != nil {
		return err
	}
	a := newAgent(c.socket)
	raw, err := a.get("/v1/containers")
	if err != nil {
		return err
	}
	var list struct {
		Containers []struct {
			ID string `json:"id"`
		} `json:"containers"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return err
	}
	for _, ct := range list.Containers {
		if err := a.delete(ct.ID); err != nil {
			return err
		}
	}
	return nil
}

func rss(args []string) error {
	c, err := flags("rss", args, nil)
	if err != nil {
		return err
	}
	kib, err := vmRSS(c.pid)
	if err != nil {
		return err
	}
	fmt.Println(kib)
	return nil
}

func heap(args []string) error {
	c, err := flags("heap", args, nil)
	if err != nil {
		return err
	}
	raw, err := newAgent(c.socket).get("/metrics")
	if err != nil {
		return err
	}
	fmt.Println(int64(metric(raw, "jvm_memory_used_bytes", `area="heap"`)) / 1024)
	return nil
}

// metric sums the samples of one Prometheus family whose labels contain match.
func metric(scrape []byte, name, match string) float64 {
	var sum float64
	for _, line := range strings.Split(string(scrape), "\n") {
		if !strings.HasPrefix(line, name) || !strings.Contains(line, match) {
			continue
		}
		rest := line[len(name):]
		if rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			sum += v
		}
	}
	return sum
}

// refresh waits for expect refreshes. It scrapes /metrics once a second, both while the agent is at
// rest (no refresh due yet) and while it refreshes, and reports the CPU above the at-rest rate: a
// scrape costs the agent a few milliseconds, which would otherwise be counted as refresh work.
func refresh(args []string) error {
	var expect int
	var timeout time.Duration
	var idle time.Duration
	c, err := flags("refresh", args, func(fs *flag.FlagSet) {
		fs.IntVar(&expect, "expect", 1000, "refreshes to wait for")
		fs.DurationVar(&timeout, "timeout", 3*time.Minute, "give up after")
		fs.DurationVar(&idle, "idle", 20*time.Second, "first measure the agent's CPU at rest over this long (no refresh due)")
	})
	if err != nil {
		return err
	}
	a := newAgent(c.socket)
	scrape := func() (refreshed, count, sum, max float64, err error) {
		raw, err := a.get("/metrics")
		if err != nil {
			return 0, 0, 0, 0, err
		}
		return metric(raw, "cijwt_agent_tokens_total", `event="refreshed"`), metric(raw, "cijwt_agent_refresh_seconds_count", ""),
			metric(raw, "cijwt_agent_refresh_seconds_sum", ""), metric(raw, "cijwt_agent_refresh_seconds_max", ""), nil
	}
	const every = time.Second
	rest0, _ := cpu(c.pid)
	restStart := time.Now()
	var r0, count0, sum0 float64
	for time.Since(restStart) < idle {
		time.Sleep(every)
		if r0, count0, sum0, _, err = scrape(); err != nil {
			return err
		}
	}
	rest1, _ := cpu(c.pid)
	restRate := float64(rest1-rest0) / float64(time.Since(restStart))
	if r0 != 0 {
		return fmt.Errorf("%v refreshes happened while measuring the agent at rest; make -idle shorter", r0)
	}
	cpu0, _ := cpu(c.pid)
	t0 := time.Now()
	deadline := t0.Add(timeout)
	var first, last time.Time
	var r, count, sum, max float64
	for time.Now().Before(deadline) {
		time.Sleep(every)
		if r, count, sum, max, err = scrape(); err != nil {
			return err
		}
		if r > r0 && first.IsZero() {
			first = time.Now()
		}
		if r-r0 >= float64(expect) {
			last = time.Now()
			break
		}
	}
	if last.IsZero() {
		return fmt.Errorf("only %v of %d refreshes within %v", r-r0, expect, timeout)
	}
	cpu1, _ := cpu(c.pid)
	net := time.Duration(float64(cpu1-cpu0) - restRate*float64(last.Sub(t0)))
	n := r - r0
	fmt.Printf("refreshed=%d spread_s=%.0f cpu_s=%.2f cpu_per_token_ms=%.2f rest_cpu_ms_per_s=%.1f work_sum_s=%.2f work_mean_ms=%.2f work_max_ms=%.1f\n",
		int(n), last.Sub(first).Seconds()+every.Seconds(), net.Seconds(), float64(net/time.Microsecond)/1000/n,
		restRate*1000, sum-sum0, (sum-sum0)/(count-count0)*1000, max*1000)
	return nil
}

// wrapper times `create` of real runc containers: runc itself, ci-jwt-runtime on a bundle without
// the annotation (straight to runc), and ci-jwt-runtime on an annotated bundle (through the agent).
func wrapper(args []string) error {
	var n int
	var runc, wrapperBin, rootfs string
	c, err := flags("wrapper", args, func(fs *flag.FlagSet) {
		fs.IntVar(&n, "n", 100, "creates of each kind, interleaved")
		fs.StringVar(&runc, "runc", "runc", "the real runc")
		fs.StringVar(&wrapperBin, "wrapper", "", "ci-jwt-runtime")
		fs.StringVar(&rootfs, "rootfs", "", "a root file system (busybox)")
	})
	if err != nil {
		return err
	}
	md, err := readMetadata(c.metadata)
	if err != nil {
		return err
	}
	plain := filepath.Join(c.dir, "wrap-plain")
	annotated := filepath.Join(c.dir, "wrap-annotated")
	if err := runcBundle(runc, plain, rootfs, nil); err != nil {
		return err
	}
	if err := runcBundle(runc, annotated, rootfs, map[string]string{"org.cijwt.metadata": string(md)}); err != nil {
		return err
	}
	root := filepath.Join(c.dir, "runc-root")
	env := append(os.Environ(), "CI_JWT_RUNC="+runc, "CI_JWT_AGENT_SOCKET="+c.socket)
	logFile := filepath.Join(c.dir, "create.log")
	timed := func(bin, bundle, id string) (time.Duration, error) {
		// A file, not a pipe: the container's init keeps the create's stdio open until it is deleted.
		log, err := os.Create(logFile)
		if err != nil {
			return 0, err
		}
		defer log.Close()
		cmd := exec.Command(bin, "--root", root, "create", "--bundle", bundle, id)
		cmd.Env, cmd.Stdout, cmd.Stderr = env, log, log
		t0 := time.Now()
		err = cmd.Run()
		d := time.Since(t0)
		if err != nil {
			out, _ := os.ReadFile(logFile)
			return 0, fmt.Errorf("%s create %s: %v: %s", bin, id, err, out)
		}
		return d, nil
	}
	remove := func(bin, id string) error {
		cmd := exec.Command(bin, "--root", root, "delete", "--force", id)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s delete %s: %v: %s", bin, id, err, out)
		}
		return nil
	}
	kinds := []struct {
		name, bin, bundle string
	}{
		{"runc create (no wrapper)", runc, plain},
		{"ci-jwt-runtime create, no annotation", wrapperBin, plain},
		{"ci-jwt-runtime create, annotated (through the agent)", wrapperBin, annotated},
	}
	times := make([][]time.Duration, len(kinds))
	const warmup = 5
	for i := 0; i < n+warmup; i++ {
		for k, kind := range kinds {
			id := fmt.Sprintf("wrap-%d-%d", k, i)
			d, err := timed(kind.bin, kind.bundle, id)
			if err != nil {
				return err
			}
			// Deleting through the wrapper tells the agent, which reverts config.json.
			if err := remove(kind.bin, id); err != nil {
				return err
			}
			if i >= warmup {
				times[k] = append(times[k], d)
			}
		}
	}
	base := make([]time.Duration, 0)
	for k, kind := range kinds {
		sort.Slice(times[k], func(i, j int) bool { return times[k][i] < times[k][j] })
		if k == 0 {
			base = times[k]
		}
		fmt.Printf("| %s | %d | %s | %s | %s |\n", kind.name, n, ms(percentile(times[k], 50)), ms(percentile(times[k], 99)),
			ms(percentile(times[k], 50)-percentile(base, 50)))
	}
	return nil
}

// runcBundle writes a bundle as `runc spec` makes it, with no terminal, the given root file
// system and annotations; creating it starts nothing but runc's init, which waits for `start`.
func runcBundle(runc, dir, rootfs string, annotations map[string]string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	os.Remove(filepath.Join(dir, "config.json"))
	if out, err := exec.Command(runc, "spec", "--bundle", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("runc spec: %v: %s", err, out)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return err
	}
	var spec map[string]any
	if err := json.Unmarshal(raw, &spec); err != nil {
		return err
	}
	spec["process"].(map[string]any)["terminal"] = false
	spec["process"].(map[string]any)["args"] = []string{"true"}
	spec["root"] = map[string]any{"path": rootfs, "readonly": true}
	if annotations != nil {
		spec["annotations"] = annotations
	}
	raw, _ = json.Marshal(spec)
	return os.WriteFile(filepath.Join(dir, "config.json"), raw, 0o600)
}
