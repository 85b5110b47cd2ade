package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"
)

// mainThreadTasks records the tasks of a page's main thread (the renderer's CrRendererMain)
// from Chromium's own trace, between start and the stop it returns.
//
// Each task comes with its wall time and its thread time (CPU time on that thread). The
// thread time is what the page's code cost: on a busy machine (two cores shared by several
// test runs) the renderer can be descheduled in the middle of a task, which lengthens its
// wall time (and what a longtask PerformanceObserver reports) but not its thread time. A
// bound on thread time therefore fails when the page does too much in one task, and not
// when the machine is slow.
//
// Only the tasks of the page that called console.time(marker) are counted, after the task
// that called it: what the page does from then (the updates), not the caller's own task
// (taskStats.Caller), not the browser's other pages, nor anything before.
func mainThreadTasks(t *testing.T, ctx context.Context, marker string) (stop func() taskStats) {
	t.Helper()
	var mu sync.Mutex
	var raw []json.RawMessage
	completed := make(chan struct{})
	lctx, cancel := context.WithCancel(ctx)
	err := chromedp.ListenBrowser(lctx, func(ev any) {
		switch ev := ev.(type) {
		case *tracing.EventDataCollected:
			mu.Lock()
			for _, v := range ev.Value {
				raw = append(raw, json.RawMessage(v))
			}
			mu.Unlock()
		case *tracing.EventTracingComplete:
			close(completed)
		}
	})
	if err != nil {
		cancel()
		t.Fatalf("listen for trace events: %v", err)
	}
	_, err = chromedp.CallBrowser(ctx, tracing.Start, tracing.StartParams{
		TraceConfig: &tracing.TraceConfig{IncludedCategories: []string{"toplevel", "__metadata", "blink.console", "devtools.timeline"}, ExcludedCategories: []string{"*"}},
	})
	if err != nil {
		cancel()
		t.Fatalf("start tracing: %v", err)
	}
	return func() taskStats {
		t.Helper()
		defer cancel()
		if _, err := chromedp.CallBrowser(ctx, tracing.End, cdp.Empty{}); err != nil {
			t.Fatalf("end tracing: %v", err)
		}
		select {
		case <-completed:
		case <-time.After(180 * time.Second):
			t.Fatal("tracing did not complete within 180 s")
		}
		mu.Lock()
		defer mu.Unlock()
		return summarizeTasks(raw, marker)
	}
}

// traceEvent is the part of a Chromium trace event the task statistics need.
type traceEvent struct {
	Name string  `json:"name"`
	Cat  string  `json:"cat"`
	Ph   string  `json:"ph"`
	Pid  int     `json:"pid"`
	Tid  int     `json:"tid"`
	Ts   float64 `json:"ts"`   // µs
	Dur  float64 `json:"dur"`  // µs, wall
	Tdur float64 `json:"tdur"` // µs, thread (CPU)
	Args struct {
		Name string `json:"name"`
	} `json:"args"`
}

// taskStats are the main-thread tasks of the renderers seen in a trace.
type taskStats struct {
	Tasks      int           // tasks on renderer main threads
	Caller     time.Duration // the thread time of the task that marked the start (the page's own calls)
	LongestCPU time.Duration // the longest thread time of one task after it
	LongestRun time.Duration // the longest wall time of one task
	OverCPU50  int           // tasks whose thread time exceeds 50 ms
	OverRun50  int           // tasks whose wall time exceeds 50 ms
	CPU        []time.Duration
	Longest    []string     // the longest tasks with what ran in them, for the log
	Long       [][2]float64 // start and end (µs, the trace's clock) of each task over 50 ms of CPU
}

func summarizeTasks(raw []json.RawMessage, marker string) taskStats {
	type thread struct{ pid, tid int }
	var evs []traceEvent
	mains := map[thread]bool{}
	for _, r := range raw {
		var e traceEvent
		if json.Unmarshal(r, &e) != nil {
			continue
		}
		if e.Ph == "M" && e.Name == "thread_name" && e.Args.Name == "CrRendererMain" {
			mains[thread{e.Pid, e.Tid}] = true
		}
		evs = append(evs, e)
	}
	var s taskStats
	from, pid := -1.0, 0
	for _, e := range evs {
		if e.Name == marker && e.Cat == "blink.console" && (from < 0 || e.Ts < from) {
			from, pid = e.Ts, e.Pid
		}
	}
	if from < 0 {
		return s // the page never marked the start: Tasks stays 0
	}
	counted := func(e traceEvent) bool {
		return e.Ph == "X" && e.Pid == pid && mains[thread{e.Pid, e.Tid}] && e.Name == "ThreadControllerImpl::RunTask" && e.Ts+e.Dur >= from
	}
	for _, e := range evs {
		if !counted(e) {
			continue
		}
		if e.Ts <= from && from <= e.Ts+e.Dur {
			// The task that marked the start: the page's own calls, not an update.
			s.Caller = time.Duration(e.Tdur * float64(time.Microsecond))
			continue
		}
		cpu := time.Duration(e.Tdur * float64(time.Microsecond))
		wall := time.Duration(e.Dur * float64(time.Microsecond))
		s.Tasks++
		s.CPU = append(s.CPU, cpu)
		s.LongestCPU = max(s.LongestCPU, cpu)
		s.LongestRun = max(s.LongestRun, wall)
		if cpu > 50*time.Millisecond {
			s.OverCPU50++
			s.Long = append(s.Long, [2]float64{e.Ts, e.Ts + e.Dur})
		}
		if wall > 50*time.Millisecond {
			s.OverRun50++
		}
	}
	slices.Sort(s.CPU)
	// What ran in the five longest tasks (timeline events inside them), for the log.
	var tasks []traceEvent
	for _, e := range evs {
		if counted(e) && !(e.Ts <= from && from <= e.Ts+e.Dur) {
			tasks = append(tasks, e)
		}
	}
	slices.SortFunc(tasks, func(a, b traceEvent) int { return int(b.Tdur - a.Tdur) })
	for _, task := range tasks[:min(5, len(tasks))] {
		inside := map[string]float64{}
		for _, e := range evs {
			if e.Ph == "X" && e.Pid == task.Pid && e.Tid == task.Tid && e.Ts >= task.Ts && e.Ts+e.Dur <= task.Ts+task.Dur && e.Name != task.Name && e.Tdur > 1000 {
				inside[e.Name] += e.Tdur / 1000
			}
		}
		var parts []string
		for n, ms := range inside {
			parts = append(parts, fmt.Sprintf("%s %.0f", n, ms))
		}
		slices.Sort(parts)
		s.Longest = append(s.Longest, fmt.Sprintf("%.0f ms CPU (%.0f ms wall) at %.1f s [%s]", task.Tdur/1000, task.Dur/1000, (task.Ts-from)/1e6, strings.Join(parts, ", ")))
	}
	return s
}
