package main

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/fabric-lro/fabric-lro/emulator"
	"github.com/fabric-lro/fabric-lro/proxy"
)

const origin = "http://127.0.0.1:8080"

// target is one way of reaching the emulator's API.
type target struct {
	name string
	base string
	pid  int // a local process serving base, whose CPU time is reported; 0 for none
}

// compareLatency sends n GET /v1/workspaces to every target, interleaved so that machine
// noise hits all of them alike, and prints each median and its ratio to the first.
func compareLatency(n int, targets []target) error {
	client := &http.Client{Timeout: 10 * time.Second}
	samples := make([][]time.Duration, len(targets))
	cpu := make([]time.Duration, len(targets))
	for j, t := range targets {
		cpu[j] = -processCPU(t.pid)
	}
	for i := 0; i < n; i++ {
		for j, t := range targets {
			req, err := http.NewRequest("GET", t.base+"/v1/workspaces", nil)
			if err != nil {
				return err
			}
			req.Header.Set("Authorization", "Bearer bench")
			req.Header.Set("Origin", origin)
			start := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				return fmt.Errorf("%s: GET /v1/workspaces answered %s", t.name, resp.Status)
			}
			samples[j] = append(samples[j], time.Since(start))
		}
	}
	for j, t := range targets {
		cpu[j] += processCPU(t.pid)
	}
	base := median(samples[0])
	printf("%-44s %12s %8s %16s %8s\n", "path", "median", "ratio", "CPU per request", "ratio")
	for j, t := range targets {
		m := median(samples[j])
		cpuCol, cpuRatio := "-", "-"
		if t.pid != 0 {
			per := cpu[j] / time.Duration(n)
			cpuCol = per.Round(10 * time.Microsecond).String()
			if targets[0].pid != 0 && cpu[0] > 0 {
				cpuRatio = fmt.Sprintf("%.2f", float64(cpu[j])/float64(cpu[0]))
			}
		}
		printf("%-44s %12s %8.2f %16s %8s\n", t.name, m.Round(time.Microsecond), float64(m)/float64(base), cpuCol, cpuRatio)
	}
	printf("(%d requests each, interleaved)\n", n)
	return nil
}

// benchProxy compares calling the emulator directly with calling it through the native proxy.
func benchProxy() error {
	emu := httptest.NewServer(emulator.New(emulator.Config{}))
	defer emu.Close()
	px, err := startNativeProxy(emu.URL, origin)
	if err != nil {
		return err
	}
	defer px.Close()
	return compareLatency(1000, []target{
		{name: "emulator, direct", base: emu.URL},
		{name: "emulator through the native proxy", base: px.URL},
	})
}

// startNativeProxy serves the native proxy in front of upstream for one allowed origin, silently.
func startNativeProxy(upstream, allowedOrigin string) (*httptest.Server, error) {
	p, err := proxy.New(proxy.Config{
		Upstream:       upstream,
		AllowedOrigins: []string{allowedOrigin},
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return nil, err
	}
	return httptest.NewServer(p), nil
}

// processCPU is the user+system CPU time a Linux process has used so far (0 without /proc
// or for pid 0): workerd's own accounting of what each request costs.
func processCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// After the command name in parentheses: utime and stime are fields 14 and 15 of the
	// whole line, in clock ticks of 10 ms.
	fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.Atoi(fields[11])
	stime, _ := strconv.Atoi(fields[12])
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
