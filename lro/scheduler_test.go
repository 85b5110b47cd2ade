package lro_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
)

// fakeFabric is a tiny in-memory Fabric for scheduler tests: creating an item starts an
// operation that runs for dur, polled with Retry-After ra; its result is {"id":...}.
// It runs in a synctest bubble, so time.Now is the bubble's fake clock.
type fakeFabric struct {
	dur time.Duration
	ra  int

	mu    sync.Mutex
	n     int
	start map[string]time.Time // op id -> started
	log   []call
	// throttle, if set, decides whether a request is answered 429 with this Retry-After.
	throttle func(c call) int
}

type call struct {
	method, url, op string
	at              time.Time
}

func newFakeFabric(dur time.Duration, ra int) *fakeFabric {
	return &fakeFabric{dur: dur, ra: ra, start: map[string]time.Time{}}
}

func (f *fakeFabric) Do(_ context.Context, req *lro.Request) (*lro.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	c := call{method: req.Method, url: req.URL, at: now}
	if i := strings.Index(req.URL, "/operations/"); i >= 0 {
		c.op = strings.TrimSuffix(req.URL[i+len("/operations/"):], "/result")
	}
	if req.Method == "POST" {
		f.n++
		c.op = fmt.Sprintf("op%d", f.n)
		f.start[c.op] = now
	}
	f.log = append(f.log, c)
	if f.throttle != nil {
		if ra := f.throttle(c); ra > 0 {
			return &lro.Response{StatusCode: 429, Header: h("Retry-After", fmt.Sprint(ra)), Body: []byte(`{"errorCode":"RequestBlocked","message":"throttled"}`)}, nil
		}
	}
	host := req.URL[:strings.Index(req.URL, "/v1/")]
	opURL := host + "/v1/operations/" + c.op
	started, ok := f.start[c.op]
	switch {
	case req.Method == "POST":
		return &lro.Response{StatusCode: 202, Header: h("Location", opURL, "x-ms-operation-id", c.op, "Retry-After", fmt.Sprint(f.ra))}, nil
	case !ok:
		if c.op == "" {
			return &lro.Response{StatusCode: 404, Body: []byte(`{"errorCode":"NotFound","message":"no such thing"}`)}, nil
		}
		f.start[c.op] = now // an operation tracked by id starts when first seen
		started = now
	}
	if strings.HasSuffix(req.URL, "/result") {
		return &lro.Response{StatusCode: 200, Body: []byte(`{"id":"item-` + c.op + `"}`)}, nil
	}
	if now.Sub(started) >= f.dur {
		return &lro.Response{StatusCode: 200, Header: h("Location", opURL+"/result"), Body: []byte(`{"status":"Succeeded","percentComplete":100}`)}, nil
	}
	pct := int(100 * now.Sub(started) / f.dur)
	return &lro.Response{StatusCode: 200, Header: h("Location", opURL, "Retry-After", fmt.Sprint(f.ra)),
		Body: []byte(fmt.Sprintf(`{"status":"Running","percentComplete":%d,"lastUpdatedTimeUtc":"%s"}`, pct, now.UTC().Format(time.RFC3339)))}, nil
}

func (f *fakeFabric) calls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

// runScheduler starts s.Run in the bubble and returns a function that stops it.
func runScheduler(t *testing.T, s *lro.Scheduler) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
	}
}

// TestSchedulerManyOperations: 500 operations added at once, each taking 65 s with
// Retry-After 20, cost exactly start + 4 polls + result each, none polled early, and the shared
// budget is never exceeded.
func TestSchedulerManyOperations(t *testing.T) {
	tests := []struct {
		name      string
		ops       int
		rps       float64
		burst     int
		wantPerOp int // 0: do not check (the budget delays polls)
	}{
		{name: "budget large enough: minimal requests per operation", ops: 500, rps: 1000, burst: 1000, wantPerOp: 6},
		{name: "tight budget: 10 requests per second shared", ops: 200, rps: 10, burst: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFakeFabric(65*time.Second, 20)
				c := lro.NewClient(lro.Options{Transport: f, BaseURL: base})
				s := lro.NewScheduler(c, lro.SchedulerOptions{RequestsPerSecond: tt.rps, Burst: tt.burst, MaxInFlight: 64})
				stop := runScheduler(t, s)
				defer stop()
				ctx := context.Background()
				var ids []string
				var mu sync.Mutex
				var wg sync.WaitGroup
				for i := range tt.ops {
					wg.Go(func() {
						sn, err := s.Add(ctx, &lro.Request{Method: "POST", URL: "/v1/workspaces/ws1/items", Body: []byte(`{}`)}, fmt.Sprint("item ", i))
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						ids = append(ids, sn.ID)
						mu.Unlock()
					})
				}
				wg.Wait()
				for _, id := range ids {
					sn, err := s.Wait(ctx, id)
					if err != nil || string(sn.Result) != `{"id":"item-`+id+`"}` || sn.Status != "Succeeded" || sn.NextPollAt != nil || !sn.Done {
						t.Fatalf("Wait(%s) = %+v, %v", id, sn, err)
					}
				}
				calls := f.calls()
				perOp := map[string][]call{}
				for _, c := range calls {
					perOp[c.op] = append(perOp[c.op], c)
				}
				if len(perOp) != tt.ops {
					t.Fatalf("%d operations seen, want %d", len(perOp), tt.ops)
				}
				for op, cs := range perOp {
					if tt.wantPerOp != 0 && len(cs) != tt.wantPerOp {
						t.Errorf("%s: %d requests, want %d", op, len(cs), tt.wantPerOp)
					}
					for i := 1; i < len(cs); i++ {
						if !strings.HasSuffix(cs[i].url, "/result") && cs[i].at.Sub(cs[i-1].at) < 20*time.Second {
							t.Errorf("%s: request %d only %v after the previous one", op, i, cs[i].at.Sub(cs[i-1].at))
						}
					}
					if sn, _ := s.Snapshot(op); sn.Attempts != len(cs) {
						t.Errorf("%s: attempts %d, requests %d", op, sn.Attempts, len(cs))
					}
				}
				// The budget: in every window of one second at most burst + rps requests.
				for i := range calls {
					n := 0
					for j := i; j < len(calls) && calls[j].at.Sub(calls[i].at) < time.Second; j++ {
						n++
					}
					if float64(n) > float64(tt.burst)+tt.rps {
						t.Fatalf("%d requests in the second after %v, budget %v/s burst %d", n, calls[i].at, tt.rps, tt.burst)
					}
				}
				t.Logf("%d operations, %d requests, done after %v", tt.ops, len(calls), calls[len(calls)-1].at.Sub(calls[0].at))
			})
		})
	}
}

// TestSchedulerTokenFreshAtSend: a request gets its bearer token once the budget lets it go,
// not before it waits for the budget, so a token that Fabric stops taking while requests
// queue (here every token is refused a second after it was issued) does not fail them.
func TestSchedulerTokenFreshAtSend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		version := func() int { return int(time.Since(t0) / time.Second) }
		f := newFakeFabric(time.Second, 1)
		tr := lro.TransportFunc(func(ctx context.Context, req *lro.Request) (*lro.Response, error) {
			if req.Header.Get("Authorization") != fmt.Sprint("Bearer v", version()) {
				return &lro.Response{StatusCode: 401, Body: []byte(`{"errorCode":"TokenExpired","message":"Access token has expired"}`)}, nil
			}
			return f.Do(ctx, req)
		})
		token := lro.TokenFunc(func(context.Context, bool) (string, error) { return fmt.Sprint("v", version()), nil })
		s := lro.NewScheduler(lro.NewClient(lro.Options{Transport: tr, BaseURL: base, Token: token}), lro.SchedulerOptions{RequestsPerSecond: 10, Burst: 1, MaxInFlight: 64})
		stop := runScheduler(t, s)
		defer stop()
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Go(func() {
				if _, err := s.Add(context.Background(), &lro.Request{Method: "POST", URL: "/v1/workspaces/ws1/items", Body: []byte(`{}`)}, fmt.Sprint("item ", i)); err != nil {
					t.Errorf("start %d, queued behind the others for the budget: %v", i, err)
				}
			})
		}
		wg.Wait()
	})
}

// TestSchedulerHostGate: a 429 to one operation pauses the others on that host for its
// Retry-After, and not those on another host.
func TestSchedulerHostGate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeFabric(time.Hour, 20)
		t0 := time.Now()
		f.throttle = func(c call) int {
			if c.op == "a1" && c.at.Equal(t0) {
				return 55
			}
			return 0
		}
		c := lro.NewClient(lro.Options{Transport: f, BaseURL: base})
		s := lro.NewScheduler(c, lro.SchedulerOptions{RequestsPerSecond: 100, Burst: 10})
		stop := runScheduler(t, s)
		defer stop()
		for _, tok := range []string{"a1", "https://wabi-north-europe-redirect.analysis.windows.net/v1/operations/b1"} {
			if _, err := s.Track(tok, tok); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(10 * time.Second)
		if _, err := s.Track("a2", "a2"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(60 * time.Second)
		got := map[string][]time.Duration{}
		for _, c := range f.calls() {
			got[c.op] = append(got[c.op], c.at.Sub(t0))
		}
		want := map[string][]time.Duration{
			"a1": {0, 55 * time.Second},
			"a2": {55 * time.Second},
			"b1": {0, 20 * time.Second, 40 * time.Second, 60 * time.Second},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("request times = %v\nwant %v", got, want)
		}
	})
}

func TestSchedulerSnapshots(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeFabric(50*time.Second, 20)
		c := lro.NewClient(lro.Options{Transport: f, BaseURL: base})
		s := lro.NewScheduler(c, lro.SchedulerOptions{})
		var mu sync.Mutex
		var seen []string
		unsub := s.Subscribe(func(sn lro.Snapshot) {
			b, _ := json.Marshal(sn)
			mu.Lock()
			seen = append(seen, string(b))
			mu.Unlock()
			_ = s.Snapshots() // calling back into the scheduler must not deadlock
		})
		stop := runScheduler(t, s)
		defer stop()
		sn, err := s.Add(context.Background(), &lro.Request{Method: "POST", URL: "/v1/workspaces/ws1/items"}, "Notebook 1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Wait(context.Background(), sn.ID); err != nil {
			t.Fatal(err)
		}
		unsub()
		mu.Lock()
		defer mu.Unlock()
		t0 := time.Now().Add(-60 * time.Second).UTC()
		at := func(d time.Duration) string { return t0.Add(d).Format(time.RFC3339) }
		want := []string{
			`{"id":"op1","kind":"operation","label":"Notebook 1","status":"","percentComplete":null,"createdTimeUtc":"","lastUpdatedTimeUtc":"","nextPollAt":"` + at(20*time.Second) + `","waiting":{"reason":"retryAfter","until":"` + at(20*time.Second) + `","seconds":20},"attempts":1,"result":null,"error":null}`,
			`{"id":"op1","kind":"operation","label":"Notebook 1","status":"Running","percentComplete":40,"createdTimeUtc":"","lastUpdatedTimeUtc":"` + at(20*time.Second) + `","nextPollAt":"` + at(40*time.Second) + `","waiting":{"reason":"retryAfter","until":"` + at(40*time.Second) + `","seconds":20},"attempts":2,"result":null,"error":null}`,
			`{"id":"op1","kind":"operation","label":"Notebook 1","status":"Running","percentComplete":80,"createdTimeUtc":"","lastUpdatedTimeUtc":"` + at(40*time.Second) + `","nextPollAt":"` + at(60*time.Second) + `","waiting":{"reason":"retryAfter","until":"` + at(60*time.Second) + `","seconds":20},"attempts":3,"result":null,"error":null}`,
			`{"id":"op1","kind":"operation","label":"Notebook 1","status":"Succeeded","percentComplete":100,"createdTimeUtc":"","lastUpdatedTimeUtc":"` + at(40*time.Second) + `","nextPollAt":"` + at(60*time.Second) + `","waiting":{"reason":"retryAfter","until":"` + at(60*time.Second) + `"},"attempts":4,"result":null,"error":null}`,
			`{"id":"op1","kind":"operation","label":"Notebook 1","status":"Succeeded","percentComplete":100,"createdTimeUtc":"","lastUpdatedTimeUtc":"` + at(40*time.Second) + `","nextPollAt":null,"waiting":null,"attempts":5,"result":{"id":"item-op1"},"error":null}`,
		}
		if !reflect.DeepEqual(seen, want) {
			t.Errorf("published:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
		}
		all := s.Snapshots()
		if len(all) != 1 || all[0].ResumeToken == "" {
			t.Errorf("Snapshots() = %+v", all)
		}
	})
}

// TestSnapshotJSONShape pins the exact JSON keys of the contract in common.md.
func TestSnapshotJSONShape(t *testing.T) {
	pc := 25.0
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		sn   lro.Snapshot
		want string
	}{
		{
			name: "zero",
			sn:   lro.Snapshot{},
			want: `{"id":"","kind":"","label":"","status":"","percentComplete":null,"createdTimeUtc":"","lastUpdatedTimeUtc":"","nextPollAt":null,"waiting":null,"attempts":0,"result":null,"error":null}`,
		},
		{
			name: "full",
			sn: lro.Snapshot{ID: "op1", Kind: lro.KindJob, Label: "run", Status: "Failed", PercentComplete: &pc, CreatedTimeUtc: "a", LastUpdatedTimeUtc: "b",
				NextPollAt: &now, Waiting: &lro.Waiting{Reason: lro.WaitRetrying, Until: now, Seconds: 2, Error: &lro.SnapshotError{ErrorCode: "ServiceUnavailable", MoreDetails: []lro.ErrorDetail{}}, Attempt: 1, Of: 3}, Attempts: 3, Result: json.RawMessage(`{"x":1}`), Error: &lro.SnapshotError{ErrorCode: "E", Message: "m", MoreDetails: []lro.ErrorDetail{}},
				Done: true, Stalled: true, ResumeToken: "{}"},
			want: `{"id":"op1","kind":"job","label":"run","status":"Failed","percentComplete":25,"createdTimeUtc":"a","lastUpdatedTimeUtc":"b","nextPollAt":"2024-01-02T03:04:05Z","waiting":{"reason":"retrying","until":"2024-01-02T03:04:05Z","seconds":2,"error":{"errorCode":"ServiceUnavailable","message":"","requestId":"","moreDetails":[]},"attempt":1,"of":3},"attempts":3,"result":{"x":1},"error":{"errorCode":"E","message":"m","requestId":"","moreDetails":[]}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.sn)
			if err != nil || string(b) != tt.want {
				t.Errorf("json = %s, %v\nwant   %s", b, err, tt.want)
			}
		})
	}
}

// TestSchedulerResumeAfterReload: a snapshot's resume token, tracked by a new scheduler (as the
// browser does after a reload), continues the same operation with no extra or early request.
func TestSchedulerResumeAfterReload(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeFabric(65*time.Second, 20)
		c := lro.NewClient(lro.Options{Transport: f, BaseURL: base})
		s1 := lro.NewScheduler(c, lro.SchedulerOptions{})
		stop1 := runScheduler(t, s1)
		sn, err := s1.Add(context.Background(), &lro.Request{Method: "POST", URL: "/v1/workspaces/ws1/items"}, "nb")
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Second)
		saved, _ := s1.Snapshot(sn.ID)
		stop1()
		time.Sleep(5 * time.Second) // the page is reloading

		s2 := lro.NewScheduler(lro.NewClient(lro.Options{Transport: f, BaseURL: base}), lro.SchedulerOptions{Burst: 2})
		stop2 := runScheduler(t, s2)
		defer stop2()
		re, err := s2.Track(saved.ResumeToken, saved.Label)
		if err != nil || re.ID != sn.ID || re.Label != "nb" || re.Status != "Running" || re.Attempts != 2 {
			t.Fatalf("Track(token) = %+v, %v", re, err)
		}
		fin, err := s2.Wait(context.Background(), re.ID)
		if err != nil || string(fin.Result) != `{"id":"item-op1"}` {
			t.Fatalf("Wait = %+v, %v", fin, err)
		}
		var offs []time.Duration
		for _, c := range f.calls() {
			offs = append(offs, c.at.Sub(f.calls()[0].at))
		}
		want := []time.Duration{0, 20 * time.Second, 40 * time.Second, 60 * time.Second, 80 * time.Second, 80 * time.Second}
		if !reflect.DeepEqual(offs, want) {
			t.Errorf("request offsets %v, want %v", offs, want)
		}
	})
}

// TestSchedulerStalled: a call whose lastUpdatedTimeUtc and percentComplete stop moving is
// reported stalled (Snapshot.Stalled and a warning) and still polled; progress clears it.
func TestSchedulerStalled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := script{"GET " + opURL: {state("Running", opURL, "20"), state("Running", opURL, "20"), state("Running", opURL, "20"),
			{Status: 200, Header: h("Retry-After", "20"), Body: `{"status":"Running","percentComplete":60}`}, state("Succeeded", "", "")}}.transport()
		var mu sync.Mutex
		var warns []string
		c := lro.NewClient(lro.Options{Transport: tr, BaseURL: base, StallAfter: 30 * time.Second,
			OnWarning: func(w lro.Warning) { mu.Lock(); warns = append(warns, w.Code+" "+w.ID); mu.Unlock() }})
		s := lro.NewScheduler(c, lro.SchedulerOptions{})
		stop := runScheduler(t, s)
		defer stop()
		if _, err := s.Track("op1", "slow"); err != nil {
			t.Fatal(err)
		}
		var stalled []bool
		for range 4 {
			time.Sleep(time.Second)
			sn, _ := s.Snapshot("op1")
			stalled = append(stalled, sn.Stalled)
			time.Sleep(19 * time.Second)
		}
		if _, err := s.Wait(context.Background(), "op1"); err != nil {
			t.Fatal(err)
		}
		// polls at 0 (progress), 20 (20 s without), 40 (40 s: stalled), 60 (percent moved)
		if want := []bool{false, false, true, false}; !reflect.DeepEqual(stalled, want) {
			t.Errorf("stalled after each poll = %v, want %v", stalled, want)
		}
		mu.Lock()
		defer mu.Unlock()
		if want := []string{"Stalled op1"}; !reflect.DeepEqual(warns, want) {
			t.Errorf("warnings = %q, want %q", warns, want)
		}
	})
}

// TestSchedulerRunAgain: one Run at a time; a Run after a stopped one goes on with the calls.
func TestSchedulerRunAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeFabric(50*time.Second, 20)
		s := lro.NewScheduler(lro.NewClient(lro.Options{Transport: f, BaseURL: base}), lro.SchedulerOptions{})
		stop := runScheduler(t, s)
		synctest.Wait()
		if err := s.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "already running") {
			t.Errorf("second Run: %v", err)
		}
		if _, err := s.Track("op1", ""); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Second)
		stop()
		time.Sleep(time.Hour)
		if n := len(f.calls()); n != 2 {
			t.Errorf("%d requests while running, want 2", n)
		}
		stop = runScheduler(t, s)
		defer stop()
		if sn, err := s.Wait(context.Background(), "op1"); err != nil || sn.Status != "Succeeded" {
			t.Errorf("after a new Run: %+v %v", sn, err)
		}
	})
}
