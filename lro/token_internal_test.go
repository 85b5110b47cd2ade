package lro

import (
	"context"
	"fmt"
	"testing"
)

// A token another request's refresh gave is shared (memo); a request refused again with it
// (it expired meanwhile) refreshes on its own (memo false) and gets a new one.
func TestRefresherSharesThenRefreshesAgain(t *testing.T) {
	n := 0
	src := TokenFunc(func(_ context.Context, refresh bool) (string, error) {
		if refresh {
			n++
		}
		return fmt.Sprintf("t%d", n), nil
	})
	var r refresher
	steps := []struct {
		stale      string
		memo       bool
		wantTok    string
		wantShared bool
	}{
		{stale: "t0", memo: true, wantTok: "t1", wantShared: false},  // the first refused request refreshes
		{stale: "t0", memo: true, wantTok: "t1", wantShared: true},   // another one, refused with t0 too, shares it
		{stale: "t0", memo: false, wantTok: "t2", wantShared: false}, // t1 expired meanwhile: a refresh of its own
		{stale: "t0", memo: true, wantTok: "t2", wantShared: true},   // the newest replacement is handed out
	}
	for i, st := range steps {
		tok, shared, err := r.refresh(context.Background(), src, st.stale, st.memo)
		if err != nil || tok != st.wantTok || shared != st.wantShared {
			t.Errorf("step %d: %q shared %v err %v, want %q shared %v", i, tok, shared, err, st.wantTok, st.wantShared)
		}
	}
}
