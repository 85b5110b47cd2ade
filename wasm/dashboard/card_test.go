package dashboard

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
)

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func ts(d time.Duration) string { return t0.Add(d).Format(time.RFC3339Nano) }

func pct(f float64) *float64        { return &f }
func at(d time.Duration) *time.Time { t := t0.Add(d); return &t }

func TestNewCard(t *testing.T) {
	tests := []struct {
		name string
		snap Snapshot
		now  time.Time
		want card
	}{
		{
			name: "running without percentComplete is indeterminate",
			snap: Snapshot{ID: "op1", Kind: KindOperation, Label: "Create Notebook “A”", Status: statusRunning,
				CreatedTimeUtc: ts(0), NextPollAt: at(2500 * time.Millisecond), Attempts: 1},
			now: t0.Add(time.Second),
			want: card{ID: "op1", Kind: KindOperation, Label: "Create Notebook “A”", Status: statusRunning,
				StatusWords: "Running", StatusClass: "st-running", ProgressIndeterminate: true, ProgressText: "working…",
				NextCheck: "next check in 2 s", Elapsed: "elapsed 1s", Attempts: "1 check", State: stateRunning},
		},
		{
			name: "running with percentComplete shows it",
			snap: Snapshot{ID: "op1", Kind: KindOperation, Status: statusRunning, PercentComplete: pct(42.4),
				CreatedTimeUtc: ts(0), NextPollAt: at(65 * time.Second), Attempts: 3},
			now: t0.Add(65 * time.Second),
			want: card{ID: "op1", Kind: KindOperation, Label: "operation op1", Status: statusRunning,
				StatusWords: "Running", StatusClass: "st-running", Progress: 42.4, ProgressText: "42%",
				NextCheck: "checking now…", Elapsed: "elapsed 1m 05s", Attempts: "3 checks", State: stateRunning},
		},
		{
			name: "not started",
			snap: Snapshot{ID: "op2", Status: statusNotStarted, PercentComplete: pct(0), NextPollAt: at(20 * time.Second)},
			now:  t0,
			want: card{ID: "op2", Kind: KindOperation, Label: "operation op2", Status: statusNotStarted,
				StatusWords: "Not started yet", StatusClass: "st-pending", ProgressText: "0%", NextCheck: "next check in 20 s", State: stateRunning},
		},
		{
			name: "succeeded with a created item",
			snap: Snapshot{ID: "op3", Kind: KindOperation, Status: StatusSucceeded, Done: true, PercentComplete: pct(100),
				CreatedTimeUtc: ts(0), LastUpdatedTimeUtc: ts(12 * time.Second), NextPollAt: at(time.Hour), Attempts: 2,
				Result: json.RawMessage(`{"id":"it1","type":"Notebook","displayName":"Sales 2","workspaceId":"ws"}`)},
			now: t0.Add(time.Hour),
			want: card{ID: "op3", Kind: KindOperation, Label: "operation op3", Status: StatusSucceeded,
				StatusWords: "Succeeded", StatusClass: "st-ok", Progress: 100, ProgressText: "done",
				Elapsed: "took 12s", Attempts: "2 checks", Done: true,
				Result: &cardResult{Name: "Sales 2", Type: "Notebook", ID: "it1",
					Raw: `{"id":"it1","type":"Notebook","displayName":"Sales 2","workspaceId":"ws"}`}, State: stateSucceeded},
		},
		{
			name: "succeeded without a result",
			snap: Snapshot{ID: "op4", Status: StatusSucceeded, Done: true, Result: json.RawMessage(`null`)},
			now:  t0,
			want: card{ID: "op4", Kind: KindOperation, Label: "operation op4", Status: StatusSucceeded,
				StatusWords: "Succeeded", StatusClass: "st-ok", Progress: 100, ProgressText: "done", Done: true, State: stateSucceeded},
		},
		{
			name: "failed shows the whole error",
			snap: Snapshot{ID: "op5", Status: statusFailed, PercentComplete: pct(30),
				Error: &ErrorInfo{ErrorCode: "OperationFailed", Message: "The display name says fail.", RequestID: "rq-1",
					MoreDetails: []lro.ErrorDetail{{ErrorCode: "Inner", Message: "detail one"}, {Message: "detail two"}}}},
			now: t0,
			want: card{ID: "op5", Kind: KindOperation, Label: "operation op5", Status: statusFailed,
				StatusWords: "Failed", StatusClass: "st-failed", Progress: 30, ProgressText: "failed at 30%", Done: true,
				Error: &cardError{ErrorCode: "OperationFailed", Message: "The display name says fail.", RequestID: "rq-1",
					MoreDetails: []string{"Inner: detail one", "detail two"}}, State: stateFailed},
		},
		{
			name: "failed without percentComplete is not indeterminate",
			snap: Snapshot{ID: "op6", Status: statusFailed, Error: &ErrorInfo{ErrorCode: "X", Message: "y"}},
			now:  t0,
			want: card{ID: "op6", Kind: KindOperation, Label: "operation op6", Status: statusFailed,
				StatusWords: "Failed", StatusClass: "st-failed", ProgressText: "failed", Done: true,
				Error: &cardError{ErrorCode: "X", Message: "y"}, State: stateFailed},
		},
		{
			name: "running job can be cancelled",
			snap: Snapshot{ID: "job1", Kind: kindJob, Label: "RunNotebook", Status: statusInProgress, NextPollAt: at(time.Second)},
			now:  t0,
			want: card{ID: "job1", Kind: kindJob, Label: "RunNotebook", Status: statusInProgress,
				StatusWords: "In progress", StatusClass: "st-running", ProgressIndeterminate: true, ProgressText: "working…",
				NextCheck: "next check in 1 s", CanCancel: true, State: stateRunning},
		},
		{
			name: "cancelled job cannot",
			snap: Snapshot{ID: "job2", Kind: kindJob, Status: statusCancelled},
			now:  t0,
			want: card{ID: "job2", Kind: kindJob, Label: "job job2", Status: statusCancelled,
				StatusWords: "Cancelled", StatusClass: "st-cancelled", ProgressText: "ended", Done: true, State: stateCancelled},
		},
		{
			name: "deduped job is explained",
			snap: Snapshot{ID: "job3", Kind: kindJob, Status: statusDeduped},
			now:  t0,
			want: card{ID: "job3", Kind: kindJob, Label: "job job3", Status: statusDeduped,
				StatusWords: "Skipped: the same job was already running", StatusClass: "st-cancelled", ProgressText: "ended", Done: true, State: stateCancelled},
		},
		{
			name: "a status Fabric adds later is shown as it is",
			snap: Snapshot{ID: "op7", Status: "Paused", NextPollAt: at(3 * time.Second)},
			now:  t0,
			want: card{ID: "op7", Kind: KindOperation, Label: "operation op7", Status: "Paused",
				StatusWords: "Paused", StatusClass: "st-unknown", ProgressIndeterminate: true, ProgressText: "working…",
				NextCheck: "next check in 3 s", State: stateRunning},
		},
		{
			name: "a TokenExpired while still watching asks for a new token",
			snap: Snapshot{ID: "op8", Status: statusRunning, NextPollAt: at(time.Second), Error: &ErrorInfo{ErrorCode: "TokenExpired", Message: "The token has expired."}},
			now:  t0,
			want: card{ID: "op8", Kind: KindOperation, Label: "operation op8", Status: statusRunning,
				StatusWords: "Token expired: paste a new token in Settings and Apply", StatusClass: "st-pending", ProgressIndeterminate: true,
				ProgressText: "working…", NextCheck: "next check in 1 s", Waiting: "next check in 1 s", WaitingForToken: true,
				Error: &cardError{ErrorCode: "TokenExpired", Message: "The token has expired."}, State: stateRunning},
		},
		{
			name: "another 401 while still watching names its code",
			snap: Snapshot{ID: "op9", Status: statusRunning, NextPollAt: at(time.Second), Error: &ErrorInfo{ErrorCode: "TokenUnavailable", Message: "getToken failed"}},
			now:  t0,
			want: card{ID: "op9", Kind: KindOperation, Label: "operation op9", Status: statusRunning,
				StatusWords: "Not authorized (TokenUnavailable): paste a new token in Settings and Apply", StatusClass: "st-pending", ProgressIndeterminate: true,
				ProgressText: "working…", NextCheck: "next check in 1 s", Waiting: "next check in 1 s", WaitingForToken: true,
				Error: &cardError{ErrorCode: "TokenUnavailable", Message: "getToken failed"}, State: stateRunning},
		},
		{
			name: "a stalled operation says so and keeps going",
			snap: Snapshot{ID: "op12", Status: statusRunning, Stalled: true, NextPollAt: at(2 * time.Second)},
			now:  t0,
			want: card{ID: "op12", Kind: KindOperation, Label: "operation op12", Status: statusRunning,
				StatusWords: "Running", StatusClass: "st-running", ProgressIndeterminate: true, ProgressText: "working…",
				NextCheck: "no progress for a while · next check in 2 s", Waiting: "no progress for a while · next check in 2 s", State: stateRunning},
		},
		{
			name: "stalled since a time says for how long",
			snap: Snapshot{ID: "op12", Status: statusRunning, Stalled: true, NextPollAt: at(2 * time.Second),
				Waiting: &lro.Waiting{Reason: lro.WaitStalled, Until: *at(2 * time.Second), Seconds: 20, Since: at(-12*time.Minute - 5*time.Second)}},
			now: t0,
			want: card{ID: "op12", Kind: KindOperation, Label: "operation op12", Status: statusRunning,
				StatusWords: "Running", StatusClass: "st-running", ProgressIndeterminate: true, ProgressText: "working…",
				NextCheck: "no progress for 12m 05s · next check in 2 s", Waiting: "no progress for 12m 05s · next check in 2 s", State: stateRunning},
		},
		{
			name: "waiting for Fabric's Retry-After is the plain next check",
			snap: Snapshot{ID: "op13", Status: statusRunning, NextPollAt: at(20 * time.Second),
				Waiting: &lro.Waiting{Reason: lro.WaitRetryAfter, Until: *at(20 * time.Second), Seconds: 20}},
			now: t0,
			want: card{ID: "op13", Kind: KindOperation, Label: "operation op13", Status: statusRunning,
				StatusWords: "Running", StatusClass: "st-running", ProgressIndeterminate: true, ProgressText: "working…",
				NextCheck: "next check in 20 s", State: stateRunning},
		},
		{
			name: "throttled by its own 429 says for how long and the time left",
			snap: Snapshot{ID: "op14", Status: statusRunning, NextPollAt: at(40 * time.Second),
				Waiting: &lro.Waiting{Reason: lro.WaitThrottled, Until: *at(40 * time.Second), Seconds: 45, Error: &ErrorInfo{ErrorCode: "RequestBlocked"}}},
			now: t0,
			want: card{ID: "op14", Kind: KindOperation, Label: "operation op14", Status: statusRunning,
				StatusWords: "Running", StatusClass: "st-running", ProgressIndeterminate: true, ProgressText: "working…",
				NextCheck: "throttled by Fabric (429) for 45s · next check in 40 s", Waiting: "throttled by Fabric (429) for 45s · next check in 40 s", State: stateRunning},
		},
		{
			name: "throttled by another call's 429 before its first check",
			snap: Snapshot{ID: "op15", NextPollAt: at(75 * time.Second),
				Waiting: &lro.Waiting{Reason: lro.WaitThrottled, Until: *at(75 * time.Second)}},
			now: t0,
			want: card{ID: "op15", Kind: KindOperation, Label: "operation op15", StatusWords: "Accepted by Fabric", StatusClass: "st-pending",
				ProgressIndeterminate: true, ProgressText: "working…", NextCheck: "throttled by Fabric (429) · first check in 75 s", Waiting: "throttled by Fabric (429) · first check in 75 s", State: stateRunning},
		},
		{
			name: "retrying after an error names it and the attempt",
			snap: Snapshot{ID: "op16", Status: statusRunning, NextPollAt: at(1500 * time.Millisecond),
				Waiting: &lro.Waiting{Reason: lro.WaitRetrying, Until: *at(1500 * time.Millisecond), Seconds: 2, Error: &ErrorInfo{ErrorCode: "ServiceUnavailable"}, Attempt: 2, Of: 4}},
			now: t0,
			want: card{ID: "op16", Kind: KindOperation, Label: "operation op16", Status: statusRunning,
				StatusWords: "Running", StatusClass: "st-running", ProgressIndeterminate: true, ProgressText: "working…",
				NextCheck: "retry 2 of 4 after ServiceUnavailable · next check in 2 s", Waiting: "retry 2 of 4 after ServiceUnavailable · next check in 2 s", State: stateRunning},
		},
		{
			name: "waiting for a token says so with the time left",
			snap: Snapshot{ID: "op17", Status: statusRunning, NextPollAt: at(20 * time.Second), Error: &ErrorInfo{ErrorCode: "TokenExpired", Message: "expired"},
				Waiting: &lro.Waiting{Reason: lro.WaitToken, Until: *at(20 * time.Second), Seconds: 20, Error: &ErrorInfo{ErrorCode: "TokenExpired"}, Attempt: 1}},
			now: t0.Add(5 * time.Second),
			want: card{ID: "op17", Kind: KindOperation, Label: "operation op17", Status: statusRunning,
				StatusWords: "Token expired: paste a new token in Settings and Apply", StatusClass: "st-pending", ProgressIndeterminate: true,
				ProgressText: "working…", NextCheck: "waiting for a new token · next check in 15 s", Waiting: "next check in 15 s", WaitingForToken: true,
				Error: &cardError{ErrorCode: "TokenExpired", Message: "expired"}, State: stateRunning},
		},
		{
			name: "a wait that is over is checking now, whatever its reason",
			snap: Snapshot{ID: "op18", Status: statusRunning, NextPollAt: at(0),
				Waiting: &lro.Waiting{Reason: lro.WaitThrottled, Until: t0, Seconds: 45}},
			now: t0.Add(time.Second),
			want: card{ID: "op18", Kind: KindOperation, Label: "operation op18", Status: statusRunning,
				StatusWords: "Running", StatusClass: "st-running", ProgressIndeterminate: true, ProgressText: "working…",
				NextCheck: "checking now…", State: stateRunning},
		},
		{
			name: "the engine gave up",
			snap: Snapshot{ID: "op9", Status: statusRunning, Done: true, Error: &ErrorInfo{ErrorCode: "RetriesExhausted", Message: "gave up"}},
			now:  t0,
			want: card{ID: "op9", Kind: KindOperation, Label: "operation op9", Status: statusRunning,
				StatusWords: "Stopped: RetriesExhausted", StatusClass: "st-failed", ProgressText: "failed", Done: true,
				Error: &cardError{ErrorCode: "RetriesExhausted", Message: "gave up. Fabric or the network is unavailable: try again later, or track it again by its id to see how it ended."},
				State: stateFailed},
		},
		{
			name: "watching stopped",
			snap: Snapshot{ID: "op10", Status: statusRunning, Error: &ErrorInfo{ErrorCode: string(lro.CodeWatchCancelled), Message: "stopped"}},
			now:  t0,
			want: card{ID: "op10", Kind: KindOperation, Label: "operation op10", Status: statusRunning,
				StatusWords: "Stopped watching (it may still finish in Fabric)", StatusClass: "st-cancelled", ProgressText: "ended", Done: true,
				Note: "No longer watched here. The operation may still finish in Fabric. Track it again by its id to see how it ended.", State: stateCancelled},
		},
		{
			name: "Fabric time without a zone is UTC",
			snap: Snapshot{ID: "op11", Status: StatusSucceeded, Done: true, CreatedTimeUtc: "2023-11-13T22:25:06.1193103", LastUpdatedTimeUtc: "2023-11-13T22:25:09.0255787"},
			now:  t0,
			want: card{ID: "op11", Kind: KindOperation, Label: "operation op11", Status: StatusSucceeded,
				StatusWords: "Succeeded", StatusClass: "st-ok", Progress: 100, ProgressText: "done", Elapsed: "took 3s", Done: true, State: stateSucceeded},
		},
		{
			name: "Succeeded in Fabric, result still being fetched: not done, not green",
			snap: Snapshot{ID: "op12", Kind: KindOperation, Status: StatusSucceeded, CreatedTimeUtc: ts(0),
				NextPollAt: at(time.Second), Attempts: 3},
			now: t0.Add(4 * time.Second),
			want: card{ID: "op12", Kind: KindOperation, Label: "operation op12", Status: StatusSucceeded,
				StatusWords: "Succeeded · fetching the result…", StatusClass: "st-fetching", Progress: 100,
				ProgressText: "fetching…", NextCheck: "checking now…", Elapsed: "elapsed 4s", Attempts: "3 checks", State: stateRunning},
		},
		{
			name: "Succeeded but the result fetch failed: a warning with the error",
			snap: Snapshot{ID: "op13", Kind: KindOperation, Status: StatusSucceeded, Done: true, CreatedTimeUtc: ts(0),
				LastUpdatedTimeUtc: ts(5 * time.Second), Attempts: 4,
				Error: &ErrorInfo{ErrorCode: "InternalServerError", Message: "try later", RequestID: "rq-1"}},
			now: t0.Add(9 * time.Second),
			want: card{ID: "op13", Kind: KindOperation, Label: "operation op13", Status: StatusSucceeded,
				StatusWords: "Succeeded, but the result could not be fetched", StatusClass: "st-warning", Progress: 100,
				ProgressText: "done", Elapsed: "took 5s", Attempts: "4 checks", Done: true,
				Error: &cardError{ErrorCode: "InternalServerError", Message: "try later", RequestID: "rq-1"}, State: stateSucceeded},
		},
		{
			name: "accepted, before the first check: the words agree",
			snap: Snapshot{ID: "3c060079-0d2f-474f-8341-0342561b6c4e", Kind: KindOperation, CreatedTimeUtc: ts(0),
				NextPollAt: at(2 * time.Second), Attempts: 1},
			now: t0,
			want: card{ID: "3c060079-0d2f-474f-8341-0342561b6c4e", Kind: KindOperation, Label: "operation 3c060079-0d2f-474f-8341-0342561b6c4e",
				StatusWords: "Accepted by Fabric", StatusClass: "st-pending", ProgressIndeterminate: true, ProgressText: "working…",
				NextCheck: "first check in 2 s", Elapsed: "elapsed 0s", State: stateRunning},
		},
		{
			name: "failed at 100%: no full bar",
			snap: Snapshot{ID: "op14", Status: statusFailed, PercentComplete: pct(100), Error: &ErrorInfo{ErrorCode: "X", Message: "y"}},
			now:  t0,
			want: card{ID: "op14", Kind: KindOperation, Label: "operation op14", Status: statusFailed,
				StatusWords: "Failed", StatusClass: "st-failed", ProgressText: "failed", Done: true,
				Error: &cardError{ErrorCode: "X", Message: "y"}, State: stateFailed},
		},
		{
			name: "a cancelled job is neutral: a note, not an error",
			snap: Snapshot{ID: "job4", Kind: kindJob, Label: "Run notebook “A”", Status: statusCancelled, Done: true,
				Error: &ErrorInfo{ErrorCode: string(lro.CodeJobCancelled), Message: "the job was cancelled"}},
			now: t0,
			want: card{ID: "job4", Kind: kindJob, Label: "Run notebook “A”", Status: statusCancelled,
				StatusWords: "Cancelled", StatusClass: "st-cancelled", ProgressText: "ended", Done: true,
				Note: "Cancelled in Fabric. Run it again if it is still needed.", State: stateCancelled},
		},
		{
			name: "a tracked operation is named after its item once known",
			snap: Snapshot{ID: "op15", Kind: KindOperation, Label: "Tracked op15", Status: StatusSucceeded, Done: true,
				Result: json.RawMessage(`{"id":"i","type":"DataPipeline","displayName":"Nightly"}`)},
			now: t0,
			want: card{ID: "op15", Kind: KindOperation, Label: "Pipeline “Nightly”", Status: StatusSucceeded,
				StatusWords: "Succeeded", StatusClass: "st-ok", Progress: 100, ProgressText: "done", Done: true,
				Result: &cardResult{Name: "Nightly", Type: "DataPipeline", ID: "i", Raw: `{"id":"i","type":"DataPipeline","displayName":"Nightly"}`},
				State:  stateSucceeded},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := newCard(tt.snap, tt.now)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("newCard:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{in: -time.Second, want: "0s"},
		{in: 0, want: "0s"},
		{in: 1499 * time.Millisecond, want: "1s"},
		{in: 59 * time.Second, want: "59s"},
		{in: 60 * time.Second, want: "1m 00s"},
		{in: 61*time.Minute + 5*time.Second, want: "1h 01m"},
	}
	for _, tt := range tests {
		if got := formatDuration(tt.in); got != tt.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// What the card of a running operation shows, five seconds after it started, with the next
// check due in twenty: the renderer only copies these into the page.
func TestCardOfARunningOperation(t *testing.T) {
	created := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	next := created.Add(25 * time.Second)
	c := newCard(Snapshot{
		ID:             "5b218778-e7a5-4d73-8187-f10824047715",
		Kind:           KindOperation,
		Label:          "Create Notebook “Sales”",
		Status:         statusRunning,
		CreatedTimeUtc: created.Format(time.RFC3339),
		NextPollAt:     &next,
	}, created.Add(5*time.Second))
	got := []string{c.StatusWords, c.StatusClass, fmt.Sprint(c.ProgressIndeterminate), c.ProgressText, c.NextCheck, c.Elapsed}
	want := []string{"Running", "st-running", "true", "working…", "next check in 20 s", "elapsed 5s"}
	if !slices.Equal(got, want) {
		t.Errorf("card %q, want %q", got, want)
	}
}
