// Command bench is fabric-lro's benchmark harness. Each section measures this project and a
// baseline side by side in one run and prints the ratio, so a noisy machine moves both
// numbers together. Medians throughout.
//
//	./build.sh bench                 # all sections (builds what they need)
//	go run ./bench -only size,poll   # some sections
//
// Sections:
//
//	size     gzip size of web/app.wasm against a net/http browser program, and the 1.25 MB budget
//	poll     requests per operation: the lro engine against a fixed-interval poller, on the emulator
//	proxy    median latency of the native proxy against calling the emulator directly
//	workerd  median latency and CPU per request of the Go Worker in workerd against a plain JS Worker
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

// section is one side-by-side measurement.
type section struct {
	name string
	run  func() error
}

func main() {
	only := flag.String("only", "", "comma-separated sections to run (default all): size, poll, proxy, workerd")
	flag.Parse()
	sections := []section{
		{name: "size", run: benchSize},
		{name: "poll", run: benchPoll},
		{name: "proxy", run: benchProxy},
		{name: "workerd", run: benchWorkerd},
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
		fmt.Printf("\n## %s\n", s.name)
		start := time.Now()
		if err := s.run(); err != nil {
			fmt.Printf("FAILED: %v\n", err)
			failed = true
			continue
		}
		fmt.Printf("(%s took %.1fs)\n", s.name, time.Since(start).Seconds())
	}
	if failed {
		os.Exit(1)
	}
}
