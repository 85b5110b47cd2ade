package e2e

import (
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
// time (self time; wasm functions carry their Go names). A diagnostic for finding what makes a
// task long; without the variable it does nothing.
func cpuProfile(t *testing.T, ctx context.Context) (stop func()) {
	t.Helper()
	if os.Getenv("FABRIC_LRO_CPUPROFILE") == "" {
		return func() {}
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
	return func() {
		res, err := chromedp.Call(ctx, profiler.Stop, cdp.Empty{})
		if err != nil || res.Profile == nil {
			t.Fatalf("profiler: %v", err)
		}
		t.Logf("CPU profile, self time:\n%s", topSelfTime(res.Profile, 40))
	}
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
	type fn struct {
		name string
		us   int64
	}
	var fns []fn
	for k, v := range self {
		fns = append(fns, fn{k, v})
	}
	slices.SortFunc(fns, func(a, b fn) int { return int(b.us - a.us) })
	var b strings.Builder
	for _, f := range fns[:min(n, len(fns))] {
		fmt.Fprintf(&b, "%8.1f ms %5.1f%%  %s\n", float64(f.us)/1000, 100*float64(f.us)/float64(max(total, 1)), f.name)
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
