package main

import (
	"flag"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// arm is one way of running a container through containerd.
type arm struct {
	name, runtime string
	annotated     bool
}

// life times whole container lives through a real containerd: `ctr run --rm` of busybox `true`
// (create, start, wait, delete), with runc alone, through ci-jwt-runtime without the annotation,
// and through it with the annotation (the agent delivers and removes a token), interleaved in a
// fresh random order every round so that the machine's load falls on every arm alike.
func life(args []string) error {
	var n, warmup int
	var ctr, address, runc, wrapperBin, rootfs, metadataFile, arms, prefix string
	fs := flag.NewFlagSet("life", flag.ContinueOnError)
	fs.IntVar(&n, "n", 60, "measured rounds (one life of each arm per round)")
	fs.IntVar(&warmup, "warmup", 10, "rounds before the measured ones, not counted")
	fs.StringVar(&ctr, "ctr", "ctr", "containerd's client")
	fs.StringVar(&address, "address", "", "containerd's socket (its own, never the system's)")
	fs.StringVar(&runc, "runc", "runc", "the real runc")
	fs.StringVar(&wrapperBin, "wrapper", "", "ci-jwt-runtime")
	fs.StringVar(&rootfs, "rootfs", "", "a busybox root file system")
	fs.StringVar(&metadataFile, "metadata", "", "build metadata JSON for the annotated arm")
	fs.StringVar(&arms, "arms", "plain,unannotated,annotated", "which arms, comma-separated")
	fs.StringVar(&prefix, "id", "life", "prefix of the container ids")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if address == "" || strings.HasPrefix(address, "/run/containerd/") {
		return fmt.Errorf("-address must be a containerd of the benchmark's own, not %q", address)
	}
	md, err := readMetadata(metadataFile)
	if err != nil {
		return err
	}
	all := map[string]arm{
		"plain":       {"runc alone", runc, false},
		"unannotated": {"ci-jwt-runtime, no annotation", wrapperBin, false},
		"annotated":   {"ci-jwt-runtime, annotated (token delivered and removed by the agent)", wrapperBin, true},
	}
	var chosen []arm
	for _, a := range strings.Split(arms, ",") {
		x, ok := all[a]
		if !ok {
			return fmt.Errorf("unknown arm %q", a)
		}
		chosen = append(chosen, x)
	}
	one := func(a arm, id string) (time.Duration, error) {
		cmdArgs := []string{"--address", address, "run", "--rm", "--runc-binary", a.runtime}
		if a.annotated {
			cmdArgs = append(cmdArgs, "--annotation", "org.cijwt.metadata="+string(md))
		}
		cmdArgs = append(cmdArgs, "--rootfs", rootfs, id, "/bin/true")
		cmd := exec.Command(ctr, cmdArgs...)
		t0 := time.Now()
		out, err := cmd.CombinedOutput()
		d := time.Since(t0)
		if err != nil {
			return 0, fmt.Errorf("ctr run %s (%s): %v: %s", id, a.name, err, out)
		}
		return d, nil
	}
	times := make([][]time.Duration, len(chosen))
	order := make([]int, len(chosen))
	for i := range order {
		order[i] = i
	}
	for r := 0; r < warmup+n; r++ {
		rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, k := range order {
			d, err := one(chosen[k], fmt.Sprintf("%s-%d-%d", prefix, k, r))
			if err != nil {
				return err
			}
			if r >= warmup {
				times[k] = append(times[k], d)
			}
		}
	}
	// One line per arm: name, lives, p50, p90, p50 ratio to the first arm, the first five lives in
	// order, and the median of the round-by-round ratios to the first arm (lives of one round ran
	// back to back, so a change of the machine's load between rounds falls out of it).
	var base time.Duration
	for k, a := range chosen {
		first := times[k]
		if len(first) > 5 {
			first = first[:5]
		}
		sorted := append([]time.Duration(nil), times[k]...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
		p50 := percentile(sorted, 50)
		if k == 0 {
			base = p50
		}
		var firsts []string
		for _, f := range first {
			firsts = append(firsts, ms(f))
		}
		var ratios []float64
		for i := range times[k] {
			ratios = append(ratios, float64(times[k][i])/float64(times[0][i]))
		}
		sort.Float64s(ratios)
		paired := 1.0
		if len(ratios) > 0 {
			paired = (ratios[(len(ratios)-1)/2] + ratios[len(ratios)/2]) / 2
		}
		fmt.Printf("%s\t%d\t%s\t%s\t%.3f\t%s\t%.3f\n", a.name, len(sorted), ms(p50), ms(percentile(sorted, 90)),
			float64(p50)/float64(base), strings.Join(firsts, " "), paired)
	}
	return nil
}

// floor times the wrapper's own start on a runc call that never reaches the agent: `runc list` of
// an empty root, straight and through ci-jwt-runtime, interleaved.
func floor(args []string) error {
	var n int
	var runc, wrapperBin, dir, goExec, cExec string
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	fs.IntVar(&n, "n", 300, "calls of each")
	fs.StringVar(&runc, "runc", "runc", "the real runc")
	fs.StringVar(&wrapperBin, "wrapper", "", "ci-jwt-runtime")
	fs.StringVar(&dir, "dir", "", "an empty directory for runc's --root")
	fs.StringVar(&goExec, "go-exec", "", "a Go program that only execs runc (execonly); also timed, one line after the table row")
	fs.StringVar(&cExec, "c-exec", "", "a C program that only execs runc; also timed, one line after the table row")
	if err := fs.Parse(args); err != nil {
		return err
	}
	bins := []string{runc, wrapperBin}
	for _, b := range []string{goExec, cExec} {
		if b != "" {
			bins = append(bins, b)
		}
	}
	times := make([][]time.Duration, len(bins))
	order := make([]int, len(bins))
	for i := range order {
		order[i] = i
	}
	for i := 0; i < n+20; i++ {
		rand.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		for _, k := range order {
			b := bins[k]
			cmd := exec.Command(b, "--root", dir, "list", "-q")
			cmd.Env = append(os.Environ(), "CI_JWT_RUNC="+runc)
			t0 := time.Now()
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("%s list: %v: %s", b, err, out)
			}
			if i >= 20 {
				times[k] = append(times[k], time.Since(t0))
			}
		}
	}
	for k := range times {
		sort.Slice(times[k], func(i, j int) bool { return times[k][i] < times[k][j] })
	}
	p50 := func(k int) time.Duration { return percentile(times[k], 50) }
	fmt.Printf("| %d | %s | %s | %s |\n", n, ms(p50(0)), ms(p50(1)), ms(p50(1)-p50(0)))
	// The yardsticks, as "name<TAB>p50<TAB>added" lines the script turns into a table of their own.
	for k := 2; k < len(bins); k++ {
		fmt.Printf("%s\t%s\t%s\n", filepath.Base(bins[k]), ms(p50(k)), ms(p50(k)-p50(0)))
	}
	return nil
}
