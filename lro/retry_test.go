package lro_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/lro/lrotest"
)

func TestTokenExpiredRefreshesOnce(t *testing.T) {
	tests := []struct {
		name     string
		polls    []lrotest.Reply
		wantAuth []string
		wantCode string
		wantRefr int
	}{
		{
			name:     "refresh once, retry, go on polling",
			polls:    []lrotest.Reply{fabricErr(401, "TokenExpired"), state("Running", opURL, "20"), state("Succeeded", "", "")},
			wantAuth: []string{"Bearer tok-0", "Bearer tok-0", "Bearer tok-1", "Bearer tok-1"},
			wantRefr: 1,
		},
		{
			name:     "expired by header code too",
			polls:    []lrotest.Reply{{Status: 401, Header: h("x-ms-public-api-error-code", "TokenExpired")}, state("Succeeded", "", "")},
			wantAuth: []string{"Bearer tok-0", "Bearer tok-0", "Bearer tok-1"},
			wantRefr: 1,
		},
		{
			name:     "a second 401 in the same call is an error",
			polls:    []lrotest.Reply{fabricErr(401, "TokenExpired"), fabricErr(401, "TokenExpired")},
			wantAuth: []string{"Bearer tok-0", "Bearer tok-0", "Bearer tok-1"},
			wantCode: "TokenExpired",
			wantRefr: 1,
		},
		{
			name:     "other 401s do not refresh",
			polls:    []lrotest.Reply{fabricErr(401, "InvalidToken")},
			wantAuth: []string{"Bearer tok-0", "Bearer tok-0"},
			wantCode: "InvalidToken",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tr := script{"POST " + itemsURL: {accepted(opURL, "op1", "20")}, "GET " + opURL: tt.polls}.transport()
				src := &tokens{}
				c := lro.NewClient(lro.Options{Transport: tr, Token: src})
				p, err := c.Start(context.Background(), &lro.Request{Method: "POST", URL: itemsURL})
				if err != nil {
					t.Fatal(err)
				}
				_, err = p.PollUntilDone(context.Background())
				var auth []string
				for _, r := range tr.Requests() {
					auth = append(auth, r.Header.Get("authorization"))
				}
				if !reflect.DeepEqual(auth, tt.wantAuth) {
					t.Errorf("Authorization = %q, want %q", auth, tt.wantAuth)
				}
				if src.refreshs != tt.wantRefr {
					t.Errorf("refreshes = %d, want %d", src.refreshs, tt.wantRefr)
				}
				var e *lro.Error
				switch {
				case tt.wantCode == "" && err != nil:
					t.Errorf("err = %v", err)
				case tt.wantCode != "" && (!errors.As(err, &e) || e.ErrorCode != tt.wantCode || e.StatusCode != 401):
					t.Errorf("err = %v, want 401 %s", err, tt.wantCode)
				}
			})
		})
	}
}

func TestFailedPollLeavesStateUnchanged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := script{
			"POST " + itemsURL: {accepted(opURL, "op1", "20")},
			"GET " + opURL:     {state("Running", opURL, "20"), fabricErr(503, "ServiceUnavailable"), fabricErr(429, "RequestBlocked", "Retry-After", "30"), fabricErr(404, "NotFound")},
		}.transport()
		c := lro.NewClient(lro.Options{Transport: tr, Rand: func() float64 { return 0 }})
		ctx := context.Background()
		p, err := c.Start(ctx, &lro.Request{Method: "POST", URL: itemsURL})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		stateOf := func() map[string]any {
			tok, err := p.ResumeToken()
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(tok), &m); err != nil {
				t.Fatal(err)
			}
			delete(m, "nextPollAt") // bookkeeping: when and how often, not what
			delete(m, "attempts")
			return m
		}
		before := stateOf()
		wantNext := []time.Duration{500 * time.Millisecond, 30 * time.Second, 0}
		for i, wantRetryable := range []bool{true, true, false} {
			time.Sleep(time.Until(p.NextPollAt()))
			err := p.Poll(ctx)
			if err == nil || lro.IsRetryable(err) != wantRetryable {
				t.Fatalf("poll %d: err = %v, retryable want %v", i, err, wantRetryable)
			}
			if after := stateOf(); !reflect.DeepEqual(before, after) {
				t.Errorf("poll %d changed the state:\n%v\n%v", i, before, after)
			}
			if wantNext[i] > 0 {
				if got := time.Until(p.NextPollAt()); got != wantNext[i] {
					t.Errorf("poll %d: next poll in %v, want %v", i, got, wantNext[i])
				}
			}
			if p.Done() || p.Status() != "Running" {
				t.Errorf("poll %d: Done %v Status %q", i, p.Done(), p.Status())
			}
		}
		if _, err := p.Result(); !errors.Is(err, lro.CodeOperationNotDone) {
			t.Errorf("Result before done: %v, want CodeOperationNotDone", err)
		}
	})
}

// TestHostGate: a 429 on one operation pauses every other operation to that host (and no
// other host) for its Retry-After.
func TestHostGate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const other = "https://wabi-north-europe-redirect.analysis.windows.net/v1/operations/op3"
		t0 := time.Now()
		tr := script{
			"GET " + opURL:                       {fabricErr(429, "RequestBlocked", "Retry-After", "55")},
			"GET " + base + "/v1/operations/op2": {state("Running", "", "20")},
			"GET " + other:                       {state("Running", "", "20")},
		}.transport()
		c := lro.NewClient(lro.Options{Transport: tr})
		ctx := context.Background()
		a, _ := c.Resume("op1")
		b, _ := c.Resume("op2")
		o, _ := c.Resume(other)
		if err := a.Poll(ctx); !errors.Is(err, lro.CodeRequestBlocked) {
			t.Fatalf("a: %v", err)
		}
		time.Sleep(10 * time.Second)
		if err := b.Poll(ctx); !errors.Is(err, lro.CodeRequestBlocked) || !lro.IsRetryable(err) {
			t.Fatalf("b during the pause: %v, want CodeRequestBlocked", err)
		}
		if got := b.NextPollAt().Sub(t0); got != 55*time.Second {
			t.Errorf("b next poll at +%v, want +55s", got)
		}
		if err := o.Poll(ctx); err != nil {
			t.Errorf("other host: %v", err)
		}
		if n := tr.Count("GET", base+"/v1/operations/op2"); n != 0 {
			t.Errorf("b sent %d requests during the pause", n)
		}
		time.Sleep(45 * time.Second)
		if err := b.Poll(ctx); err != nil {
			t.Errorf("b after the pause: %v", err)
		}
	})
}
