package dashboard

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
)

// A call that Fabric refuses (or that never reaches it) is a failed row with the error and
// Retry, never a banner; Retry sends it again in the same row.
func TestStartFailureIsAFailedRowWithRetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fail := true
		eng := &fakeEngine{created: func(n int, item ItemRequest) (Snapshot, error) {
			if fail && item.DisplayName == "Dup 2" {
				return Snapshot{}, &lro.Error{ErrorCode: "ItemDisplayNameAlreadyInUse", Message: "Requested 'Dup 2' is already in use", RequestID: "rq-2"}
			}
			return notebook(fmt.Sprintf("op-%d", n), item.DisplayName, StatusSucceeded), nil
		}}
		_, _, root := newPage(t, eng, false)
		root.Role("name").SetValue("Dup")
		root.Role("create-form").Submit()
		synctest.Wait()
		rows := root.Roles("card")
		if len(rows) != 2 || root.Role("messages") != nil {
			t.Fatalf("%d rows (and a messages banner: %v); want one row per create, no banner", len(rows), root.Role("messages") != nil)
		}
		failed := rows[1]
		if failed.Attrs["data-state"] != "failed" || failed.Role("status").TextContent() != "Could not start" {
			t.Errorf("refused create: state %q status %q", failed.Attrs["data-state"], failed.Role("status").TextContent())
		}
		if failed.Role("details").Hidden() {
			t.Fatal("a create that could not start does not show why")
		}
		if got := failed.Role("error-code").TextContent(); got != "ItemDisplayNameAlreadyInUse" {
			t.Errorf("error code %q", got)
		}
		if failed.Role("retry").Hidden() {
			t.Fatal("no Retry on a create that could not start")
		}
		if got := root.Role("summary").TextContent(); got != "0 running · 1 succeeded · 1 failed" {
			t.Errorf("summary %q", got)
		}
		fail = false
		failed.Role("retry").Click()
		synctest.Wait()
		if got := eng.creates[len(eng.creates)-1].DisplayName; len(eng.creates) != 3 || got != "Dup 2" {
			t.Errorf("Retry sent %d creates, the last %q; want Dup 2 sent again", len(eng.creates), got)
		}
		if rows := root.Roles("card"); len(rows) != 2 || rows[1] != failed || failed.Attrs["data-state"] != "succeeded" {
			t.Errorf("after Retry: %d rows, the retried one is %q; want it succeeded in its place", len(rows), failed.Attrs["data-state"])
		}
	})
}

// A call that Fabric accepted without naming an operation is a failed row that says so.
func TestStartWithoutAnOperation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		eng := &fakeEngine{created: func(int, ItemRequest) (Snapshot, error) { return Snapshot{}, nil }}
		_, _, root := newPage(t, eng, false)
		root.Role("count").SetValue("1")
		root.Role("create-form").Submit()
		synctest.Wait()
		row := root.Roles("card")[0]
		if got := row.Role("error-code").TextContent(); row.Attrs["data-state"] != "failed" || got != "NoOperation" {
			t.Errorf("row %q with error %q, want a failed row with NoOperation", row.Attrs["data-state"], got)
		}
	})
}

// A job started with a list-form Location keeps the engine's "call-N" id: Fabric answered
// 202 and was checked, so its row never says "answered at once"; it shows the instance id
// once the result (the job instance) gives it, and how many checks were made.
func TestListFormJobRow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		running := Snapshot{ID: "call-8", Kind: kindJob, Label: "Run notebook “Later”", Status: "InProgress", Attempts: 2}
		next := start.Add(time.Second)
		running.NextPollAt = &next
		completed := Snapshot{ID: "call-7", Kind: kindJob, Label: "Run notebook “Sales”", Status: statusCompleted,
			Attempts: 4, Done: true, Result: json.RawMessage(`{"id":"inst-7","jobType":"RunNotebook","status":"Completed"}`)}
		eng := &fakeEngine{existing: []Snapshot{completed, running}}
		_, _, root := newPage(t, eng, false)
		for _, tt := range []struct {
			id, idText, attempts string
		}{
			{id: "call-7", idText: "inst-7", attempts: "4 checks"},
			{id: "call-8", idText: "unknown here: Fabric's answer named the job list, not the run", attempts: "2 checks"},
		} {
			row := open(t, root, tt.id)
			if got := row.Role("id").TextContent(); got != tt.idText {
				t.Errorf("%s: job instance id %q, want %q", tt.id, got, tt.idText)
			}
			if got := row.Role("attempts").TextContent(); got != tt.attempts {
				t.Errorf("%s: checks %q, want %q", tt.id, got, tt.attempts)
			}
		}
	})
}

// A job row names its item; Run is disabled while that item's run goes; Cancel asks once,
// says "Cancelling…", and ends in a neutral Cancelled.
func TestJobNamedAndSafe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		eng := &fakeEngine{existing: []Snapshot{notebook("op-1", "Sales report", StatusSucceeded)}}
		_, _, root := newPage(t, eng, false)
		item := open(t, root, "op-1")
		run := item.Role("run-job")
		if run.Hidden() || run.TextContent() != "Run notebook" {
			t.Fatalf("a created notebook offers %q (hidden %v), want Run notebook", run.TextContent(), run.Hidden())
		}
		if !item.Role("cancel").Hidden() {
			t.Error("an operation offers Cancel")
		}
		run.Click()
		run.Click() // a double click: one run
		synctest.Wait()
		if !slices.Equal(eng.jobs, []string{"ws-1/item-op-1/RunNotebook"}) {
			t.Fatalf("jobs started %q, want one", eng.jobs)
		}
		if _, disabled := run.Attrs["disabled"]; !disabled {
			t.Error("Run is enabled while the notebook's run is going")
		}
		job := cardByID(t, root, "job-1")
		if got := job.Role("label").TextContent(); got != "Run notebook “Sales report”" {
			t.Errorf("job row title %q, want it to name the notebook", got)
		}
		if job.Attrs["data-kind"] != "job" {
			t.Errorf("kind %q", job.Attrs["data-kind"])
		}
		job = open(t, root, "job-1")
		if got := job.Role("id-name").TextContent(); got != "Job instance id" {
			t.Errorf("a job's id is named %q, want Job instance id", got)
		}
		job.Role("cancel").Click()
		if len(eng.cancels) != 0 {
			t.Fatal("Cancel sent a cancel without asking")
		}
		if q := job.Role("confirm"); q.Hidden() || !strings.Contains(q.TextContent(), "Cancel this run in Fabric?") {
			t.Fatalf("Cancel asks %q (hidden %v)", q.TextContent(), q.Hidden())
		}
		job.Role("confirm-no").Click()
		if !job.Role("confirm").Hidden() || len(eng.cancels) != 0 {
			t.Fatal("Keep running did not withdraw the question")
		}
		job.Role("cancel").Click()
		job.Role("confirm-yes").Click()
		synctest.Wait()
		if !slices.Equal(eng.cancels, []string{"job-1"}) {
			t.Errorf("cancels %q", eng.cancels)
		}
		if got := job.Role("status").TextContent(); got != "Cancelling…" || !job.Role("cancel").Hidden() {
			t.Errorf("after confirming: status %q, cancel shown %v; want Cancelling… and no second Cancel", got, !job.Role("cancel").Hidden())
		}
		eng.publish(Snapshot{ID: "job-1", Kind: kindJob, Label: "Run notebook “Sales report”", Status: statusCancelled, Done: true,
			Error: &ErrorInfo{ErrorCode: string(lro.CodeJobCancelled), Message: "the job was cancelled"}})
		if got := job.Role("status").TextContent(); got != "Cancelled" || !job.HasClass("st-cancelled") || job.Attrs["data-state"] != "cancelled" {
			t.Errorf("cancelled job: status %q class %q state %q", got, job.Attrs["class"], job.Attrs["data-state"])
		}
		if !job.Role("error").Hidden() || job.Role("note").Hidden() {
			t.Errorf("the user's own cancel is shown as an error (error shown %v, note shown %v)", !job.Role("error").Hidden(), !job.Role("note").Hidden())
		}
		if _, disabled := run.Attrs["disabled"]; disabled {
			t.Error("Run stays disabled after the run ended")
		}
		job.Role("dismiss").Click()
		if len(root.Roles("card")) != 1 || !slices.Equal(eng.forgets, []string{"job-1"}) {
			t.Errorf("after dismissing a finished job: %d rows, forgets %q", len(root.Roles("card")), eng.forgets)
		}
	})
}

// Dismissing a running operation asks first and says it keeps running in Fabric.
func TestDismissRunningAsks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		running := notebook("op-1", "A", statusRunning)
		eng := &fakeEngine{existing: []Snapshot{running}}
		_, _, root := newPage(t, eng, false)
		row := open(t, root, "op-1")
		row.Role("dismiss").Click()
		if len(eng.forgets) != 0 || len(root.Roles("card")) != 1 {
			t.Fatal("a running operation was dismissed without asking")
		}
		if q := row.Role("question").TextContent(); !strings.Contains(q, "keeps running in Fabric") {
			t.Errorf("question %q: want it to say the operation keeps running in Fabric", q)
		}
		row.Role("confirm-yes").Click()
		if len(root.Roles("card")) != 0 || !slices.Equal(eng.forgets, []string{"op-1"}) {
			t.Errorf("after confirming: %d rows, forgets %q", len(root.Roles("card")), eng.forgets)
		}
	})
}

// The summary counts by state; the filters show rows by state and kind; Clear finished
// dismisses what ended and keeps what runs.
func TestSummaryFiltersAndClearFinished(t *testing.T) {
	failed := notebook("op-f", "F", statusFailed)
	failed.Error = &ErrorInfo{ErrorCode: "OperationFailed", Message: "no"}
	job := Snapshot{ID: "job-1", Kind: kindJob, Label: "Run notebook “A”", Status: statusInProgress}
	existing := []Snapshot{notebook("op-1", "A", StatusSucceeded), notebook("op-2", "B", statusRunning), failed, job}
	tests := []struct {
		state   string
		kind    Kind
		want    []string
		summary string
	}{
		{want: []string{"job-1", "op-f", "op-2", "op-1"}, summary: "2 running · 1 succeeded · 1 failed"},
		{state: stateRunning, want: []string{"job-1", "op-2"}, summary: "2 running · 1 succeeded · 1 failed (showing 2 of 4)"},
		{state: stateFailed, want: []string{"op-f"}, summary: "2 running · 1 succeeded · 1 failed (showing 1 of 4)"},
		{kind: kindJob, want: []string{"job-1"}, summary: "2 running · 1 succeeded · 1 failed (showing 1 of 4)"},
		{state: stateSucceeded, kind: kindJob, summary: "2 running · 1 succeeded · 1 failed (showing 0 of 4)"},
	}
	for _, tt := range tests {
		t.Run(tt.state+"/"+string(tt.kind), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				eng := &fakeEngine{existing: existing}
				_, _, root := newPage(t, eng, false)
				root.Role("filter-state").Type(tt.state)
				root.Role("filter-kind").Type(string(tt.kind))
				var shown []string
				for _, c := range root.Roles("card") {
					if !c.Hidden() {
						shown = append(shown, c.Attrs["data-id"])
					}
				}
				if !slices.Equal(shown, tt.want) {
					t.Errorf("rows shown %q, want %q (newest first)", shown, tt.want)
				}
				if got := root.Role("summary").TextContent(); got != tt.summary {
					t.Errorf("summary %q, want %q", got, tt.summary)
				}
				if got := !root.Role("empty").Hidden(); got != (len(tt.want) == 0) {
					t.Errorf("empty message shown %v with %d rows", got, len(tt.want))
				}
			})
		})
	}
	t.Run("Clear finished", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			eng := &fakeEngine{existing: existing}
			_, _, root := newPage(t, eng, false)
			root.Role("clear-finished").Click()
			if got := ids(root); !slices.Equal(got, []string{"job-1", "op-2"}) {
				t.Errorf("after Clear finished, rows %q; want the running ones", got)
			}
			if !slices.Equal(eng.forgets, []string{"op-1", "op-f"}) {
				t.Errorf("forgotten %q", eng.forgets)
			}
			if _, disabled := root.Role("clear-finished").Attrs["disabled"]; !disabled {
				t.Error("Clear finished is enabled with nothing finished")
			}
		})
	})
}
