package lro_test

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
)

// TestSchedulerScale watches 10,000 operations tracked by id, with a budget of 400 requests a
// second: every one completes with the minimal number of requests, within the budget. (Its
// real duration is the scheduler's overhead: about a second natively.)
func TestSchedulerScale(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 1000
	}
	synctest.Test(t, func(t *testing.T) {
		wall := time.Now()
		f := newFakeFabric(2*time.Minute, 30)
		c := lro.NewClient(lro.Options{Transport: f, BaseURL: base})
		s := lro.NewScheduler(c, lro.SchedulerOptions{RequestsPerSecond: 400, Burst: 20, MaxInFlight: 32})
		published := 0
		s.Subscribe(func(lro.Snapshot) { published++ })
		stop := runScheduler(t, s)
		defer stop()
		for i := range n {
			if _, err := s.Track(fmt.Sprintf("op-%05d", i), ""); err != nil {
				t.Fatal(err)
			}
		}
		for i := range n {
			if sn, err := s.Wait(context.Background(), fmt.Sprintf("op-%05d", i)); err != nil || sn.Status != "Succeeded" {
				t.Fatalf("op %d: %s %v", i, sn.Status, err)
			}
		}
		calls := f.calls()
		fake := time.Since(wall)
		if len(calls) != 6*n { // 5 polls (at 0, 30, 60, 90, 120 s) and the result each: the minimum
			t.Errorf("%d requests for %d operations, want %d", len(calls), n, 6*n)
		}
		// The budget bounds the run: n*(polls+result) requests at 400/s.
		if min := time.Duration(float64(len(calls)-20) / 400 * float64(time.Second)); fake < min {
			t.Errorf("%d requests in %v of fake time: over budget (min %v)", len(calls), fake, min)
		}
		t.Logf("%d operations: %d requests, %.1f per operation, %d snapshots, %v fake time",
			n, len(calls), float64(len(calls))/float64(n), published, fake.Round(time.Second))
	})
}
