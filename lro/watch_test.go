package lro_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
)

func TestSchedulerEndings(t *testing.T) {
	tests := []struct {
		name      string
		track     string
		opts      lro.Options
		script    script
		cancel    bool
		wantCode  string
		wantIs    error
		wantReqs  []string // "METHOD url"
		wantState string
	}{
		{
			name:     "failed operation",
			track:    "op1",
			script:   script{"GET " + opURL: {state("Failed", "", "", `,"error":{"errorCode":"Boom","message":"b","requestId":"r"}`)}},
			wantCode: "Boom", wantReqs: []string{"GET " + opURL}, wantState: "Failed",
		},
		{
			name:     "a 404 stops watching with the error",
			track:    "op1",
			script:   script{"GET " + opURL: {fabricErr(404, "EntityNotFound")}},
			wantCode: "EntityNotFound", wantReqs: []string{"GET " + opURL},
		},
		{
			name:   "cancel an operation: stop watching, nothing sent",
			track:  "op1",
			script: script{"GET " + opURL: {state("Running", opURL, "20")}},
			cancel: true, wantCode: string(lro.CodeWatchCancelled), wantReqs: []string{"GET " + opURL}, wantState: "Running",
		},
		{
			name:  "cancel a job: POST cancel upstream, watch until Cancelled",
			track: jobURL,
			script: script{
				"GET " + jobURL:              {job("InProgress"), job("Cancelled")},
				"POST " + jobURL + "/cancel": {accepted(jobURL, "", "60")},
			},
			cancel: true, wantCode: string(lro.CodeJobCancelled), wantIs: lro.CodeJobCancelled,
			wantReqs: []string{"GET " + jobURL, "POST " + jobURL + "/cancel", "GET " + jobURL}, wantState: "Cancelled",
		},
		{
			name:     "5xx until the retries run out",
			track:    "op1",
			opts:     lro.Options{MaxRetries: 2},
			script:   script{"GET " + opURL: {fabricErr(503, "ServiceUnavailable")}},
			wantCode: string(lro.CodeRetriesExhausted), wantIs: lro.CodeRetriesExhausted,
			wantReqs: []string{"GET " + opURL, "GET " + opURL, "GET " + opURL},
		},
		{
			name:     "overall deadline",
			track:    "op1",
			opts:     lro.Options{Timeout: 50 * time.Second},
			script:   script{"GET " + opURL: {state("Running", opURL, "20")}},
			wantCode: string(lro.CodeOperationDeadlineExceeded), wantIs: lro.CodeOperationDeadlineExceeded,
			wantReqs: []string{"GET " + opURL, "GET " + opURL, "GET " + opURL}, wantState: "Running",
		},
		{
			name:     "deduped job",
			track:    jobURL,
			script:   script{"GET " + jobURL: {job("Deduped")}},
			wantCode: string(lro.CodeJobDeduped), wantIs: lro.CodeJobDeduped, wantReqs: []string{"GET " + jobURL}, wantState: "Deduped",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tr := tt.script.transport()
				opts := tt.opts
				opts.Transport, opts.BaseURL = tr, base
				s := lro.NewScheduler(lro.NewClient(opts), lro.SchedulerOptions{})
				// Track twice before Run: a running scheduler could finish the first (a
				// Deduped job ends at its first poll), and a finished call is replaced.
				sn, err := s.Track(tt.track, "x")
				if err != nil {
					t.Fatal(err)
				}
				if again, _ := s.Track(tt.track, "y"); again.ID != sn.ID || len(s.Snapshots()) != 1 {
					t.Errorf("tracking twice made a second entry")
				}
				stop := runScheduler(t, s)
				defer stop()
				if tt.cancel {
					time.Sleep(time.Second)
					if err := s.Cancel(context.Background(), sn.ID); err != nil {
						t.Fatal(err)
					}
				}
				fin, err := s.Wait(context.Background(), sn.ID)
				var e *lro.Error
				if !errors.As(err, &e) || e.ErrorCode != tt.wantCode || (tt.wantIs != nil && !errors.Is(err, tt.wantIs)) {
					t.Fatalf("Wait err = %v, want %s", err, tt.wantCode)
				}
				if fin.Error == nil || fin.Error.ErrorCode != tt.wantCode || fin.NextPollAt != nil || !fin.Done || (tt.wantState != "" && fin.Status != tt.wantState) {
					t.Errorf("final snapshot = %+v (error %+v)", fin, fin.Error)
				}
				time.Sleep(10 * time.Minute) // nothing more is sent after the end
				var reqs []string
				for _, r := range tr.Requests() {
					reqs = append(reqs, r.Method+" "+r.URL)
				}
				if !reflect.DeepEqual(reqs, tt.wantReqs) {
					t.Errorf("requests = %q, want %q", reqs, tt.wantReqs)
				}
			})
		})
	}
}

func TestSchedulerAddErrorsAndUnknownIDs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := script{"POST " + itemsURL: {fabricErr(400, "InvalidItemType")}}.transport()
		s := lro.NewScheduler(lro.NewClient(lro.Options{Transport: tr, BaseURL: base}), lro.SchedulerOptions{})
		ctx := context.Background()
		var e *lro.Error
		if _, err := s.Add(ctx, &lro.Request{Method: "POST", URL: itemsURL}, "bad"); !errors.As(err, &e) || e.ErrorCode != "InvalidItemType" {
			t.Errorf("Add: %v", err)
		}
		if n := len(s.Snapshots()); n != 0 {
			t.Errorf("%d entries after a failed Add", n)
		}
		for name, err := range map[string]error{
			"Wait":   func() error { _, err := s.Wait(ctx, "nope"); return err }(),
			"Cancel": s.Cancel(ctx, "nope"),
		} {
			if !errors.As(err, &e) || e.ErrorCode != string(lro.CodeOperationNotTracked) {
				t.Errorf("%s of an unknown id: %v", name, err)
			}
		}
		if _, err := s.Track("%%%", ""); !errors.Is(err, lro.CodeInvalidResumeToken) {
			t.Errorf("Track of garbage: %v", err)
		}
	})
}

// TestSchedulerForget: a forgotten call is dropped at once: no snapshot, no more requests, and
// a Wait on it ends.
func TestSchedulerForget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := script{"GET " + opURL: {state("Running", opURL, "20")}}.transport()
		s := lro.NewScheduler(lro.NewClient(lro.Options{Transport: tr, BaseURL: base}), lro.SchedulerOptions{})
		stop := runScheduler(t, s)
		defer stop()
		if _, err := s.Track("op1", ""); err != nil {
			t.Fatal(err)
		}
		waited := make(chan error, 1)
		go func() { _, err := s.Wait(context.Background(), "op1"); waited <- err }()
		time.Sleep(time.Second)
		published := 0
		s.Subscribe(func(lro.Snapshot) { published++ })
		s.Forget("op1")
		s.Forget("op1") // twice is harmless
		var e *lro.Error
		if err := <-waited; !errors.As(err, &e) || e.ErrorCode != string(lro.CodeWatchCancelled) {
			t.Errorf("Wait of a forgotten call: %v", err)
		}
		time.Sleep(time.Hour)
		if n := len(tr.Requests()); n != 1 || published != 0 || len(s.Snapshots()) != 0 {
			t.Errorf("after Forget: %d requests, %d published, %d watched", n, published, len(s.Snapshots()))
		}
		if _, ok := s.Snapshot("op1"); ok {
			t.Errorf("Snapshot of a forgotten call")
		}
	})
}

// TestSchedulerTokenExpiredIsRecoverable: a 401 that the token source cannot fix does not end
// the call: it waits, showing the error with Done false, and polls again when told (Retry,
// RetryAll, after the user supplied a new token) or at its next due time.
func TestSchedulerTokenExpiredIsRecoverable(t *testing.T) {
	tests := []struct {
		name       string
		refreshErr bool   // the token source fails to refresh instead of returning the stale token
		retry      string // "Retry", "RetryAll" or "" (wait for the automatic retry)
		wantCode   string // the waiting snapshot's error.errorCode
		wantAt     []time.Duration
	}{
		{name: "Retry after a new token", retry: "Retry", wantCode: "TokenExpired", wantAt: []time.Duration{0, 0, 5 * time.Second}},
		{name: "RetryAll after a new token", retry: "RetryAll", wantCode: "TokenExpired", wantAt: []time.Duration{0, 0, 5 * time.Second}},
		{name: "automatic retry at the next due time", wantCode: "TokenExpired", wantAt: []time.Duration{0, 0, 20 * time.Second}},
		{name: "a token source that cannot refresh", refreshErr: true, retry: "RetryAll", wantCode: string(lro.CodeTokenUnavailable), wantAt: []time.Duration{0, 5 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				t0 := time.Now()
				var mu sync.Mutex
				current := "stale"
				var at []time.Duration
				tr := script{}.transport()
				tr.Handle("GET", opURL, func(req *lro.Request) (*lro.Response, error) {
					mu.Lock()
					defer mu.Unlock()
					at = append(at, time.Since(t0))
					if req.Header.Get("Authorization") != "Bearer good" {
						return &lro.Response{StatusCode: 401, Body: []byte(`{"errorCode":"TokenExpired","message":"Access token has expired"}`)}, nil
					}
					return &lro.Response{StatusCode: 200, Body: []byte(`{"status":"Succeeded"}`)}, nil
				})
				token := lro.TokenFunc(func(_ context.Context, refresh bool) (string, error) {
					mu.Lock()
					defer mu.Unlock()
					if refresh && tt.refreshErr {
						return "", errors.New("no refresh token in the browser")
					}
					return current, nil
				})
				s := lro.NewScheduler(lro.NewClient(lro.Options{Transport: tr, BaseURL: base, Token: token}), lro.SchedulerOptions{})
				stop := runScheduler(t, s)
				defer stop()
				if _, err := s.Track("op1", "op"); err != nil {
					t.Fatal(err)
				}
				waited := make(chan error, 1)
				go func() { _, err := s.Wait(context.Background(), "op1"); waited <- err }()
				time.Sleep(5 * time.Second)
				synctest.Wait()
				sn, _ := s.Snapshot("op1")
				if sn.Done || sn.Error == nil || sn.Error.ErrorCode != tt.wantCode || sn.NextPollAt == nil || !sn.NextPollAt.Equal(t0.Add(20*time.Second)) {
					t.Fatalf("waiting snapshot: done %v, error %+v, nextPollAt %v; want not done, %s, due in 20s", sn.Done, sn.Error, sn.NextPollAt, tt.wantCode)
				}
				select {
				case err := <-waited:
					t.Fatalf("Wait returned %v while waiting for a token", err)
				default:
				}
				mu.Lock()
				current = "good" // the user pastes a new token
				mu.Unlock()
				switch tt.retry {
				case "Retry":
					if err := s.Retry("op1"); err != nil {
						t.Fatal(err)
					}
				case "RetryAll":
					if n := s.RetryAll(); n != 1 {
						t.Errorf("RetryAll = %d, want 1", n)
					}
				}
				if err := <-waited; err != nil {
					t.Fatalf("Wait: %v", err)
				}
				if sn, _ := s.Snapshot("op1"); !sn.Done || sn.Error != nil || sn.Status != "Succeeded" {
					t.Errorf("final snapshot: %+v", sn)
				}
				mu.Lock()
				defer mu.Unlock()
				if !reflect.DeepEqual(at, tt.wantAt) {
					t.Errorf("polls at %v, want %v", at, tt.wantAt)
				}
				if n := s.RetryAll(); n != 0 {
					t.Errorf("RetryAll after success = %d, want 0", n)
				}
				var e *lro.Error
				if err := s.Retry("nope"); !errors.As(err, &e) || e.ErrorCode != string(lro.CodeOperationNotTracked) {
					t.Errorf("Retry of an unknown id: %v", err)
				}
			})
		})
	}
}

// TestSchedulerSameIDAgain: a call whose Fabric id is already watched is never listed twice;
// while the first runs, its snapshot is returned; once it has finished, the new call replaces
// it (Fabric never reuses an id: the old entry is stale, e.g. saved before an emulator restart).
func TestSchedulerSameIDAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeFabric(30*time.Second, 10)
		s := lro.NewScheduler(lro.NewClient(lro.Options{Transport: f, BaseURL: base}), lro.SchedulerOptions{})
		stop := runScheduler(t, s)
		defer stop()
		if _, err := s.Track("op1", "first"); err != nil {
			t.Fatal(err)
		}
		again, err := s.Track("op1", "second while running")
		if err != nil || again.Label != "first" {
			t.Fatalf("Track of a running id: label %q, err %v; want the running call's snapshot", again.Label, err)
		}
		if final, err := s.Wait(context.Background(), "op1"); err != nil || final.Status != "Succeeded" {
			t.Fatalf("first call: %+v, %v", final, err)
		}
		polls := len(f.calls())
		replaced, err := s.Track("op1", "after it finished")
		if err != nil || replaced.Label != "after it finished" || replaced.Done {
			t.Fatalf("Track of a finished id: %+v, %v; want a new, running entry", replaced, err)
		}
		if final, err := s.Wait(context.Background(), "op1"); err != nil || final.Label != "after it finished" {
			t.Fatalf("replacing call: %+v, %v", final, err)
		}
		if n := len(s.Snapshots()); n != 1 {
			t.Errorf("%d entries watched, want 1", n)
		}
		if len(f.calls()) <= polls {
			t.Errorf("the replacing call sent no request")
		}
	})
}
