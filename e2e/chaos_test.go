package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fabric-lro/fabric-lro/emulator"
	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/lro/nethttp"
	"github.com/fabric-lro/fabric-lro/proxy"
)

// chaosSetting reads a positive integer from the environment, or def.
func chaosSetting(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// chaosMonitor sits in front of the emulator (and its regional twin). It counts what the
// issue asks to count from the server's side: polls sent sooner than the last Retry-After
// allowed, and creates or job runs sent more than once. It also injects the faults the
// emulator has no rule for: Retry-After 0 and Retry-After in the past.
type chaosMonitor struct {
	mu        sync.Mutex
	rnd       *rand.Rand
	inject    bool
	notBefore map[string]allowance // poll key -> earliest allowed arrival
	early     []earlyPoll
	starts    map[string][]int // label -> statuses of its POSTs (0: no answer)
	injected  map[string]int
	statuses  map[int]int
	requests  int
	// clientTimeout is the engine's request timeout: an answer sent that long after its
	// request arrived went to nobody (workerd's fetch does not cancel when its caller goes).
	clientTimeout time.Duration
	late          int
}

// allowance is the earliest arrival a Retry-After allows, and when that answer was sent.
type allowance struct{ notBefore, sentAt time.Time }

// earlyPoll is a poll that arrived before its allowance.
type earlyPoll struct {
	what    string
	arrival time.Time
	allowed allowance
}

func newChaosMonitor(seed uint64) *chaosMonitor {
	return &chaosMonitor{rnd: rand.New(rand.NewPCG(seed, seed^0x5eed)), notBefore: map[string]allowance{},
		starts: map[string][]int{}, injected: map[string]int{}, statuses: map[int]int{}}
}

// pollKey names what a GET polls: "op/{id}" for an operation state, "job/{id}" for a job
// instance, "" for anything else (a result fetch waits for no Retry-After).
func pollKey(path string) string {
	path = strings.TrimPrefix(path, "/v1")
	if rest, ok := strings.CutPrefix(path, "/operations/"); ok && rest != "" && !strings.Contains(rest, "/") {
		return "op/" + rest
	}
	if i := strings.Index(path, "/jobs/instances/"); i >= 0 {
		if rest := path[i+len("/jobs/instances/"):]; rest != "" && !strings.Contains(rest, "/") {
			return "job/" + rest
		}
	}
	return ""
}

// startLabel is the label a start request carries (x-ms-chaos-label), "" for other requests.
func startLabel(r *http.Request) string {
	if r.Method != http.MethodPost {
		return ""
	}
	return r.Header.Get("x-ms-chaos-label")
}

func (m *chaosMonitor) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrival := time.Now()
		key := ""
		if r.Method == http.MethodGet {
			key = pollKey(r.URL.Path)
		}
		m.mu.Lock()
		m.requests++
		if a, ok := m.notBefore[key]; ok && key != "" && arrival.Before(a.notBefore) {
			m.early = append(m.early, earlyPoll{what: r.Method + " " + r.URL.Path, arrival: arrival, allowed: a})
		}
		m.mu.Unlock()
		cw := &chaosWriter{ResponseWriter: w, m: m}
		h.ServeHTTP(cw, r)
		m.mu.Lock()
		defer m.mu.Unlock()
		answered := cw.code != 0 && r.Context().Err() == nil
		if label := startLabel(r); label != "" {
			st := cw.code
			if !answered {
				st = 0
			}
			m.starts[label] = append(m.starts[label], st)
		}
		if !answered {
			return // dropped, or the caller gave up: it saw no Retry-After
		}
		m.statuses[cw.code]++
		if cw.sentAt.Sub(arrival) > m.clientTimeout-250*time.Millisecond {
			m.late++
			return // the client had given up, or was about to: no Retry-After binds it
		}
		if key == "" && cw.code == http.StatusAccepted {
			if loc := cw.Header().Get("Location"); loc != "" {
				if i := strings.Index(loc, "://"); i >= 0 {
					loc = loc[i+3:]
					loc = loc[strings.IndexByte(loc+"/", '/'):]
				}
				key = pollKey(strings.SplitN(loc, "?", 2)[0])
			}
		}
		if key == "" {
			return
		}
		if nb, ok := retryAfterUntil(cw.retryAfter, cw.sentAt); ok {
			m.notBefore[key] = allowance{notBefore: nb, sentAt: cw.sentAt}
		} else {
			delete(m.notBefore, key)
		}
	})
}

// retryAfterUntil is the earliest time a Retry-After value sent at sentAt allows.
func retryAfterUntil(v string, sentAt time.Time) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	if n, err := strconv.Atoi(v); err == nil {
		return sentAt.Add(time.Duration(max(n, 0)) * time.Second), true
	}
	if d, err := http.ParseTime(v); err == nil {
		return d, true
	}
	return time.Time{}, false
}

// chaosWriter records the answer and rewrites its Retry-After when the monitor injects.
type chaosWriter struct {
	http.ResponseWriter
	m          *chaosMonitor
	code       int
	retryAfter string
	sentAt     time.Time
}

func (w *chaosWriter) WriteHeader(code int) {
	if w.code != 0 {
		return
	}
	w.code, w.sentAt = code, time.Now()
	h := w.Header()
	if ra := h.Get("Retry-After"); ra != "" {
		w.m.mu.Lock()
		if w.m.inject {
			switch x := w.m.rnd.Float64(); {
			case x < 0.05:
				h.Set("Retry-After", "0")
				w.m.injected["Retry-After 0"]++
			case x < 0.10:
				h.Set("Retry-After", time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat))
				w.m.injected["Retry-After in the past"]++
			}
		}
		w.m.mu.Unlock()
	}
	w.retryAfter = h.Get("Retry-After")
	w.ResponseWriter.WriteHeader(code)
}

func (w *chaosWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets the emulator's drop faults hijack the connection.
func (w *chaosWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// chaosFaults is the emulator's seeded mix for workspace path ws: on creates (POST
// .../notebooks), on job runs (POST .../items/{id}/jobs/instances), and on polls of operations
// (with and without /v1, on the regional host too) and of job instances.
func chaosFaults(ws string, clientTimeout time.Duration) []emulator.FaultRule {
	var rules []emulator.FaultRule
	add := func(method, prefix string, kinds map[emulator.FaultKind]float64) {
		for _, k := range slices.Sorted(maps.Keys(kinds)) {
			r := emulator.FaultRule{Kind: k, Method: method, PathPrefix: prefix, Probability: kinds[k]}
			switch k {
			case emulator.FaultThrottle, emulator.FaultUnavailable:
				r.RetryAfterSeconds = 1
			case emulator.FaultSlow:
				r.Delay = emulator.Duration(clientTimeout + 1500*time.Millisecond) // past the client's timeout
			}
			rules = append(rules, r)
		}
	}
	starts := map[emulator.FaultKind]float64{
		emulator.FaultThrottle: 0.06, emulator.FaultInternalError: 0.02, emulator.FaultUnavailable: 0.02,
		emulator.FaultDrop: 0.01, emulator.FaultDropAfter: 0.01, emulator.FaultSlow: 0.01,
		emulator.FaultNoRetryAfter: 0.1, emulator.FaultRetryAfterDate: 0.1,
	}
	add("POST", ws+"/items/", starts)
	starts[emulator.FaultRegionalLocation], starts[emulator.FaultLocationWithoutV1] = 0.25, 0.15
	add("POST", ws+"/notebooks", starts)
	polls := map[emulator.FaultKind]float64{
		emulator.FaultThrottle: 0.05, emulator.FaultInternalError: 0.03, emulator.FaultUnavailable: 0.03,
		emulator.FaultDrop: 0.02, emulator.FaultDropAfter: 0.02, emulator.FaultSlow: 0.02, emulator.FaultMalformedJSON: 0.03,
		emulator.FaultNoRetryAfter: 0.1, emulator.FaultRetryAfterDate: 0.1, emulator.FaultUndefinedStatus: 0.05,
		emulator.FaultTokenExpired: 0.02,
	}
	for _, prefix := range []string{"/v1/operations/", "/operations/", ws + "/items/"} {
		add("GET", prefix, polls)
	}
	rules = append(rules, emulator.FaultRule{Kind: emulator.FaultUndefinedStatus, Method: "GET", PathPrefix: "/v1/operations/", Probability: 0.03, Status: "Queued"})
	return rules
}

// restartableProxy is the native proxy on one address that can be stopped and started again,
// as an operator restarts it.
type restartableProxy struct {
	cfg  proxy.Config
	addr string
	srv  *http.Server
	done chan struct{}
	logs syncBuffer
}

func startRestartableProxy(t *testing.T, cfg proxy.Config) *restartableProxy {
	t.Helper()
	p := &restartableProxy{cfg: cfg}
	p.cfg.Logger = slogTo(&p.logs)
	p.start(t, "127.0.0.1:0")
	t.Cleanup(p.stop)
	return p
}

func (p *restartableProxy) start(t *testing.T, addr string) {
	t.Helper()
	h, err := proxy.New(p.cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("proxy restart on %s: %v", addr, err)
	}
	p.addr = ln.Addr().String()
	p.srv = &http.Server{Handler: h}
	p.done = make(chan struct{})
	go func(srv *http.Server, done chan struct{}) { _ = srv.Serve(ln); close(done) }(p.srv, p.done)
}

// stop shuts the proxy down as the native proxy does on SIGTERM: no new connections, the
// requests in flight answered (5 s at most), then closed.
func (p *restartableProxy) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if p.srv.Shutdown(ctx) != nil {
		_ = p.srv.Close()
	}
	<-p.done
}

func (p *restartableProxy) restart(t *testing.T) {
	p.stop()
	p.start(t, p.addr)
}

// chaosFinals collects the final snapshots the schedulers report, by label.
type chaosFinals struct {
	mu    sync.Mutex
	final map[string][]lro.Snapshot
}

func (f *chaosFinals) record(s lro.Snapshot) {
	if !s.Done {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.final[s.Label] = append(f.final[s.Label], s)
}

// TestChaos starts N operations and jobs (FABRIC_LRO_CHAOS_N, 40 here, 200 in ./build.sh
// chaos) with the engine natively through the native proxy, while the emulator injects a
// seeded mix of faults (FABRIC_LRO_CHAOS_SEED): 429 storms with and without Retry-After,
// 500/503, dropped connections before and after the answer, slow answers past the client's
// timeout, malformed bodies, HTTP-date, zero and past Retry-After, regional Locations,
// Locations without /v1, statuses the client has never seen, and tokens that expire mid-run.
// The proxy is restarted mid-run, and the engine too (every unfinished call resumed from its
// resume token by a new client). Every call must end in the state the emulator has, reported
// once; none lost, no poll early, no start sent twice. It prints the summary table.
func TestChaos(t *testing.T) {
	requireE2E(t)
	n := chaosSetting(t, "FABRIC_LRO_CHAOS_N", 40)
	seed := uint64(chaosSetting(t, "FABRIC_LRO_CHAOS_SEED", 1))
	paths := []struct {
		name  string
		lim   chaosLimits
		start func(t *testing.T, upstream, regional string) chaosProxy
	}{
		{name: "native", lim: chaosLimits{clientTimeout: 10 * time.Second, maxInFlight: 32, perSecond: 50, burst: 20}, start: func(t *testing.T, upstream, regional string) chaosProxy {
			return startRestartableProxy(t, proxy.Config{Upstream: upstream, RedirectHosts: []string{regional}})
		}},
		// The Worker keeps one Go instance per isolate and takes the native path's load. Timeouts
		// are generous: on a loaded machine a tight one fails starts that were only slow (the
		// engine reports them honestly, but the run then proves little).
		{name: "workerd", lim: chaosLimits{clientTimeout: 15 * time.Second, maxInFlight: 32, perSecond: 50, burst: 20}, start: func(t *testing.T, upstream, regional string) chaosProxy {
			w := &workerdProxy{env: map[string]string{proxy.EnvUpstream: upstream, proxy.EnvRedirectHosts: regional}}
			w.start(t)
			return w
		}},
	}
	for _, path := range paths {
		t.Run(path.name, func(t *testing.T) { runChaos(t, path.name, n, seed, path.lim, path.start) })
	}
}

// chaosLimits are the client's request timeout and the scheduler's request budget.
type chaosLimits struct {
	clientTimeout time.Duration
	maxInFlight   int
	perSecond     float64
	burst         int
}

// chaosProxy is the proxy of one path of the chaos run.
type chaosProxy interface {
	url() string
	restart(t *testing.T)
	log() string
}

// workerdProxy is the Worker in workerd, restarted on the same port as a redeploy would.
type workerdProxy struct {
	env  map[string]string
	port int
	base string
	logs *syncBuffer
	stop func()
}

func (w *workerdProxy) start(t *testing.T) {
	w.base, w.logs, w.stop = startWorkerdAt(t, w.env, w.port)
	w.port, _ = strconv.Atoi(w.base[strings.LastIndexByte(w.base, ':')+1:])
}

func (w *workerdProxy) url() string { return w.base }

func (w *workerdProxy) restart(t *testing.T) {
	w.stop()
	w.start(t)
}

func (w *workerdProxy) log() string { return w.logs.String() }

func (p *restartableProxy) url() string { return "http://" + p.addr }

func (p *restartableProxy) log() string { return p.logs.String() }

// runChaos is one path of TestChaos: the engine through the proxy that start returns.
func runChaos(t *testing.T, pathName string, n int, seed uint64, lim chaosLimits, startProxy func(t *testing.T, upstream, regional string) chaosProxy) {
	mon := newChaosMonitor(seed)
	mon.clientTimeout = lim.clientTimeout
	var emuLog syncBuffer
	regional := httptest.NewUnstartedServer(nil)
	emu := emulator.New(emulator.Config{
		Seed: seed, RetryAfter: time.Second, OperationDuration: 2 * time.Second, JobDuration: 2 * time.Second,
		TokenTTL: 5 * time.Second, RegionalBaseURL: "http://" + regional.Listener.Addr().String(),
		Logf: func(format string, args ...any) { fmt.Fprintf(&emuLog, format+"\n", args...) },
	})
	regional.Config.Handler = mon.wrap(emu)
	regional.Start()
	t.Cleanup(regional.Close)
	upstream := httptest.NewServer(mon.wrap(emu))
	t.Cleanup(upstream.Close)
	ws := "/v1/workspaces/" + emulator.DefaultWorkspaceID

	// The items the jobs run on, made before the faults start (created at once: sync mode).
	setMode := func(mode string) {
		if resp, body := call(t, "PUT", upstream.URL+"/_emulator/config", "", `{"createMode":"`+mode+`"}`, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("emulator config: %d %s", resp.StatusCode, body)
		}
	}
	setMode("sync")
	// Jobs on the last target fail: the emulator fails a job whose item's description matches
	// its fail pattern (a create would fail on a failing displayName).
	var targets []string
	for i := range 9 {
		desc := ""
		if i == 8 {
			desc = "its jobs fail"
		}
		resp, body := call(t, "POST", upstream.URL+ws+"/items", "", fmt.Sprintf(`{"type":"Notebook","displayName":"chaos job target %d","description":%q}`, i, desc), authz)
		var it struct{ ID string }
		if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &it) != nil || it.ID == "" {
			t.Fatalf("creating a job target: %d %s", resp.StatusCode, body)
		}
		targets = append(targets, it.ID)
	}
	failTarget, targets := targets[8], targets[:8]
	setMode("alternate")
	if err := emu.SetFaults(chaosFaults(ws, lim.clientTimeout)...); err != nil {
		t.Fatal(err)
	}
	mon.mu.Lock()
	mon.inject = true
	mon.mu.Unlock()

	px := startProxy(t, upstream.URL, "http://"+regional.Listener.Addr().String())
	var tokenN atomic.Int64
	var retries atomic.Int64
	newClient := func() *lro.Client {
		return lro.NewClient(lro.Options{
			Transport: nethttp.New(&http.Client{Timeout: lim.clientTimeout}),
			BaseURL:   px.url(),
			Token: lro.TokenFunc(func(ctx context.Context, refresh bool) (string, error) {
				if refresh {
					tokenN.Add(1)
				}
				return fmt.Sprintf("chaos-token-%d", tokenN.Load()), nil
			}),
			DefaultRetryAfter: 2 * time.Second, MaxRetries: 20, MaxRetryBackoff: 4 * time.Second,
			OnWarning: func(w lro.Warning) {
				if w.Code == lro.WarnRetrying || w.Code == lro.WarnThrottled {
					retries.Add(1)
				}
			},
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(120+n/2)*time.Second)
	defer cancel()
	finals := &chaosFinals{final: map[string][]lro.Snapshot{}}
	sched := lro.NewScheduler(newClient(), lro.SchedulerOptions{RequestsPerSecond: lim.perSecond, Burst: lim.burst, MaxInFlight: lim.maxInFlight})
	unsubscribe := sched.Subscribe(finals.record)
	runCtx, stopRun := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() { runDone <- sched.Run(runCtx) }()

	// Start N calls at once: three operations (one in five fails) to one job (one in five fails).
	type start struct {
		label, kind string
		jobs        string // a job's instances path
		snap        lro.Snapshot
		err         error
	}
	starts := make([]start, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := start{label: fmt.Sprintf("chaos %d", i), kind: "operation"}
			if i%5 == 0 {
				s.label = fmt.Sprintf("chaos fail %d", i)
			}
			req := &lro.Request{Method: "POST", URL: ws + "/notebooks", Header: lro.Header{"Content-Type": {"application/json"}, "x-ms-chaos-label": {s.label}},
				Body: []byte(`{"displayName":"` + s.label + `"}`)}
			if i%4 == 3 {
				s.kind = "job"
				target := targets[i%len(targets)]
				if i%5 == 0 {
					target = failTarget
				}
				s.jobs = ws + "/items/" + target + "/jobs/instances"
				req = &lro.Request{Method: "POST", URL: s.jobs + "?jobType=DefaultJob", Header: lro.Header{"x-ms-chaos-label": {s.label}}}
			}
			s.snap, s.err = sched.Add(ctx, req, s.label)
			starts[i] = s
		}()
	}
	wg.Wait()

	// Mid-run: the proxy restarts (connections in flight are cut), then the engine does: the
	// first scheduler stops and a new client resumes every unfinished call from its token.
	proxyRestart := time.Now()
	px.restart(t)
	stopRun()
	<-runDone
	engineStop := time.Now()
	unsubscribe()
	sched2 := lro.NewScheduler(newClient(), lro.SchedulerOptions{RequestsPerSecond: lim.perSecond, Burst: lim.burst, MaxInFlight: lim.maxInFlight})
	defer sched2.Subscribe(finals.record)()
	run2Done := make(chan error, 1)
	go func() { run2Done <- sched2.Run(ctx) }()
	var resumed []string
	for _, s := range sched.Snapshots() {
		if s.Done {
			continue
		}
		if _, err := sched2.Track(s.ResumeToken, s.Label); err != nil {
			t.Errorf("resuming %s: %v", s.Label, err)
			continue
		}
		resumed = append(resumed, s.ID)
	}
	for _, id := range resumed {
		if _, err := sched2.Wait(ctx, id); err != nil && ctx.Err() != nil {
			snap, _ := sched2.Snapshot(id)
			t.Errorf("%s (%s) did not finish: %s, error %+v, next poll %v, %d attempts", snap.Label, id, snap.Status, snap.Error, snap.NextPollAt, snap.Attempts)
		}
	}
	cancel()
	<-run2Done

	// The emulator's truth, with the faults off.
	fired, truth := stopFaults(t, emu, mon, upstream.URL)
	items := itemNames(truth, ws+"/items", upstream.URL)

	var matched, startFailed, outcomeUnknown, lost, wrong, twice, dup int
	for _, s := range starts {
		finalsOf := finals.final[s.label]
		mon.mu.Lock()
		posts := mon.starts[s.label]
		mon.mu.Unlock()
		if effective := effectiveStarts(posts); effective > 1 {
			dup++
			t.Errorf("%s: the start was sent %d times (%v)", s.label, effective, posts)
		}
		if s.err != nil {
			// A POST that failed with a 5xx or on the network is not retried: the error says
			// it may have taken effect, and to check the workspace.
			// (A timeout on a loaded machine counts too: the engine cannot tell it from a fault.)
			faulted := slices.ContainsFunc(posts, func(st int) bool { return st == 0 || st >= 500 }) ||
				errors.Is(s.err, context.DeadlineExceeded) || strings.Contains(s.err.Error(), "Timeout")
			if !faulted || !strings.Contains(s.err.Error(), "may have taken effect") || lro.IsRetryable(s.err) {
				t.Errorf("%s: start failed without a fault, or without saying it may have taken effect: %v (statuses %v)", s.label, s.err, posts)
				lost++
				continue
			}
			startFailed++
			if items[s.label] > 0 {
				outcomeUnknown++ // created though the answer was lost: the error said to check
			}
			continue
		}
		if len(finalsOf) == 0 {
			lost++
			t.Errorf("%s (%s %s): no final state reported", s.label, s.kind, s.snap.ID)
			continue
		}
		if len(finalsOf) > 1 {
			twice++
			t.Errorf("%s: final state reported %d times", s.label, len(finalsOf))
		}
		f := finalsOf[len(finalsOf)-1]
		var want string
		var wantErr string
		switch {
		case s.kind == "job":
			v := truth(s.jobs + "/" + f.ID)
			want, _ = v["status"].(string)
			if fr, ok := v["failureReason"].(map[string]any); ok {
				wantErr, _ = fr["errorCode"].(string)
			}
			switch want {
			case lro.StatusDeduped:
				wantErr = string(lro.CodeJobDeduped)
			case lro.StatusCancelled:
				wantErr = string(lro.CodeJobCancelled)
			}
		case slices.Contains(posts, http.StatusCreated): // created at once
			want = "Succeeded"
			if items[s.label] != 1 {
				want = "not in the workspace"
			}
		default:
			v := truth("/v1/operations/" + f.ID)
			want, _ = v["status"].(string)
			if e, ok := v["error"].(map[string]any); ok {
				wantErr, _ = e["errorCode"].(string)
			}
		}
		got, gotErr := f.Status, ""
		if f.Error != nil {
			gotErr = f.Error.ErrorCode
		}
		if slices.Contains(posts, http.StatusCreated) && got == "" {
			got = "Succeeded"
		}
		okResult := s.kind == "job" || want != "Succeeded" || bytes.Contains(f.Result, []byte(`"displayName":"`+s.label+`"`))
		if got != want || gotErr != wantErr || !okResult {
			wrong++
			t.Errorf("%s (%s %s): reported %s %s result %.80s; the emulator has %s %s", s.label, s.kind, f.ID, got, gotErr, f.Result, want, wantErr)
			continue
		}
		matched++
	}
	for name, c := range items {
		if c > 1 {
			dup++
			t.Errorf("the workspace holds %d items named %q", c, name)
		}
	}

	earlyPolls, injected, requests, late := mon.tally(fired)
	// An answer sent while the proxy or the first engine was being stopped may never have
	// reached the engine (the connection or the request was cut); the engine then goes by the
	// state it had before. Such polls are counted apart; every other early poll fails the run.
	var early, cut int
	cutBy := func(e earlyPoll, at time.Time) bool {
		return e.arrival.After(at) && e.allowed.sentAt.After(at.Add(-lim.clientTimeout)) && e.allowed.sentAt.Before(at.Add(time.Second))
	}
	for _, e := range earlyPolls {
		if cutBy(e, proxyRestart) || cutBy(e, engineStop) {
			cut++
			continue
		}
		early++
		t.Errorf("early poll: %s arrived %v before its Retry-After allowed (answer sent %v before)", e.what, e.allowed.notBefore.Sub(e.arrival), e.arrival.Sub(e.allowed.sentAt))
	}
	injected["proxy restart"], injected["engine restart (calls resumed)"] = 1, len(resumed)
	injected["token expired mid-run (new token fetched)"] = int(tokenN.Load())

	chaosSummary(t, pathName, "engine -> "+pathName+" proxy -> emulator", n, seed, requests, injected,
		fmt.Sprintf("| engine retries (5xx, network, 429) | %d |\n", retries.Load()),
		fmt.Sprintf("| final states matched | %d |\n", matched),
		fmt.Sprintf("| starts failed by a fault or a timeout, reported (item created anyway) | %d (%d) |\n", startFailed, outcomeUnknown),
		fmt.Sprintf("| lost | %d |\n| wrong final state | %d |\n| reported twice | %d |\n", lost, wrong, twice),
		fmt.Sprintf("| early polls | %d |\n| polls after an answer a restart cut off (not counted as early) | %d |\n", early, cut),
		fmt.Sprintf("| answers sent after the client's timeout (no Retry-After binds) | %d |\n| duplicates | %d |\n", late, dup))
	chaosVerdict(t, n, matched, startFailed, emuLog.String(), px.log())
}

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// stopFaults turns the emulator's and the monitor's faults off. It returns what the emulator
// injected, and truth: the emulator's JSON answer to GET path on upstream.
func stopFaults(t *testing.T, emu *emulator.Server, mon *chaosMonitor, upstream string) ([]emulator.FaultStatus, func(path string) map[string]any) {
	t.Helper()
	fired := emu.Faults()
	if err := emu.SetFaults(); err != nil {
		t.Fatal(err)
	}
	mon.mu.Lock()
	mon.inject = false
	mon.mu.Unlock()
	truthAuth := map[string]string{"Authorization": "Bearer chaos-truth"}
	return fired, func(path string) map[string]any {
		resp, body := call(t, "GET", upstream+path, "", "", truthAuth)
		var v map[string]any
		if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &v) != nil {
			t.Errorf("emulator GET %s: %d %s", path, resp.StatusCode, body)
		}
		return v
	}
}

// itemNames counts the items of a workspace (every page of GET itemsPath) by display name.
func itemNames(truth func(path string) map[string]any, itemsPath, upstream string) map[string]int {
	items := map[string]int{}
	for page := itemsPath; page != ""; {
		v := truth(page)
		list, _ := v["value"].([]any)
		for _, it := range list {
			if m, ok := it.(map[string]any); ok {
				name, _ := m["displayName"].(string)
				items[name]++
			}
		}
		next, _ := v["continuationUri"].(string)
		page = strings.TrimPrefix(next, upstream)
	}
	return items
}

// effectiveStarts counts the POSTs of one start that may have taken effect (all but those
// refused with 429 or 401).
func effectiveStarts(posts []int) int {
	effective := 0
	for _, st := range posts {
		if st != http.StatusTooManyRequests && st != http.StatusUnauthorized {
			effective++
		}
	}
	return effective
}

// tally returns what the monitor saw (early polls, requests, late answers) and the faults
// injected by kind: the monitor's and those the emulator fired.
func (m *chaosMonitor) tally(fired []emulator.FaultStatus) (early []earlyPoll, injected map[string]int, requests, late int) {
	m.mu.Lock()
	early = slices.Clone(m.early)
	injected = maps.Clone(m.injected)
	requests, late = m.requests, m.late
	m.mu.Unlock()
	for _, f := range fired {
		if f.Fired > 0 {
			name := string(f.Kind)
			if f.Status != "" {
				name += " " + f.Status
			}
			injected[name] += f.Fired
		}
	}
	return early, injected, requests, late
}

// chaosSummary logs the summary table (the path, the calls started, the requests, the faults
// by kind, then rows, each "| measure | value |\n") and writes it to
// $FABRIC_LRO_ARTIFACTS/chaos-summary-{name}.md.
func chaosSummary(t *testing.T, name, path string, n int, seed uint64, requests int, injected map[string]int, rows ...string) {
	t.Helper()
	var table strings.Builder
	fmt.Fprintf(&table, "| measure | value |\n| --- | --- |\n")
	fmt.Fprintf(&table, "| path | %s |\n", path)
	fmt.Fprintf(&table, "| operations and jobs started | %d (seed %d) |\n", n, seed)
	fmt.Fprintf(&table, "| requests the emulator received | %d |\n", requests)
	for _, k := range slices.Sorted(maps.Keys(injected)) {
		fmt.Fprintf(&table, "| fault: %s | %d |\n", k, injected[k])
	}
	for _, r := range rows {
		table.WriteString(r)
	}
	t.Logf("chaos summary:\n%s", table.String())
	if dir := os.Getenv("FABRIC_LRO_ARTIFACTS"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "chaos-summary-"+name+".md"), []byte(table.String()), 0o644)
	}
}

// chaosVerdict fails a run in which fewer than half of the n calls reached a final state, or
// in which some call is not accounted for; a failed run logs the emulator's and the proxy's logs.
func chaosVerdict(t *testing.T, n, matched, startFailed int, emuLog, proxyLog string) {
	t.Helper()
	if matched < n/2 {
		t.Errorf("only %d of %d calls reached a final state; the run proves little", matched, n)
	}
	if matched+startFailed != n {
		t.Errorf("%d matched + %d failed at start != %d started", matched, startFailed, n)
	}
	if t.Failed() {
		t.Logf("emulator log:\n%s", emuLog)
		t.Logf("proxy log:\n%s", proxyLog)
	}
}
