package dashboard

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/wasm/dashboard/domfake"
)

func TestFailedOperationShowsTheWholeError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		eng := &fakeEngine{created: func(n int, item ItemRequest) (Snapshot, error) {
			return notebook("op-f", item.DisplayName, statusRunning), nil
		}}
		_, doc, root := newPage(t, eng, false)
		root.Role("count").SetValue("1")
		root.Role("name").SetValue("Please fail")
		root.Role("create-form").Submit()
		synctest.Wait()
		s := notebook("op-f", "Please fail", statusFailed)
		s.PercentComplete = ptr(100.0)
		s.Error = &ErrorInfo{ErrorCode: "OperationFailed", Message: "It failed.", RequestID: "rq-9",
			MoreDetails: []lro.ErrorDetail{{ErrorCode: "Inner", Message: "why"}}}
		eng.publish(s)

		card := open(t, root, "op-f")
		for role, want := range map[string]string{
			"error-code": "OperationFailed", "error-message": "It failed.", "error-request-id": "rq-9",
			"error-details": "Inner: why", "status": "Failed", "progress-text": "failed",
		} {
			if got := card.Role(role).TextContent(); got != want {
				t.Errorf("%s = %q, want %q", role, got, want)
			}
		}
		if got := card.Role("progress").Children[0].Attrs["style"]; got != "width: 0%" {
			t.Errorf("a failed operation's bar is %q: want it empty, not a full bar", got)
		}
		if card.Role("error").Hidden() || !card.HasClass("st-failed") {
			t.Errorf("failed row: error hidden=%v class=%q", card.Role("error").Hidden(), card.Attrs["class"])
		}
		card.Role("copy-request-id").Click()
		if doc.Clipboard != "rq-9" {
			t.Errorf("copy request id put %q on the clipboard", doc.Clipboard)
		}
		card.Role("copy-id").Click()
		if doc.Clipboard != "op-f" {
			t.Errorf("copy operation id put %q on the clipboard", doc.Clipboard)
		}
	})
}

func TestTickUpdatesCountdownAndEmptyState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		eng := &fakeEngine{}
		app, _, root := newPage(t, eng, false)
		if root.Role("empty").Hidden() {
			t.Error("empty hint hidden with no operations")
		}
		s := notebook("op-1", "A", statusRunning)
		next := start.Add(5 * time.Second)
		s.NextPollAt = &next
		eng.publish(s)
		if !root.Role("empty").Hidden() {
			t.Error("empty hint shown with an operation")
		}
		card := open(t, root, "op-1")
		for _, step := range []struct {
			after         time.Duration
			next, elapsed string
		}{
			{after: 0, next: "next check in 5 s", elapsed: "elapsed 0s"},
			{after: 1500 * time.Millisecond, next: "next check in 4 s", elapsed: "elapsed 2s"},
			{after: 5 * time.Second, next: "checking now…", elapsed: "elapsed 5s"},
		} {
			advanceTo(start.Add(step.after))
			app.Tick()
			if got := card.Role("next-check").TextContent(); got != step.next {
				t.Errorf("at +%v next check %q, want %q", step.after, got, step.next)
			}
			if got := card.Role("elapsed").TextContent(); got != step.elapsed {
				t.Errorf("at +%v elapsed %q, want %q", step.after, got, step.elapsed)
			}
		}
	})
}

// Open in Fabric links follow the portal's URL pattern (configurable), times are in the
// user's locale, and a tracked operation's title names the item once the result does.
func TestOpenInFabricTimesAndTitles(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		advanceTo(start.Add(time.Minute))
		done := notebook("op-1", "Sales", StatusSucceeded)
		done.LastUpdatedTimeUtc = start.Add(30 * time.Second).Format(time.RFC3339)
		tracked := Snapshot{ID: "op-2", Kind: KindOperation, Label: "Tracked op-2", Status: StatusSucceeded, Done: true,
			Result: json.RawMessage(`{"id":"lh-1","type":"Lakehouse","displayName":"Raw data","workspaceId":"ws-9"}`)}
		eng := &fakeEngine{pages: []WorkspacePage{{}}, existing: []Snapshot{done, tracked}}
		app := NewApp(eng, Config{
			PortalURL:  "https://app.fabric.microsoft.us/",
			FormatTime: func(t time.Time) string { return "at " + t.UTC().Format("15:04:05") }})
		doc := &domfake.Document{}
		root := doc.Root()
		app.Mount(doc, root)
		synctest.Wait()
		row := open(t, root, "op-1")
		for role, want := range map[string]string{
			"started": "started at 00:00:00", "ended": "ended at 00:00:30",
		} {
			if got := row.Role(role).TextContent(); got != want {
				t.Errorf("%s %q, want %q", role, got, want)
			}
		}
		if got := row.Role("open-item").Attrs["href"]; got != "https://app.fabric.microsoft.us/groups/ws-1/synapsenotebooks/item-op-1" {
			t.Errorf("Open in Fabric %q", got)
		}
		if got := row.Role("open-workspace").Attrs["href"]; got != "https://app.fabric.microsoft.us/groups/ws-1" {
			t.Errorf("workspace link %q", got)
		}
		tr := open(t, root, "op-2")
		if got := tr.Role("label").TextContent(); got != "Lakehouse “Raw data”" {
			t.Errorf("tracked title %q, want the item's name", got)
		}
		if got := tr.Role("run-job").TextContent(); got != "Run table maintenance" {
			t.Errorf("a lakehouse offers %q", got)
		}
	})
}

// A time is formatted once, however often its card changes: the browser's formatter is a
// call into Intl, and a thousand running operations change their cards many times a second.
func TestTimesFormattedOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		advanceTo(start.Add(time.Minute))
		var mu sync.Mutex
		calls := map[string]int{}
		eng := &fakeEngine{pages: []WorkspacePage{{}}, existing: []Snapshot{notebook("op-1", "Sales", statusRunning)}}
		app := NewApp(eng, Config{FormatTime: func(t time.Time) string {
			mu.Lock()
			defer mu.Unlock()
			calls[t.UTC().Format("15:04:05")]++
			return "at " + t.UTC().Format("15:04:05")
		}})
		doc := &domfake.Document{}
		root := doc.Root()
		app.Mount(doc, root)
		synctest.Wait()
		open(t, root, "op-1")
		for pct := 10; pct <= 90; pct += 10 {
			s := notebook("op-1", "Sales", statusRunning)
			s.PercentComplete = ptr(float64(pct))
			s.LastUpdatedTimeUtc = start.Add(time.Duration(pct) * time.Second).Format(time.RFC3339)
			eng.publish(s)
			synctest.Wait()
		}
		done := notebook("op-1", "Sales", StatusSucceeded)
		done.LastUpdatedTimeUtc = start.Add(100 * time.Second).Format(time.RFC3339)
		eng.publish(done)
		synctest.Wait()
		row := cardByID(t, root, "op-1")
		for role, want := range map[string]string{"started": "started at 00:00:00", "ended": "ended at 00:01:40"} {
			if got := row.Role(role).TextContent(); got != want {
				t.Errorf("%s %q, want %q", role, got, want)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if want := map[string]int{"00:00:00": 1, "00:01:40": 1}; !maps.Equal(calls, want) {
			t.Errorf("times formatted %v, want each once: %v", calls, want)
		}
	})
}

// Elapsed time shows from the moment an operation appears: before Fabric's first answer
// carries createdTimeUtc, and on a call Fabric answered at once (201).
func TestElapsedFromCreation(t *testing.T) {
	tests := []struct {
		name  string
		snap  Snapshot
		after time.Duration
		want  string
	}{
		{name: "202 before the first poll", after: 3 * time.Second, want: "elapsed 3s",
			snap: Snapshot{ID: "op-1", Kind: KindOperation, Label: "Create Notebook “A”"}},
		{name: "201 done at once", after: 3 * time.Second, want: "took 0s",
			snap: Snapshot{ID: "call-1", Kind: KindOperation, Label: "Create Notebook “B”", Status: StatusSucceeded, Done: true,
				Result: json.RawMessage(`{"id":"item-1","type":"Notebook","displayName":"B"}`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				eng := &fakeEngine{}
				app, _, root := newPage(t, eng, false)
				s := tt.snap
				if !s.Done {
					next := start.Add(10 * time.Second)
					s.NextPollAt = &next
				}
				eng.publish(s)
				if got := cardByID(t, root, s.ID).Role("elapsed").TextContent(); got == "" {
					t.Errorf("no elapsed time on a new row")
				}
				advanceTo(start.Add(tt.after))
				eng.publish(s) // a later snapshot, still without Fabric's times
				app.Tick()
				if got := cardByID(t, root, s.ID).Role("elapsed").TextContent(); got != tt.want {
					t.Errorf("elapsed %q after %v, want %q", got, tt.after, tt.want)
				}
			})
		})
	}
}

func TestStorageErrorIsShown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		eng := &fakeEngine{}
		app, _, root := newPage(t, eng, false)
		if !root.Role("storage-error").Hidden() {
			t.Error("storage error shown while saving works")
		}
		eng.storeErr = errors.New("QuotaExceededError: the quota has been exceeded")
		app.Tick()
		if n := root.Role("storage-error"); n.Hidden() || !strings.Contains(n.TextContent(), "QuotaExceededError") || !strings.Contains(n.TextContent(), "will not resume") {
			t.Errorf("storage error shown %v: %q", !n.Hidden(), n.TextContent())
		}
		eng.storeErr = nil
		app.Tick()
		if !root.Role("storage-error").Hidden() {
			t.Error("the storage error stays after a good save")
		}
	})
}

// A page with sign-in says how to get a new token in its own words (Config.TokenAdvice).
func TestTokenWaitWordsWithSignIn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		eng := &fakeEngine{pages: []WorkspacePage{{}}}
		app := NewApp(eng, Config{
			Settings: true,
			APIBase:  "http://proxy/v1", TokenAdvice: "sign in again (Sign in, above)",
		})
		doc := &domfake.Document{}
		root := doc.Root()
		app.Mount(doc, root)
		synctest.Wait()
		for _, tc := range []struct{ code, want string }{
			{code: "TokenExpired", want: "Token expired: sign in again (Sign in, above) · next check in 20 s"},
			{code: "InvalidToken", want: "Not authorized (InvalidToken): sign in again (Sign in, above) · next check in 20 s"},
			{code: "TokenUnavailable", want: "Waiting for sign-in: sign in again (Sign in, above) · next check in 20 s"},
		} {
			s := notebook("op-"+tc.code, "A", statusRunning)
			next := start.Add(20 * time.Second)
			s.NextPollAt = &next
			s.Error = &ErrorInfo{ErrorCode: tc.code, Message: "The token was refused."}
			eng.publish(s)
			if got := cardByID(t, root, "op-"+tc.code).Role("status").TextContent(); got != tc.want {
				t.Errorf("row status %q, want %q", got, tc.want)
			}
		}
	})
}

func TestTokenWaitWordsWithoutSettings(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		eng := &fakeEngine{}
		_, _, root := newPage(t, eng, false)
		s := notebook("op-1", "A", statusRunning)
		next := start.Add(20 * time.Second)
		s.NextPollAt = &next
		s.Error = &ErrorInfo{ErrorCode: "TokenExpired", Message: "The token has expired."}
		eng.publish(s)
		if got := cardByID(t, root, "op-1").Role("status").TextContent(); got != "Token expired: waiting for a new token from this page · next check in 20 s" {
			t.Errorf("embedded row status %q: there is no Settings panel to point at", got)
		}
	})
}

// TestRowSaysWhyItWaits: a row waiting out a 429, retrying after an error or stalled says so
// next to its status, with the time left counting down; a plain Retry-After wait adds nothing.
func TestRowSaysWhyItWaits(t *testing.T) {
	until := start.Add(45 * time.Second)
	tests := []struct {
		name    string
		waiting *lro.Waiting
		want    []string // the row's status now, and 10 s later
	}{
		{name: "Retry-After", waiting: &lro.Waiting{Reason: lro.WaitRetryAfter, Until: until, Seconds: 45},
			want: []string{"Running", "Running"}},
		{name: "throttled", waiting: &lro.Waiting{Reason: lro.WaitThrottled, Until: until, Seconds: 45, Error: &ErrorInfo{ErrorCode: "RequestBlocked"}},
			want: []string{"Running · throttled by Fabric (429) for 45s · next check in 45 s", "Running · throttled by Fabric (429) for 45s · next check in 35 s"}},
		{name: "retrying", waiting: &lro.Waiting{Reason: lro.WaitRetrying, Until: until, Seconds: 45, Error: &ErrorInfo{ErrorCode: "ServiceUnavailable"}, Attempt: 3, Of: 4},
			want: []string{"Running · retry 3 of 4 after ServiceUnavailable · next check in 45 s", "Running · retry 3 of 4 after ServiceUnavailable · next check in 35 s"}},
		{name: "stalled", waiting: &lro.Waiting{Reason: lro.WaitStalled, Until: until, Seconds: 45, Since: ptrTime(start.Add(-5 * time.Minute))},
			want: []string{"Running · no progress for 5m 00s · next check in 45 s", "Running · no progress for 5m 10s · next check in 35 s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				eng := &fakeEngine{}
				app, _, root := newPage(t, eng, false)
				s := notebook("op-1", "A", statusRunning)
				s.NextPollAt, s.Waiting = &until, tt.waiting
				eng.publish(s)
				var got []string
				for range 2 {
					got = append(got, cardByID(t, root, "op-1").Role("status").TextContent())
					advanceTo(time.Now().Add(10 * time.Second))
					app.Tick()
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("row status %q\nwant       %q", got, tt.want)
				}
			})
		})
	}
}

func ptrTime(t time.Time) *time.Time { return &t }

func TestCardOfAReusedID(t *testing.T) {
	tests := []struct {
		name        string
		existing    Snapshot // the row already shown under the id
		wantLabel   string
		wantStatus  string
		wantElapsed string
	}{
		{name: "finished row: replaced by the new operation", existing: notebook("op-1", "Old", StatusSucceeded),
			wantLabel: "Create Notebook “New”", wantStatus: "Running", wantElapsed: "elapsed 0s"},
		{name: "running row: kept, no duplicate", existing: notebook("op-1", "Old", statusRunning),
			wantLabel: "Create Notebook “Old”", wantStatus: "Running", wantElapsed: "elapsed 1h 00m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				advanceTo(start.Add(time.Hour))
				eng := &fakeEngine{existing: []Snapshot{tt.existing}}
				eng.created = func(int, ItemRequest) (Snapshot, error) {
					if tt.existing.Done { // the Tracker watches the new call under the old id
						s := notebook("op-1", "New", statusRunning)
						s.CreatedTimeUtc = ""
						eng.publish(s)
						return s, nil
					}
					return tt.existing, nil // the Tracker returns the call it already watches
				}
				_, _, root := newPage(t, eng, false)
				old := cardByID(t, root, "op-1")
				root.Role("name").SetValue("New")
				root.Role("count").SetValue("1")
				root.Role("create-form").Submit()
				synctest.Wait()
				cards := root.Roles("card")
				if len(cards) != 1 || cards[0] != old {
					t.Fatalf("%d rows; want the one row for op-1, in place", len(cards))
				}
				got := []string{old.Role("label").TextContent(), old.Attrs["data-status"], old.Role("elapsed").TextContent()}
				if want := []string{tt.wantLabel, tt.wantStatus, tt.wantElapsed}; !slices.Equal(got, want) {
					t.Errorf("row label, status, elapsed %q; want %q", got, want)
				}
			})
		})
	}
}

// A call that could not start, or a cancel that failed, says what to do in the page's words
// when lro's message states the facts alone.
func TestFailuresSayWhatToDo(t *testing.T) {
	tests := []struct {
		name   string
		signIn bool       // the page signs in (Config.TokenAdvice); else it has Settings
		err    *lro.Error // what the engine answers
		cancel bool       // err answers a cancel, not a create
		says   []string   // what the row says
	}{
		{name: "no answer to a create", err: &lro.Error{ErrorCode: string(lro.CodeStartNotRetried), Message: "the POST was not retried: it may have taken effect",
			Err: &lro.Error{ErrorCode: string(lro.CodeNetworkError), Message: "could not reach 127.0.0.1:8787", Retryable: true}},
			says: []string{"the POST was not retried: it may have taken effect. Check the network and any proxy. Check the workspace before trying again."}},
		{name: "a 5xx to a create", err: &lro.Error{StatusCode: 500, ErrorCode: string(lro.CodeStartNotRetried), Message: "the POST was not retried: it may have taken effect",
			Err: &lro.Error{StatusCode: 500, ErrorCode: "InternalServerError", Message: "Something went wrong.", Retryable: true}},
			says: []string{"the POST was not retried: it may have taken effect. Check the workspace before trying again."}},
		{name: "token refused, Settings", err: &lro.Error{StatusCode: 401, ErrorCode: string(lro.CodeTokenExpired), Message: "The token has expired."},
			says: []string{"The token has expired. Paste a new token in Settings and Apply."}},
		{name: "token refused, sign-in", signIn: true, err: &lro.Error{StatusCode: 401, ErrorCode: codeInvalidToken, Message: "The token is not valid."},
			says: []string{"The token is not valid. Sign in again (Sign in, above)."}},
		{name: "cancel before the run is known", cancel: true,
			err:  &lro.Error{ErrorCode: string(lro.CodeJobInstanceNotKnownYet), Message: "the job's instance is not known yet", Retryable: true},
			says: []string{"Could not cancel: JobInstanceNotKnownYet: the job's instance is not known yet. Cancel again once the first check has found the run."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				eng := &fakeEngine{pages: []WorkspacePage{{Workspaces: []Workspace{{ID: "ws-1"}}}}, created: func(int, ItemRequest) (Snapshot, error) {
					return Snapshot{}, tt.err
				}}
				cfg := Config{Settings: true, APIBase: "http://proxy/v1", Token: "tok"}
				if tt.signIn {
					cfg.TokenAdvice = "sign in again (Sign in, above)"
				}
				if tt.cancel {
					eng.cancelErr = tt.err
					eng.existing = []Snapshot{{ID: "job-1", Kind: kindJob, Label: "Run notebook “A”", Status: statusNotStarted}}
				}
				app := NewApp(eng, cfg)
				doc := &domfake.Document{}
				root := doc.Root()
				app.Mount(doc, root)
				synctest.Wait()
				var got string
				if tt.cancel {
					row := open(t, root, "job-1")
					row.Role("cancel").Click()
					row.Role("confirm-yes").Click()
					synctest.Wait()
					got = row.Role("note").TextContent()
				} else {
					root.Role("name").SetValue("A")
					root.Role("count").SetValue("1")
					root.Role("create-form").Submit()
					synctest.Wait()
					got = root.Roles("card")[0].Role("error-message").TextContent()
				}
				for _, s := range tt.says {
					if !strings.Contains(got, s) {
						t.Errorf("the row says %q; want it to say %q", got, s)
					}
				}
			})
		})
	}
}

func TestSuggestName(t *testing.T) {
	tests := []struct {
		at   time.Time
		want string
	}{
		{at: time.Date(2026, 12, 2, 0, 0, 0, 0, time.Local), want: "Demo 000000"},
		{at: time.Date(2026, 12, 2, 9, 5, 7, 0, time.Local), want: "Demo 090507"},
		{at: time.Date(2026, 12, 2, 23, 59, 59, 999, time.Local), want: "Demo 235959"},
	}
	for _, tt := range tests {
		if got := suggestName(tt.at); got != tt.want || got != "Demo "+tt.at.Format("150405") {
			t.Errorf("suggestName(%v) = %q, want %q", tt.at, got, tt.want)
		}
	}
}
