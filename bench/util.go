package main

import (
	"io"
	"net/http"
	"sort"
	"strings"
	"time"
)

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

func readAll(resp *http.Response) ([]byte, error) { return io.ReadAll(resp.Body) }

// median of a sample of durations (the sample is sorted in place).
func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}
