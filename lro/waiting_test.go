package lro_test

import (
	"encoding/json"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/lro/lrotest"
)

// TestSnapshotWaiting: a snapshot says why its next check is when it is, for each reason, with
// the time it is due, the wait as decided, and the error, attempt or last progress that explain it.
func TestSnapshotWaiting(t *testing.T) {
	op2URL := base + "/v1/operations/op2"
	tests := []struct {
		name    string
		replies script
		other   bool          // op2 (same host) is tracked at `at`, op1 is the one answering
		at      time.Duration // when the snapshot is looked at
		want    string        // the snapshot's "waiting" JSON; until and since as offsets "+20s"
	}{
		{name: "Retry-After", replies: script{"GET " + opURL: {state("Running", opURL, "30")}},
			at: 5 * time.Second, want: `{"reason":"retryAfter","until":"+30s","seconds":30}`},
		{name: "throttled by a 429", replies: script{"GET " + opURL: {fabricErr(429, "RequestBlocked", "Retry-After", "45")}},
			at: 5 * time.Second, want: `{"reason":"throttled","until":"+45s","seconds":45,"error":{"errorCode":"RequestBlocked","message":"m RequestBlocked","requestId":"req-RequestBlocked","moreDetails":[]}}`},
		{name: "throttled by another call's 429", replies: script{"GET " + opURL: {fabricErr(429, "RequestBlocked", "Retry-After", "45")}}, other: true,
			at: 5 * time.Second, want: `{"reason":"throttled","until":"+45s"}`},
		{name: "retrying after a 503", replies: script{"GET " + opURL: {fabricErr(503, "ServiceUnavailable"), fabricErr(503, "ServiceUnavailable")}},
			at: time.Second, want: `{"reason":"retrying","until":"+1.5s","seconds":1,"error":{"errorCode":"ServiceUnavailable","message":"m ServiceUnavailable","requestId":"req-ServiceUnavailable","moreDetails":[]},"attempt":2,"of":4}`},
		{name: "waiting for a token", replies: script{"GET " + opURL: {fabricErr(401, "TokenExpired"), fabricErr(401, "TokenExpired")}},
			at: 5 * time.Second, want: `{"reason":"token","until":"+20s","seconds":20,"error":{"errorCode":"TokenExpired","message":"m TokenExpired","requestId":"req-TokenExpired","moreDetails":[]},"attempt":1}`},
		{name: "stalled", replies: script{"GET " + opURL: {state("Running", opURL, "20"), state("Running", opURL, "20"), state("Running", opURL, "20")}},
			at: 45 * time.Second, want: `{"reason":"stalled","until":"+1m0s","seconds":20,"since":"+0s"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				t0 := time.Now()
				tt.replies["GET "+op2URL] = []lrotest.Reply{state("Running", op2URL, "20")}
				c := lro.NewClient(lro.Options{Transport: tt.replies.transport(), BaseURL: base, StallAfter: 30 * time.Second,
					Rand: func() float64 { return 0 }})
				s := lro.NewScheduler(c, lro.SchedulerOptions{})
				stop := runScheduler(t, s)
				defer stop()
				if _, err := s.Track("op1", "op1"); err != nil {
					t.Fatal(err)
				}
				time.Sleep(tt.at)
				id := "op1"
				if tt.other {
					id = "op2"
					if _, err := s.Track(id, id); err != nil {
						t.Fatal(err)
					}
				}
				synctest.Wait()
				sn, _ := s.Snapshot(id)
				if sn.Waiting == nil || sn.NextPollAt == nil || !sn.Waiting.Until.Equal(*sn.NextPollAt) {
					t.Fatalf("waiting %+v, nextPollAt %v: want a waiting state until nextPollAt", sn.Waiting, sn.NextPollAt)
				}
				var got map[string]any
				b, _ := json.Marshal(sn.Waiting)
				if err := json.Unmarshal(b, &got); err != nil {
					t.Fatal(err)
				}
				for _, k := range []string{"until", "since"} {
					if v, ok := got[k].(string); ok {
						at, _ := time.Parse(time.RFC3339Nano, v)
						got[k] = "+" + at.Sub(t0).String()
					}
				}
				var want map[string]any
				if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
					t.Fatal(err)
				}
				gb, _ := json.Marshal(got)
				wb, _ := json.Marshal(want)
				if string(gb) != string(wb) {
					t.Errorf("waiting = %s\nwant      %s", gb, wb)
				}
			})
		})
	}
}
