package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fabric-lro/fabric-lro/emulator"
)

// The workerd section: the Go Worker (worker/, one Go instance per isolate) against the plain
// JavaScript Worker in bench/baseline, each in its own workerd process, in front of one emulator.
// Requests alternate between the two so that machine noise hits both alike.

// workerdRun is one workerd process serving a Worker.
type workerdRun struct {
	name string
	base string
	pid  int
	stop func()
}

// startWorkerd serves config on a free port. It waits until the port accepts connections, not
// for an HTTP answer, so the Worker's first request is still to come.
func startWorkerd(name, config string, env []string) (*workerdRun, error) {
	workerd := os.Getenv("WORKERD")
	if workerd == "" {
		return nil, fmt.Errorf("WORKERD is not set: run it as ./build.sh bench")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, workerd, "serve", filepath.FromSlash(config), "--socket-addr", fmt.Sprintf("http=127.0.0.1:%d", port))
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr // the Worker's log lines are not measured here
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, err
	}
	r := &workerdRun{name: name, base: fmt.Sprintf("http://127.0.0.1:%d", port), pid: cmd.Process.Pid, stop: func() { cancel(); _ = cmd.Wait() }}
	for i := 0; i < 300; i++ {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return r, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.stop()
	return nil, fmt.Errorf("workerd with %s did not listen within 15 s", config)
}

// get sends GET path with the page's origin and a token, and reads the answer.
func (r *workerdRun) get(client *http.Client, path string) (time.Duration, error) {
	req, err := http.NewRequest("GET", r.base+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer bench")
	req.Header.Set("Origin", origin)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", r.name, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("%s: GET %s answered %s", r.name, path, resp.Status)
	}
	return time.Since(start), nil
}

func benchWorkerd() error {
	emu := httptest.NewServer(emulator.New(emulator.Config{}))
	defer emu.Close()
	env := []string{"FABRIC_API_BASE=" + emu.URL, "ALLOWED_ORIGINS=" + origin}
	configs := []struct{ name, config string }{
		{"plain JS Worker (bench/baseline)", "bench/baseline/workerd.capnp"},
		{"Go Worker (worker/)", "worker/workerd.capnp"},
	}

	if err := workerdSize(); err != nil {
		return err
	}
	if err := workerdFirstRequest(configs, env); err != nil {
		return err
	}
	var runs []*workerdRun
	for _, c := range configs {
		r, err := startWorkerd(c.name, c.config, env)
		if err != nil {
			return err
		}
		defer r.stop()
		runs = append(runs, r)
	}
	if err := workerdSteady(runs); err != nil {
		return err
	}
	if err := workerdThroughput(runs); err != nil {
		return err
	}
	return workerdMemory(env)
}

// workerdSize reports the Worker's WebAssembly module.
func workerdSize() error {
	raw, err := os.ReadFile("worker/build/app.wasm")
	if err != nil {
		return fmt.Errorf("worker/build/app.wasm: %w (run ./build.sh bench)", err)
	}
	gz, err := gzipSize(raw)
	if err != nil {
		return err
	}
	printf("\n### The Worker's module\n\nworker/build/app.wasm: %d bytes raw, %d bytes gzip -9.\n", len(raw), gz)
	return nil
}

// workerdFirstRequest: a fresh workerd per sample, CPU of its first request (the Go Worker
// starts its instance there: Go's runtime may not draw random numbers at global scope).
func workerdFirstRequest(configs []struct{ name, config string }, env []string) error {
	const samples = 5
	printf("\n### First request of a fresh isolate (CPU, median of %d fresh workerd processes)\n\n", samples)
	printf("| Worker | CPU of the first request | CPU of the second |\n| --- | ---: | ---: |\n")
	for _, c := range configs {
		var first, second []time.Duration
		for range samples {
			r, err := startWorkerd(c.name, c.config, env)
			if err != nil {
				return err
			}
			idle := processCPU(r.pid)
			client := &http.Client{Timeout: 10 * time.Second}
			if _, err := r.get(client, "/v1/workspaces"); err != nil {
				r.stop()
				return err
			}
			one := processCPU(r.pid)
			if _, err := r.get(client, "/v1/workspaces"); err != nil {
				r.stop()
				return err
			}
			two := processCPU(r.pid)
			r.stop()
			first = append(first, one-idle)
			second = append(second, two-one)
		}
		printf("| %s | %v | %v |\n", c.name, median(first), median(second))
	}
	printf("\n(/proc CPU time ticks are 10 ms: a 0 means under one tick.)\n")
	return nil
}

// workerdSteady alternates requests between the Workers: latency p50 and p99 per request, and
// CPU per request as the median over batches.
func workerdSteady(runs []*workerdRun) error {
	const batches, perBatch = 15, 200
	client := &http.Client{Timeout: 10 * time.Second}
	for _, r := range runs { // warm up: the Go instance starts, V8 tiers the code up
		for range 300 {
			if _, err := r.get(client, "/v1/workspaces"); err != nil {
				return err
			}
		}
	}
	lat := make([][]time.Duration, len(runs))
	cpu := make([][]time.Duration, len(runs))
	for range batches {
		before := make([]time.Duration, len(runs))
		for j, r := range runs {
			before[j] = processCPU(r.pid)
		}
		for range perBatch {
			for j, r := range runs {
				d, err := r.get(client, "/v1/workspaces")
				if err != nil {
					return err
				}
				lat[j] = append(lat[j], d)
			}
		}
		for j, r := range runs {
			cpu[j] = append(cpu[j], (processCPU(r.pid)-before[j])/perBatch)
		}
	}
	printf("\n### Steady state: GET /v1/workspaces, alternating, %d requests each\n\n", batches*perBatch)
	printf("| Worker | CPU per request (median of %d batches) | ratio | p50 latency | ratio | p99 latency | ratio |\n", batches)
	printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	var base [3]time.Duration
	for j, r := range runs {
		c, p50, p99 := median(cpu[j]), percentile(lat[j], 50), percentile(lat[j], 99)
		if j == 0 {
			base = [3]time.Duration{c, p50, p99}
		}
		printf("| %s | %v | %.2fx | %v | %.2fx | %v | %.2fx |\n", r.name,
			c.Round(10*time.Microsecond), ratio(c, base[0]),
			p50.Round(10*time.Microsecond), ratio(p50, base[1]),
			p99.Round(10*time.Microsecond), ratio(p99, base[2]))
	}
	return nil
}

// workerdThroughput: 16 clients at once, each Worker in turn, three rounds; median requests/s.
func workerdThroughput(runs []*workerdRun) error {
	const clients, requests, rounds = 16, 3000, 3
	rates := make([][]float64, len(runs))
	for range rounds {
		for j, r := range runs {
			rate, err := throughput(r, clients, requests)
			if err != nil {
				return err
			}
			rates[j] = append(rates[j], rate)
		}
	}
	printf("\n### Throughput: %d concurrent clients, %d requests, median of %d rounds\n\n", clients, requests, rounds)
	printf("| Worker | requests/s | ratio |\n| --- | ---: | ---: |\n")
	var base float64
	for j, r := range runs {
		sort.Float64s(rates[j])
		m := rates[j][len(rates[j])/2]
		if j == 0 {
			base = m
		}
		printf("| %s | %.0f | %.2fx |\n", r.name, m, m/base)
	}
	return nil
}

func throughput(r *workerdRun, clients, requests int) (float64, error) {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	next := make(chan struct{})
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range next {
				if _, err := r.get(client, "/v1/workspaces"); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for range requests {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		return 0, err
	default:
	}
	return float64(requests) / time.Since(start).Seconds(), nil
}

// workerdMemory: 50,000 requests to the workertest build of the Go Worker (the same Worker plus
// a /_test/memory hook) and to the plain JS Worker, side by side: the Go instance's linear memory
// and each workerd's resident memory (V8's heaps and all) after 5,000 and after 50,000.
func workerdMemory(env []string) error {
	const early, total, clients = 5000, 50000, 16
	goW, err := startWorkerd("Go Worker (workertest build)", "worker/build/workertest/workerd.capnp", env)
	if err != nil {
		return err
	}
	defer goW.stop()
	jsW, err := startWorkerd("plain JS Worker", "bench/baseline/workerd.capnp", env)
	if err != nil {
		return err
	}
	defer jsW.stop()
	var at [2]memoryFigures
	for i, n := range []int{early, total - early} {
		for _, r := range []*workerdRun{goW, jsW} {
			if _, err := throughput(r, clients, n); err != nil {
				return err
			}
		}
		if at[i], err = readMemory(goW, jsW); err != nil {
			return err
		}
	}
	return reportMemory(early, total, clients, at[0], at[1])
}

// memoryFigures are the Go Worker's own memory figures (its /_test/memory) and the resident
// memory of both workerd processes.
type memoryFigures struct {
	Sys        uint64 `json:"sys"`
	HeapAlloc  uint64 `json:"heapAlloc"`
	NumGC      uint64 `json:"numGC"`
	rss, jsRSS uint64
}

func readMemory(goW, jsW *workerdRun) (memoryFigures, error) {
	resp, err := http.Get(goW.base + "/_test/memory")
	if err != nil {
		return memoryFigures{}, err
	}
	defer resp.Body.Close()
	var f memoryFigures
	if err := json.NewDecoder(resp.Body).Decode(&f); err != nil {
		return memoryFigures{}, fmt.Errorf("/_test/memory: %w (is worker/build/workertest the workertest build?)", err)
	}
	f.rss, f.jsRSS = residentBytes(goW.pid), residentBytes(jsW.pid)
	return f, nil
}

// reportMemory prints the memory table, a after early requests and b after total, and fails
// when memory grew more than its budget.
func reportMemory(early, total, clients int, a, b memoryFigures) error {
	growth := func(x, y uint64) float64 { return 100 * (float64(y) - float64(x)) / float64(x) }
	printf("\n### Memory over %d requests (%d clients)\n\n", total, clients)
	printf("| after | Go: wasm linear memory | Go: heap in use | Go: GC cycles | Go Worker's workerd, resident | plain JS Worker's workerd, resident |\n")
	printf("| --- | ---: | ---: | ---: | ---: | ---: |\n")
	printf("| %d requests | %d | %d | %d | %d | %d |\n", early, a.Sys, a.HeapAlloc, a.NumGC, a.rss, a.jsRSS)
	printf("| %d requests | %d | %d | %d | %d | %d |\n", total, b.Sys, b.HeapAlloc, b.NumGC, b.rss, b.jsRSS)
	printf("| growth | %+.1f%% | | | %+.1f%% | %+.1f%% |\n", growth(a.Sys, b.Sys), growth(a.rss, b.rss), growth(a.jsRSS, b.jsRSS))
	printf("\nResident memory includes V8's heaps, which grow until V8 collects: the plain JS Worker's column is\n" +
		"the same runtime's growth with no Go in it. The budget: wasm memory within 10%%, and the Go\n" +
		"Worker's resident growth within 10 points of the plain JS Worker's.\n")
	if growth(a.Sys, b.Sys) > 10 || growth(a.rss, b.rss) > growth(a.jsRSS, b.jsRSS)+10 {
		return fmt.Errorf("memory grew more than its budget between %d and %d requests", early, total)
	}
	return nil
}

// residentBytes is a process's resident set size (0 without /proc).
func residentBytes(pid int) uint64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// percentile of a sample of durations (the sample is sorted in place).
func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[(len(d)-1)*p/100]
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
