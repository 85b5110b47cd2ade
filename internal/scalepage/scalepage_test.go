package scalepage

import (
	"strings"
	"testing"
	"time"
)

func TestBusiest(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms ...int) []time.Time {
		var ts []time.Time
		for _, m := range ms {
			ts = append(ts, t0.Add(time.Duration(m)*time.Millisecond))
		}
		return ts
	}
	tests := []struct {
		name     string
		times    []time.Time
		wantMost int
		wantRate float64
	}{
		{name: "none", times: nil, wantMost: 0, wantRate: 0},
		{name: "one", times: at(0), wantMost: 1, wantRate: 0},
		{name: "all at once", times: at(5, 5, 5), wantMost: 3, wantRate: 0},
		{name: "a window is under a second", times: at(0, 999, 1000), wantMost: 2, wantRate: 2},
		{name: "out of order", times: at(2000, 0, 500, 1900, 1950), wantMost: 3, wantRate: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			most, rate := Busiest(tc.times)
			if most != tc.wantMost || rate != tc.wantRate {
				t.Errorf("Busiest = %d, %.2f/s; want %d, %.2f/s", most, rate, tc.wantMost, tc.wantRate)
			}
		})
	}
}

func TestPageFillsEveryPlaceholder(t *testing.T) {
	p := Page("http://127.0.0.1:1/web/fabric-lro.js", "http://127.0.0.1:2/v1", 40)
	for _, want := range []string{`from "http://127.0.0.1:1/web/fabric-lro.js"`, `apiBase: "http://127.0.0.1:2/v1"`, "requestsPerSecond: 40 ", `console.time("` + Marker + `")`} {
		if !strings.Contains(p, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(p, "{{") {
		t.Errorf("a placeholder is left in the page")
	}
}
