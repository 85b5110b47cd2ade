package tabs

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

// The page is asked for a token at most once per tokenReuse, and always for a refresh; a
// failure is not kept, and a slow call's old answer never replaces a newer one.
func TestTokenMemo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		asked := 0
		fail := false
		page := func(_ context.Context, refresh bool) (string, error) {
			asked++
			if fail {
				return "", errors.New("signed out")
			}
			return fmt.Sprint("t", asked), nil
		}
		get := (&tokenMemo{}).wrap(page)
		steps := []struct {
			name    string
			after   time.Duration // wait before the call
			refresh bool
			fail    bool
			want    string
			asked   int
		}{
			{name: "first call asks the page", want: "t1", asked: 1},
			{name: "again at once: from memory", want: "t1", asked: 1},
			{name: "a second later: from memory", after: time.Second, want: "t1", asked: 1},
			{name: "a refresh asks the page", refresh: true, want: "t2", asked: 2},
			{name: "after the refresh: its token", after: time.Second, want: "t2", asked: 2},
			{name: "two seconds after the refresh: asks again", after: time.Second, want: "t3", asked: 3},
			{name: "the page fails: not kept", after: 2 * time.Second, fail: true, want: "", asked: 4},
			{name: "then works: asks again", want: "t5", asked: 5},
		}
		for _, st := range steps {
			time.Sleep(st.after)
			fail = st.fail
			got, _ := get(context.Background(), st.refresh)
			if got != st.want || asked != st.asked {
				t.Errorf("%s: got %q after %d calls to the page; want %q after %d", st.name, got, asked, st.want, st.asked)
			}
		}
	})
}

// A slow call that started first and answers last does not replace the token a later call
// (here a refresh) gave.
func TestTokenMemoKeepsTheNewerAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		page := func(_ context.Context, refresh bool) (string, error) {
			if !refresh {
				<-release
				return "old", nil
			}
			return "new", nil
		}
		get := (&tokenMemo{}).wrap(page)
		done := make(chan string)
		go func() { tok, _ := get(context.Background(), false); done <- tok }()
		synctest.Wait()
		if tok, _ := get(context.Background(), true); tok != "new" {
			t.Fatalf("refresh gave %q", tok)
		}
		close(release)
		if tok := <-done; tok != "old" {
			t.Errorf("the slow call returned %q, want its own answer", tok)
		}
		if tok, _ := get(context.Background(), false); tok != "new" {
			t.Errorf("after the slow call: %q from memory, want the refresh's token", tok)
		}
	})
}
