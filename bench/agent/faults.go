package main

import (
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// agentProc is an agent process the fault driver starts, kills and starts again.
type agentProc struct {
	java   []string // the command line
	log    string
	socket string
	cmd    *exec.Cmd
}

func (p *agentProc) start() (time.Duration, error) {
	f, err := os.OpenFile(p.log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	p.cmd = exec.Command(p.java[0], p.java[1:]...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	t0 := time.Now()
	if err := p.cmd.Start(); err != nil {
		return 0, err
	}
	a := newAgent(p.socket)
	for time.Since(t0) < 2*time.Minute {
		if _, err := a.get("/readyz"); err == nil {
			return time.Since(t0), nil
		}
		if p.cmd.ProcessState != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return 0, fmt.Errorf("the agent did not get ready (log %s)", p.log)
}

func (p *agentProc) kill() {
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.cmd.Wait()
	}
}

func (p *agentProc) stop() {
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.cmd.Wait()
	}
}

func (p *agentProc) pid() int { return p.cmd.Process.Pid }

// completeJWT says whether a token file's content is a whole JWS compact token: three parts, a
// header and claims that are JSON, and a signature, as no half-written file would be.
func completeJWT(data []byte) (iat int64, ok bool) {
	parts := strings.Split(strings.TrimSpace(string(data)), ".")
	if len(parts) != 3 || len(parts[2]) < 40 {
		return 0, false
	}
	var header map[string]any
	var claims struct {
		Iat int64 `json:"iat"`
		Exp int64 `json:"exp"`
	}
	h, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	c, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	_, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(h, &header) != nil || header["alg"] == nil ||
		json.Unmarshal(c, &claims) != nil || claims.Iat == 0 || claims.Exp <= claims.Iat {
		return 0, false
	}
	return claims.Iat, true
}

// findings are what a fault run counts; every count but the first four must end at zero.
type findings struct {
	tokenless, stale, halfWritten, reads, leftTokenDirs, leftRecords, unreverted int
}

// checkLive looks at every live container: a complete token in its token directory, minted at or
// after since (when since is not zero), and its config.json patched with the mount and variables.
func checkLive(state string, live map[string]string, since time.Time, f *findings) {
	for id, bundle := range live {
		data, err := os.ReadFile(filepath.Join(state, "tokens", id, "jwt"))
		iat, ok := completeJWT(data)
		if err != nil || !ok {
			f.tokenless++
			fmt.Fprintf(os.Stderr, "faults: live container %s has no complete token (%v)\n", id, err)
			continue
		}
		if !since.IsZero() && iat < since.Unix()-1 {
			f.stale++
			fmt.Fprintf(os.Stderr, "faults: live container %s kept a token from before the restart (iat %d < %d)\n", id, iat, since.Unix())
		}
		spec, err := os.ReadFile(filepath.Join(bundle, "config.json"))
		if err != nil || !strings.Contains(string(spec), "/var/run/secrets/concourse-ci") || !strings.Contains(string(spec), "CONCOURSE_CI_JWT=") {
			f.tokenless++
			fmt.Fprintf(os.Stderr, "faults: live container %s: config.json lacks the token mount or variables\n", id)
		}
	}
}

// leftovers counts what the agent keeps beyond the live containers: token directories and records.
func leftovers(state string, live map[string]string, f *findings) {
	entries, _ := os.ReadDir(filepath.Join(state, "tokens"))
	for _, e := range entries {
		if _, ok := live[e.Name()]; !ok {
			f.leftTokenDirs++
			fmt.Fprintf(os.Stderr, "faults: token directory of gone container %s is left\n", e.Name())
		}
	}
	for _, d := range []string{"deliveries", "containers"} {
		files, _ := filepath.Glob(filepath.Join(state, d, "*.json"))
		if extra := len(files) - len(live); extra > 0 {
			f.leftRecords += extra
			fmt.Fprintf(os.Stderr, "faults: %d record(s) in %s beyond the %d live containers\n", extra, d, len(live))
		}
	}
}

// churn creates and deletes containers through the agent's socket while SIGKILLing the agent at
// random points and starting it again; see bench/faults/churn.sh.
func churn(args []string) error {
	var n, maxLive, kills int
	var jar, javaOpts, state, config, out string
	c, err := flags("churn", args, func(fs *flag.FlagSet) {
		fs.IntVar(&n, "n", 1000, "containers created (and deleted) in all")
		fs.IntVar(&maxLive, "live", 50, "containers live at most at once")
		fs.IntVar(&kills, "kills", 20, "SIGKILLs of the agent, at random points of the churn")
		fs.StringVar(&jar, "jar", "", "ci-jwt.jar")
		fs.StringVar(&javaOpts, "java-opts", "-XX:+UseSerialGC -Xss512k -XX:MaxRAM=1g", "the agent's JVM options")
		fs.StringVar(&state, "state", "", "the agent's state directory")
		fs.StringVar(&config, "config", "", "the agent's config")
		fs.StringVar(&out, "log", "", "the agent's log file")
	})
	if err != nil {
		return err
	}
	md, err := readMetadata(c.metadata)
	if err != nil {
		return err
	}
	cmdline := append([]string{"java"}, strings.Fields(javaOpts)...)
	cmdline = append(cmdline, "-jar", jar, "agent", "--socket", c.socket, "--state-dir", state, "--keys", "ephemeral",
		"--config", config, "--warm-up", "0")
	p := &agentProc{java: cmdline, log: out, socket: c.socket}
	if _, err := p.start(); err != nil {
		return err
	}
	defer p.stop()
	a := newAgent(c.socket)
	a.http.Timeout = 5 * time.Second

	var mu sync.Mutex
	live := map[string]string{}
	var f findings
	// The reader: reads live containers' token files all along, as a task would.
	stopReader := make(chan struct{})
	var reads, half int64
	var readerDone sync.WaitGroup
	readerDone.Add(1)
	go func() {
		defer readerDone.Done()
		for {
			select {
			case <-stopReader:
				return
			default:
			}
			mu.Lock()
			var ids []string
			for id := range live {
				ids = append(ids, id)
				if len(ids) >= 8 {
					break
				}
			}
			mu.Unlock()
			for _, id := range ids {
				data, err := os.ReadFile(filepath.Join(state, "tokens", id, "jwt"))
				if err != nil {
					continue // deleted meanwhile
				}
				atomic.AddInt64(&reads, 1)
				if _, ok := completeJWT(data); !ok {
					atomic.AddInt64(&half, 1)
					fmt.Fprintf(os.Stderr, "faults: token file of %s read half-written: %q\n", id, data)
				}
			}
			time.Sleep(200 * time.Microsecond)
		}
	}()

	ops := 2 * n
	killAt := map[int]bool{}
	for len(killAt) < kills {
		killAt[rand.Intn(ops)] = true
	}
	var createsOK, createsFailed, deletesOK, deletesUnheard, restarts int
	var readyTimes []time.Duration
	var rssSamples []int64
	op := 0
	// restartIfDead starts the agent again when a kill left it down, then checks the live containers.
	killed := false
	var killDone chan struct{}
	recover := func() error {
		if !killed {
			return nil
		}
		<-killDone
		d, err := p.start()
		if err != nil {
			return err
		}
		restarted := time.Now().Add(-d)
		killed = false
		restarts++
		readyTimes = append(readyTimes, d)
		mu.Lock()
		checkLive(state, live, restarted, &f)
		mu.Unlock()
		return nil
	}
	// maybeKill, at a chosen point, SIGKILLs the agent 0 to 4 ms into the request about to be sent.
	maybeKill := func() {
		if killAt[op] {
			killDone = make(chan struct{})
			go func(d time.Duration, done chan struct{}) {
				time.Sleep(d)
				p.kill()
				close(done)
			}(time.Duration(rand.Intn(4000))*time.Microsecond, killDone)
			killed = true
		}
		op++
	}
	next := 0
	for next < n || len(live) > 0 {
		mu.Lock()
		nLive := len(live)
		mu.Unlock()
		if next < n && nLive < maxLive && (nLive == 0 || rand.Intn(2) == 0) {
			id := fmt.Sprintf("churn-%04d", next)
			next++
			bundle := filepath.Join(c.dir, id)
			if err := makeBundle(bundle); err != nil {
				return err
			}
			maybeKill()
			err := a.create(id, bundle, md, c.profile)
			if killed {
				<-killDone // the kill has landed
			}
			if err == nil {
				mu.Lock()
				live[id] = bundle
				mu.Unlock()
				createsOK++
			} else {
				// A create that failed never started: its runtime removes the bundle, as containerd does.
				createsFailed++
				os.RemoveAll(bundle)
			}
		} else {
			mu.Lock()
			var id string
			for k := range live {
				id = k
				break
			}
			bundle := live[id]
			delete(live, id)
			mu.Unlock()
			maybeKill()
			err := a.delete(id)
			if killed {
				<-killDone
			}
			if err == nil {
				deletesOK++
				spec, _ := os.ReadFile(filepath.Join(bundle, "config.json"))
				if strings.Contains(string(spec), "concourse-ci") {
					f.unreverted++
				}
			} else {
				deletesUnheard++ // the wrapper only warns; the agent must clean up by itself
			}
			os.RemoveAll(bundle)
		}
		if err := recover(); err != nil {
			return err
		}
		if op%100 == 0 {
			if r, err := vmRSS(p.pid()); err == nil {
				rssSamples = append(rssSamples, r)
			}
		}
	}
	// Every container is gone now; the agent's own checks (every 10 s) must clean up what it was not told.
	deadline := time.Now().Add(40 * time.Second)
	for time.Now().Before(deadline) {
		var probe findings
		leftovers(state, map[string]string{}, &probe)
		if probe.leftTokenDirs == 0 && probe.leftRecords == 0 {
			break
		}
		time.Sleep(time.Second)
	}
	close(stopReader)
	readerDone.Wait()
	leftovers(state, map[string]string{}, &f)
	f.reads, f.halfWritten = int(reads), int(half)
	sort.Slice(readyTimes, func(i, j int) bool { return readyTimes[i] < readyTimes[j] })
	maxReady := time.Duration(0)
	if len(readyTimes) > 0 {
		maxReady = readyTimes[len(readyTimes)-1]
	}
	first, last := int64(0), int64(0)
	if len(rssSamples) > 0 {
		first, last = rssSamples[0], rssSamples[len(rssSamples)-1]
	}
	fmt.Printf("| %d | %d / %d | %d / %d | %d | %s | %d | %d | %d | %d / %d | %d | %d | %d / %d |\n",
		n, createsOK, createsFailed, deletesOK, deletesUnheard, restarts, ms(maxReady), f.tokenless, f.stale,
		f.unreverted, f.halfWritten, f.reads, f.leftTokenDirs, f.leftRecords, first/1024, last/1024)
	if f.tokenless+f.stale+f.unreverted+f.halfWritten+f.leftTokenDirs+f.leftRecords > 0 {
		return fmt.Errorf("the churn found faults (above)")
	}
	return nil
}

// tokens prints what a state directory holds, for the fault scripts: one line per token directory
// ("token ID complete|HALF iat exp"), then "records DELIVERIES CONTAINERS".
func tokens(args []string) error {
	fs := flag.NewFlagSet("tokens", flag.ContinueOnError)
	state := fs.String("state", "", "the agent's state directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	entries, _ := os.ReadDir(filepath.Join(*state, "tokens"))
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(*state, "tokens", e.Name(), "jwt"))
		iat, ok := completeJWT(data)
		var exp int64
		if ok {
			parts := strings.Split(strings.TrimSpace(string(data)), ".")
			c, _ := base64.RawURLEncoding.DecodeString(parts[1])
			var claims struct {
				Exp int64 `json:"exp"`
			}
			json.Unmarshal(c, &claims)
			exp = claims.Exp
		}
		status := "complete"
		if err != nil || !ok {
			status = "HALF"
		}
		fmt.Printf("token %s %s %d %d\n", e.Name(), status, iat, exp)
	}
	d, _ := filepath.Glob(filepath.Join(*state, "deliveries", "*.json"))
	c, _ := filepath.Glob(filepath.Join(*state, "containers", "*.json"))
	fmt.Printf("records %d %d\n", len(d), len(c))
	return nil
}

// create is one POST of a container through the socket, for the fault scripts: exit 0 on 201, else
// the agent's answer (or the connection's error) on standard error and exit 1.
func createOne(args []string) error {
	var id string
	c, err := flags("create", args, func(fs *flag.FlagSet) {
		fs.StringVar(&id, "id", "", "container id")
	})
	if err != nil {
		return err
	}
	md, err := readMetadata(c.metadata)
	if err != nil {
		return err
	}
	bundle := filepath.Join(c.dir, id)
	if _, err := os.Stat(filepath.Join(bundle, "config.json")); err != nil {
		if err := makeBundle(bundle); err != nil {
			return err
		}
	}
	return newAgent(c.socket).create(id, bundle, md, c.profile)
}

// deleteOne is one DELETE through the socket.
func deleteOne(args []string) error {
	var id string
	c, err := flags("delete", args, func(fs *flag.FlagSet) {
		fs.StringVar(&id, "id", "", "container id")
	})
	if err != nil {
		return err
	}
	return newAgent(c.socket).delete(id)
}
