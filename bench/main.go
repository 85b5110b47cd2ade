// Command bench is fabric-lro's benchmark harness. Each section measures this project and a
// baseline side by side in one run and prints the ratio, so a noisy machine moves both
// numbers together. Medians throughout.
//
//	./build.sh bench                 # all sections (builds what they need); writes BENCHMARKS.md
//	go run ./bench -only size,poll   # some sections (BENCHMARKS.md is left alone)
//
// Sections:
//
//	size     gzip size of web/app.wasm against a net/http browser program, and the 1.25 MB budget
//	poll     requests per operation: the lro engine against a fixed-interval poller, on the emulator
//	proxy    median latency of the native proxy against calling the emulator directly
//	workerd  the Go Worker in workerd against a plain JS Worker: CPU per request, p50 and p99
//	         latency, first request of a fresh isolate, throughput at 16 clients, memory over
//	         50,000 requests, the module's size
//	load     time from navigation to the dashboard ready against a minimal Go wasm page, in
//	         headless Chromium, cold loads alternating, on loopback and on a throttled link
//	tabs     requests for N operations with the dashboard open in one tab and in two (one
//	         engine for both), in headless Chromium against the emulator
//	scale    1,000 operations in one tab of headless Chromium: longest main-thread task, request
//	         rate against the budget, time until all ended, wasm and JS heap memory (bench/scale.go)
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// section is one side-by-side measurement.
type section struct {
	name string
	run  func() error
}

func main() {
	only := flag.String("only", "", "comma-separated sections to run (default all): size, poll, proxy, workerd, load, tabs, scale")
	flag.Parse()
	sections := []section{
		{name: "size", run: benchSize},
		{name: "poll", run: benchPoll},
		{name: "proxy", run: benchProxy},
		{name: "workerd", run: benchWorkerd},
		{name: "load", run: benchLoad},
		{name: "tabs", run: benchTabs},
		{name: "scale", run: benchScale},
	}
	want := map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			want[s] = true
		}
	}
	failed := false
	for _, s := range sections {
		if len(want) > 0 && !want[s.name] {
			continue
		}
		printf("\n## %s\n\n", s.name)
		start := time.Now()
		if err := s.run(); err != nil {
			printf("FAILED: %v\n", err)
			failed = true
			continue
		}
		printf("\n(%s took %.1fs)\n", s.name, time.Since(start).Seconds())
	}
	if failed {
		os.Exit(1)
	}
	if len(want) == 0 {
		if err := os.WriteFile("BENCHMARKS.md", []byte(header()+report.String()), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		fmt.Println("\nwrote BENCHMARKS.md")
	}
}

// report collects what the sections print, for BENCHMARKS.md.
var report strings.Builder

// printf prints to standard output and to the report.
func printf(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	fmt.Print(s)
	report.WriteString(s)
}

// header is BENCHMARKS.md's start: the command, the date and the machine.
func header() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("# Benchmarks\n\nWritten by `./build.sh bench` on %s: %s, %d cores (%s), %s/%s, %s.\n"+
		"Every figure is measured side by side with its baseline in the same run; medians unless named otherwise.\n",
		time.Now().UTC().Format("2006-01-02"), model, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, workerdVersion())
}

// workerdVersion names the workerd the workerd section ran.
func workerdVersion() string {
	if w := os.Getenv("WORKERD"); w != "" {
		if out, err := exec.Command(w, "--version").Output(); err == nil {
			return strings.TrimSpace(string(out))
		}
	}
	return "workerd not run"
}
