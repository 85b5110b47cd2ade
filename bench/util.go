package main

import (
	"fmt"
	"os"
	"os/exec"
	"sort"
	"time"
)

// median of a sample of durations (the sample is sorted in place).
func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

// findChromium is $CHROMIUM, or chromium on PATH: the browser the load, tabs and scale
// sections drive.
func findChromium(section string) (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("the %s section needs Chromium: set CHROMIUM, or run ./build.sh bench (it installs Chromium from Debian)", section)
}
