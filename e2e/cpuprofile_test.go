package e2e

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/profiler"
	"github.com/chromedp/chromedp"
)

// cpuProfile, when FABRIC_LRO_CPUPROFILE is set, samples the page's JavaScript and wasm with
// V8's profiler until the returned stop is called, then logs the functions that took the most
// time (self time; wasm functions carry their Go names, in a module built without -s -w) and,
// for the samples inside long (start and end in µs on the trace's clock, as taskStats.Long
// gives them), the time spent in each function and below it. A diagnostic for finding what
// makes a task long; without the variable it does nothing.
func cpuProfile(t *testing.T, ctx context.Context) (stop func(long [][2]float64)) {
	t.Helper()
	if os.Getenv("FABRIC_LRO_CPUPROFILE") == "" {
		return func([][2]float64) {}
	}
	if _, err := chromedp.Call(ctx, profiler.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("profiler: %v", err)
	}
	if _, err := chromedp.Call(ctx, profiler.SetSamplingInterval, profiler.SetSamplingIntervalParams{Interval: 200}); err != nil {
		t.Fatalf("profiler: %v", err)
	}
	if _, err := chromedp.Call(ctx, profiler.Start, cdp.Empty{}); err != nil {
		t.Fatalf("profiler: %v", err)
	}
	return func(long [][2]float64) {
		res, err := chromedp.Call(ctx, profiler.Stop, cdp.Empty{})
		if err != nil || res.Profile == nil {
			t.Fatalf("profiler: %v", err)
		}
		t.Logf("CPU profile, self time:\n%s", topSelfTime(res.Profile, 40))
		t.Logf("CPU profile, inside the %d tasks over 50 ms of CPU, time in each function and below it:\n%s", len(long), insideTasks(res.Profile, long, 60))
	}
}

// insideTasks sums, for the samples taken inside the windows long, each sample's time onto
// every function on its stack (once per sample), and lists the n largest.
func insideTasks(p *profiler.Profile, long [][2]float64, n int) string {
	name := map[int64]string{}
	parent := map[int64]int64{}
	for _, node := range p.Nodes {
		name[node.ID] = node.CallFrame.FunctionName
		for _, c := range node.Children {
			parent[c] = node.ID
		}
	}
	slices.SortFunc(long, func(a, b [2]float64) int { return cmp.Compare(a[0], b[0]) })
	total := map[string]int64{}
	var all int64
	at := float64(p.StartTime)
	for i, id := range p.Samples {
		at += float64(p.TimeDeltas[i])
		if i+1 >= len(p.TimeDeltas) {
			break
		}
		k, starts := slices.BinarySearchFunc(long, at, func(w [2]float64, t float64) int { return cmp.Compare(w[0], t) })
		if starts || k > 0 && at <= long[k-1][1] {
			d := p.TimeDeltas[i+1]
			all += d
			seen := map[string]bool{}
			for x := id; x != 0; x = parent[x] {
				if f := name[x]; !seen[f] {
					seen[f] = true
					total[f] += d
				}
			}
		}
	}
	return fmt.Sprintf("%8.1f ms sampled inside them\n", float64(all)/1000) + largest(total, all, n)
}

// topSelfTime sums each sample's time delta onto the function on top of the stack.
func topSelfTime(p *profiler.Profile, n int) string {
	name := map[int64]string{}
	for _, node := range p.Nodes {
		name[node.ID] = node.CallFrame.FunctionName
	}
	self := map[string]int64{}
	var total int64
	for i, id := range p.Samples {
		if i+1 < len(p.TimeDeltas) {
			d := p.TimeDeltas[i+1]
			self[name[id]] += d
			total += d
		}
	}
	return largest(self, total, n)
}

// largest lists the n functions with the most time (µs) in by, with their share of all.
func largest(by map[string]int64, all int64, n int) string {
	type fn struct {
		name string
		us   int64
	}
	var fns []fn
	for k, v := range by {
		fns = append(fns, fn{k, v})
	}
	slices.SortFunc(fns, func(a, b fn) int { return cmp.Compare(b.us, a.us) })
	var b strings.Builder
	for _, f := range fns[:min(n, len(fns))] {
		fmt.Fprintf(&b, "%8.1f ms %5.1f%%  %s\n", float64(f.us)/1000, 100*float64(f.us)/float64(max(all, 1)), f.name)
	}
	return b.String()
}

// devToolsQuiet turns off the DevTools domains chromedp enables in each tab (Network, DOM,
// CSS): with them on, Chromium records an initiator stack for every fetch and reports DOM
// changes to the test, which lengthens the page's tasks beyond what a user's browser does.
func devToolsQuiet(t *testing.T, ctx context.Context) {
	t.Helper()
	if _, err := chromedp.Call(ctx, css.Disable, cdp.Empty{}); err != nil {
		t.Fatalf("CSS.disable: %v", err)
	}
	if _, err := chromedp.Call(ctx, dom.Disable, cdp.Empty{}); err != nil {
		t.Fatalf("DOM.disable: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.Disable, cdp.Empty{}); err != nil {
		t.Fatalf("Network.disable: %v", err)
	}
}
