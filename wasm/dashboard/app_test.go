package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/wasm/dashboard/domfake"
)

// start is when each test's synctest bubble begins: the bubble's fake clock starts at midnight
// UTC, 2000-01-01. The page's actions that call the engine run on their own goroutines, as in
// the browser; a test calls synctest.Wait() for them to be done.
var start = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// advanceTo moves the bubble's fake clock on to t. Time in a bubble passes only once every
// other goroutine of the bubble waits, so what the page started before is done too.
func advanceTo(t time.Time) { time.Sleep(time.Until(t)) }

// fakeEngine answers like Fabric would, from scripted data, and records what it was asked.
type fakeEngine struct {
	mu        sync.Mutex
	pages     []WorkspacePage // by continuation token "", "p2", "p3"...
	wsErr     error
	creates   []ItemRequest
	createWS  []string
	created   func(n int, item ItemRequest) (Snapshot, error)
	tracked   []string
	cancels   []string
	forgets   []string
	jobs      []string
	subs      []func(Snapshot)
	existing  []Snapshot
	retries   int   // RetryAll calls
	storeErr  error // what StorageError returns
	cancelErr error // what Cancel returns
}

func (f *fakeEngine) CreateItem(_ context.Context, ws string, item ItemRequest) (Snapshot, error) {
	f.mu.Lock()
	f.creates = append(f.creates, item)
	f.createWS = append(f.createWS, ws)
	n := len(f.creates)
	f.mu.Unlock()
	return f.created(n, item)
}

func (f *fakeEngine) RunJob(_ context.Context, ws, item, jobType, label string) (Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jobs = append(f.jobs, ws+"/"+item+"/"+jobType)
	next := start.Add(time.Minute)
	return Snapshot{ID: fmt.Sprintf("job-%d", len(f.jobs)), Kind: kindJob, Label: label, Status: statusNotStarted, NextPollAt: &next}, nil
}

func (f *fakeEngine) Track(_ context.Context, s string) (Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tracked = append(f.tracked, s)
	if strings.Contains(s, "unknown") {
		return Snapshot{}, &lro.Error{ErrorCode: "EntityNotFound", Message: "No operation with that id.", RequestID: "rq-404"}
	}
	return Snapshot{ID: "tracked-1", Kind: KindOperation, Status: StatusRunning}, nil
}

func (f *fakeEngine) Cancel(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancels = append(f.cancels, id)
	return f.cancelErr
}

func (f *fakeEngine) Forget(ids ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.forgets = append(f.forgets, ids...)
}

func (f *fakeEngine) RetryAll() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.retries++
	return 0
}

func (f *fakeEngine) StorageError() error    { return f.storeErr }
func (f *fakeEngine) Operations() []Snapshot { return f.existing }

func (f *fakeEngine) Subscribe(fn func(Snapshot)) func() {
	f.subs = append(f.subs, fn)
	return func() {}
}

func (f *fakeEngine) publish(s Snapshot) {
	for _, fn := range f.subs {
		fn(s)
	}
}

func (f *fakeEngine) Workspaces(_ context.Context, token string) (WorkspacePage, error) {
	if f.wsErr != nil {
		return WorkspacePage{}, f.wsErr
	}
	i := 0
	if token != "" {
		fmt.Sscanf(token, "p%d", &i)
		i--
	}
	return f.pages[i], nil
}

// newPage mounts a dashboard over eng into a fake page, once its workspace list is loaded; it
// runs in a synctest bubble.
func newPage(t *testing.T, eng *fakeEngine, settings bool) (*App, *domfake.Document, *domfake.Node) {
	t.Helper()
	if eng.pages == nil {
		eng.pages = []WorkspacePage{{Workspaces: []Workspace{{ID: "ws-1", DisplayName: "My workspace"}}}}
	}
	app := NewApp(eng, Config{
		Settings:   settings,
		APIBase:    "http://proxy/v1",
		Token:      "dev-token",
		FormatTime: func(t time.Time) string { return t.UTC().Format("15:04:05") },
	})
	doc := &domfake.Document{}
	root := doc.Root()
	app.Mount(doc, root)
	synctest.Wait()
	return app, doc, root
}

func notebook(id, name string, status string) Snapshot {
	s := Snapshot{ID: id, Kind: KindOperation, Label: "Create Notebook “" + name + "”", Status: status, CreatedTimeUtc: start.Format(time.RFC3339)}
	s.Done = terminal(status)
	if status == StatusSucceeded {
		s.Result = json.RawMessage(fmt.Sprintf(`{"id":"item-%s","type":"Notebook","displayName":%q,"workspaceId":"ws-1"}`, id, name))
	}
	return s
}

// open opens a row's details (the user clicks the row) and returns the row.
func open(t *testing.T, root *domfake.Node, id string) *domfake.Node {
	t.Helper()
	row := cardByID(t, root, id)
	if row.Role("toggle").Attrs["aria-expanded"] != "true" {
		row.Role("toggle").Click()
	}
	if d := row.Role("details"); d == nil || d.Hidden() {
		t.Fatalf("row %s did not open its details", id)
	}
	return row
}

// ids lists the rows' ids, top to bottom.
func ids(root *domfake.Node) []string {
	var out []string
	for _, c := range root.Roles("card") {
		out = append(out, c.Attrs["data-id"])
	}
	return out
}

func TestTwoNotebooksOneAtOnceOneLater(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		eng := &fakeEngine{created: func(_ int, item ItemRequest) (Snapshot, error) {
			if item.DisplayName == "Sales 1" { // 201: done at once
				return notebook("call-1", item.DisplayName, StatusSucceeded), nil
			}
			s := notebook("op-2", item.DisplayName, statusNotStarted) // 202
			next := start.Add(2 * time.Second)
			s.NextPollAt = &next
			return s, nil
		}}
		_, _, root := newPage(t, eng, false)

		if got := root.Role("workspace").Value(); got != "ws-1" {
			t.Fatalf("workspace picker selected %q, want the first workspace ws-1", got)
		}
		root.Role("name").SetValue("Sales")
		root.Role("create-form").Submit()
		synctest.Wait()

		// The two calls go out at once, each on its own goroutine: in no set order.
		if got := slices.Sorted(slices.Values([]string{eng.creates[0].DisplayName, eng.creates[1].DisplayName})); !slices.Equal(got, []string{"Sales 1", "Sales 2"}) {
			t.Fatalf("created %v, want Sales 1 and Sales 2", got)
		}
		if eng.creates[0].Type != "Notebook" {
			t.Errorf("default item type %q, want Notebook", eng.creates[0].Type)
		}
		if got := ids(root); !slices.Equal(got, []string{"call-1", "op-2"}) {
			t.Fatalf("rows %q, want the batch in its order (Sales 1 on top)", got)
		}
		done, pending := open(t, root, "call-1"), open(t, root, "op-2")
		if got := done.Role("id").TextContent(); got != "none: Fabric answered at once" || !done.Role("copy-id").Hidden() {
			t.Errorf("201 row id %q (copy hidden %v), want no operation id and no copy button", got, done.Role("copy-id").Hidden())
		}
		if got := pending.Role("id").TextContent(); got != "op-2" || pending.Role("copy-id").Hidden() {
			t.Errorf("202 row id %q (copy hidden %v), want the operation id with a copy button", got, pending.Role("copy-id").Hidden())
		}
		if got := done.Role("result-name").TextContent(); got != "Sales 1" {
			t.Errorf("201 row result name %q, want Sales 1", got)
		}
		if done.Role("result").Hidden() || !done.Role("error").Hidden() {
			t.Errorf("201 row should show the result and hide the error box")
		}
		if !done.HasClass("st-ok") || done.Attrs["data-status"] != "Succeeded" || done.Attrs["data-state"] != "succeeded" {
			t.Errorf("201 row class %q status %q state %q", done.Attrs["class"], done.Attrs["data-status"], done.Attrs["data-state"])
		}
		if got := pending.Role("next-check").TextContent(); got != "next check in 2 s" {
			t.Errorf("202 row next check %q", got)
		}
		if !pending.Role("progress").HasClass("flro-indeterminate") {
			t.Errorf("202 row without percentComplete should have an indeterminate bar")
		}
		if got := root.Role("summary").TextContent(); got != "1 running · 1 succeeded · 0 failed" {
			t.Errorf("summary %q", got)
		}

		// The operation runs, then succeeds: the same row node is updated in place.
		advanceTo(start.Add(2 * time.Second))
		s := notebook("op-2", "Sales 2", StatusRunning)
		s.PercentComplete = ptr(50.0)
		next := time.Now().Add(time.Second)
		s.NextPollAt, s.Attempts = &next, 1
		eng.publish(s)
		if got := cardByID(t, root, "op-2"); got != pending {
			t.Fatalf("row re-created on update; want it updated in place")
		}
		if got := pending.Role("progress-text").TextContent(); got != "50%" {
			t.Errorf("progress text %q, want 50%%", got)
		}
		if got := pending.Role("progress").Attrs["class"]; got != "flro-bar" {
			t.Errorf("progress class %q, want a determinate bar", got)
		}
		if got := pending.Role("elapsed").TextContent(); got != "elapsed 2s" {
			t.Errorf("elapsed %q", got)
		}
		eng.publish(notebook("op-2", "Sales 2", StatusSucceeded))
		if got := pending.Role("result-name").TextContent(); got != "Sales 2" {
			t.Errorf("after success, result name %q", got)
		}
		if got := pending.Role("status").TextContent(); got != "Succeeded" {
			t.Errorf("status words %q", got)
		}
		if got := pending.Role("next-check").TextContent(); got != "" {
			t.Errorf("a finished operation has no next check, got %q", got)
		}
		if got := root.Role("summary").TextContent(); got != "0 running · 2 succeeded · 0 failed" {
			t.Errorf("summary %q", got)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func cardByID(t *testing.T, root *domfake.Node, id string) *domfake.Node {
	t.Helper()
	for _, c := range root.Roles("card") {
		if c.Attrs["data-id"] == id {
			return c
		}
	}
	t.Fatalf("no row for %s; page: %s", id, root.TextContent())
	return nil
}

func TestFailedOperationShowsTheWholeError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		eng := &fakeEngine{created: func(n int, item ItemRequest) (Snapshot, error) {
			return notebook("op-f", item.DisplayName, StatusRunning), nil
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

// Invalid input gets its message next to its field, keeps what was typed, and sends nothing;
// fixing it clears the message.
func TestFormValidation(t *testing.T) {
	tests := []struct {
		name  string
		setup func(root *domfake.Node)
		field string
		want  string
	}{
		{name: "empty name", setup: func(root *domfake.Node) { root.Role("name").SetValue("  ") },
			field: "name", want: "Give the item a display name."},
		{name: "name too long", setup: func(root *domfake.Node) { root.Role("name").SetValue(strings.Repeat("n", 124)) },
			field: "name", want: "A display name has at most 123 characters."},
		{name: "count out of range", setup: func(root *domfake.Node) { root.Role("count").SetValue("0") },
			field: "count", want: "A number from 1 to 20."},
		{name: "count not a number", setup: func(root *domfake.Node) { root.Role("count").SetValue("two") },
			field: "count", want: "A number from 1 to 20."},
		{name: "a type Create Item does not take", setup: func(root *domfake.Node) { root.Role("type").SetValue("Dashboard") },
			field: "type", want: "Choose an item type from the list."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				eng := &fakeEngine{created: func(int, ItemRequest) (Snapshot, error) {
					return notebook("op-1", "x", StatusSucceeded), nil
				}}
				_, _, root := newPage(t, eng, false)
				root.Role("name").SetValue("My notebook")
				tt.setup(root)
				typed := root.Role("name").Value()
				root.Role("create-form").Submit()
				synctest.Wait()
				msg := root.Role("error-" + tt.field)
				if msg.Hidden() || msg.TextContent() != tt.want {
					t.Errorf("message next to %s: %q (hidden %v), want %q", tt.field, msg.TextContent(), msg.Hidden(), tt.want)
				}
				if got := root.Role(tt.field).Attrs["aria-invalid"]; got != "true" {
					t.Errorf("the %s field is not marked invalid", tt.field)
				}
				if got := root.Role("name").Value(); got != typed {
					t.Errorf("the display name became %q; want what was typed (%q) kept", got, typed)
				}
				if len(eng.creates) != 0 || len(root.Roles("card")) != 0 {
					t.Errorf("%d creates, %d rows: want nothing sent", len(eng.creates), len(root.Roles("card")))
				}
				// Fixed: the message goes, and the create is sent.
				root.Role("name").SetValue("My notebook")
				root.Role("count").SetValue("1")
				root.Role("type").SetValue("Notebook")
				root.Role("create-form").Submit()
				synctest.Wait()
				if !msg.Hidden() || root.Role(tt.field).Attrs["aria-invalid"] != "" {
					t.Errorf("after fixing it, the message still shows: %q", msg.TextContent())
				}
				if len(eng.creates) != 1 {
					t.Errorf("%d creates after fixing the input, want 1", len(eng.creates))
				}
			})
		})
	}
}

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

func TestWorkspacePickerPaginates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		eng := &fakeEngine{pages: []WorkspacePage{
			{Workspaces: []Workspace{{ID: "a", DisplayName: "A"}, {ID: "b", DisplayName: "B"}}, ContinuationToken: "p2"},
			{Workspaces: []Workspace{{ID: "c", DisplayName: "C"}}},
		}}
		_, _, root := newPage(t, eng, false)
		options := func() (out []string) {
			for _, o := range root.Role("workspace").Children {
				out = append(out, o.Attrs["value"])
			}
			return out
		}
		if got := options(); !slices.Equal(got, []string{"a", "b"}) {
			t.Fatalf("first page options %v", got)
		}
		more := root.Role("workspaces-more")
		if more.Hidden() {
			t.Fatal("Load more hidden while a continuation token exists")
		}
		if got := root.Role("workspaces-status").TextContent(); got != "2 workspaces (more available)" {
			t.Errorf("status %q", got)
		}
		more.Click()
		synctest.Wait()
		if got := options(); !slices.Equal(got, []string{"a", "b", "c"}) {
			t.Fatalf("after Load more, options %v", got)
		}
		if !more.Hidden() {
			t.Error("Load more still shown on the last page")
		}
		root.Role("workspace").Type("c")
		root.Role("count").SetValue("1")
		eng.created = func(int, ItemRequest) (Snapshot, error) {
			return notebook("op-1", "x", StatusSucceeded), nil
		}
		root.Role("create-form").Submit()
		synctest.Wait()
		if !slices.Equal(eng.createWS, []string{"c"}) {
			t.Errorf("created in workspaces %q, want the picked one (c)", eng.createWS)
		}
	})
}

// A workspace list that failed says why next to the picker, and the message clears once
// the list loads.
func TestWorkspaceListError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		eng := &fakeEngine{wsErr: &lro.Error{ErrorCode: "TokenExpired", Message: "Access token has expired, resubmit with a new access token", RequestID: "rq-w"}}
		_, _, root := newPage(t, eng, false)
		want := "Could not list workspaces: TokenExpired: Access token has expired, resubmit with a new access token (requestId rq-w)"
		if got := root.Role("workspaces-status").TextContent(); got != want {
			t.Errorf("status %q, want %q", got, want)
		}
		root.Role("name").SetValue("x")
		root.Role("create-form").Submit()
		synctest.Wait()
		if got := root.Role("error-workspace").TextContent(); got != "Choose a workspace first (the list loads once a token is set)." {
			t.Errorf("workspace message %q", got)
		}
		eng.wsErr = nil
		root.Role("workspaces-reload").Click()
		synctest.Wait()
		if got := root.Role("workspaces-status").TextContent(); got != "1 workspaces" || !root.Role("error-workspace").Hidden() {
			t.Errorf("after a good reload: status %q, workspace message shown %v; want both cleared", got, !root.Role("error-workspace").Hidden())
		}
	})
}

func TestTrackExistingOperation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		eng := &fakeEngine{}
		_, _, root := newPage(t, eng, false)
		in := root.Role("track-input")
		in.SetValue("  http://proxy/v1/operations/abc  ")
		root.Role("track-form").Submit()
		synctest.Wait()
		if !slices.Equal(eng.tracked, []string{"http://proxy/v1/operations/abc"}) {
			t.Errorf("tracked %q", eng.tracked)
		}
		cardByID(t, root, "tracked-1")
		if in.Value() != "" {
			t.Errorf("track input not cleared after it was accepted: %q", in.Value())
		}
		in.SetValue("http://proxy/v1/operations/unknown")
		root.Role("track-form").Submit()
		synctest.Wait()
		row := root.Roles("card")[0]
		if row.Attrs["data-state"] != "failed" || row.Role("error-code").TextContent() != "EntityNotFound" || row.Role("retry").Hidden() {
			t.Errorf("an unknown operation: row state %q, error %q; want a failed row with Retry", row.Attrs["data-state"], row.Role("error-code").TextContent())
		}
		in.SetValue("")
		root.Role("track-form").Submit()
		synctest.Wait()
		if got := root.Role("error-track").TextContent(); got != "Paste an operation id or a Location URL to track." {
			t.Errorf("track message %q", got)
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
		running := notebook("op-1", "A", StatusRunning)
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
	existing := []Snapshot{notebook("op-1", "A", StatusSucceeded), notebook("op-2", "B", StatusRunning), failed, job}
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

func TestTickUpdatesCountdownAndEmptyState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		eng := &fakeEngine{}
		app, _, root := newPage(t, eng, false)
		if root.Role("empty").Hidden() {
			t.Error("empty hint hidden with no operations")
		}
		s := notebook("op-1", "A", StatusRunning)
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

// Settings are open while there is no token, and folded away once one is applied.
func TestSettingsPanel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var applied []string
		token := ""
		eng := &fakeEngine{pages: []WorkspacePage{{}}}
		app := NewApp(eng, Config{
			Settings: true,
			APIBase:  "http://proxy/v1", HasToken: func() bool { return token != "" },
			OnSettings: func(apiBase, tok string) { applied = append(applied, apiBase, tok); token = tok },
		})
		doc := &domfake.Document{}
		root := doc.Root()
		app.Mount(doc, root)
		synctest.Wait()
		details := root.Role("settings").Parent
		if _, open := details.Attrs["open"]; !open || details.Tag != "details" {
			t.Errorf("settings without a token: <%s> open=%v, want an open <details>", details.Tag, open)
		}
		if got := root.Role("workspaces-status").TextContent(); !strings.Contains(got, "NoToken") {
			t.Errorf("workspace status without a token %q", got)
		}
		if got := root.Role("api-base").Value(); got != "http://proxy/v1" {
			t.Errorf("api base %q", got)
		}
		if got := root.Role("token").Attrs["type"]; got != "password" {
			t.Errorf("token input type %q, want password", got)
		}
		root.Role("token").SetValue("new-token")
		root.Role("settings").Submit()
		synctest.Wait()
		if !slices.Equal(applied, []string{"http://proxy/v1", "new-token"}) {
			t.Errorf("applied %q", applied)
		}
		if _, open := details.Attrs["open"]; open {
			t.Error("settings still open after a token was applied: want them folded away")
		}
		if got := root.Role("settings-state").TextContent(); got != "API http://proxy/v1 · token set" {
			t.Errorf("folded settings say %q", got)
		}
		if got := root.Role("workspaces-status").TextContent(); strings.Contains(got, "NoToken") {
			t.Errorf("the NoToken message stays after a token was applied: %q", got)
		}

		// Without settings (the JS API's mount) the panel is absent.
		_, _, root2 := newPage(t, &fakeEngine{}, false)
		if root2.Role("settings") != nil {
			t.Error("settings panel shown without Config.Settings")
		}
	})
}

// A portal mounts only the forms it wants: the list alone, fed from its own buttons.
func TestFormsOption(t *testing.T) {
	tests := []struct {
		forms []string
		want  map[string]bool
	}{
		{forms: nil, want: map[string]bool{"create-form": true, "track-form": true}},
		{forms: []string{}, want: map[string]bool{"create-form": false, "track-form": false}},
		{forms: []string{formTrack}, want: map[string]bool{"create-form": false, "track-form": true}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.forms), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				eng := &fakeEngine{pages: []WorkspacePage{{}}, existing: []Snapshot{notebook("op-1", "A", StatusSucceeded)}}
				app := NewApp(eng, Config{Forms: tt.forms})
				doc := &domfake.Document{}
				root := doc.Root()
				app.Mount(doc, root)
				synctest.Wait()
				for role, want := range tt.want {
					if got := root.Role(role) != nil; got != want {
						t.Errorf("%s shown %v, want %v", role, got, want)
					}
				}
				if len(root.Roles("card")) != 1 || root.Role("summary") == nil {
					t.Error("the list is not shown")
				}
			})
		})
	}
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

func TestItemTypesGroupedAsThePortal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, _, root := newPage(t, &fakeEngine{}, false)
		sel := root.Role("type")
		var groups []string
		seen := map[string]bool{}
		for _, g := range sel.Children {
			if g.Tag != "optgroup" {
				t.Fatalf("item types not grouped: <%s>", g.Tag)
			}
			groups = append(groups, g.Attrs["label"])
			for _, o := range g.Children {
				seen[o.Attrs["value"]] = true
			}
		}
		if groups[0] != "Data Engineering" || len(groups) < 5 {
			t.Errorf("groups %q", groups)
		}
		for _, typ := range []string{"Dashboard", "SQLEndpoint", "PaginatedReport", "Datamart", "MirroredWarehouse"} {
			if seen[typ] {
				t.Errorf("the form offers %s, which Create Item does not take", typ)
			}
		}
		if sel.Value() != "Notebook" || !seen["DataPipeline"] {
			t.Errorf("selected %q, pipelines offered %v", sel.Value(), seen["DataPipeline"])
		}
		for typ, want := range map[string]string{"DataPipeline": "Pipeline", "Reflex": "Activator", "KQLDashboard": "Real-Time Dashboard", "SemanticModel": "Semantic model", "FooBar": "Foo bar"} {
			if got := typeName(typ); got != want {
				t.Errorf("TypeName(%s) = %q, want %q", typ, got, want)
			}
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

func TestApplyingSettingsRetriesOperationsWaitingForAToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		eng := &fakeEngine{pages: []WorkspacePage{{}}}
		var applied []string
		app := NewApp(eng, Config{
			Settings: true,
			APIBase:  "http://proxy/v1", Token: "old",
			OnSettings: func(apiBase, token string) { applied = append(applied, token) },
		})
		doc := &domfake.Document{}
		root := doc.Root()
		app.Mount(doc, root)
		synctest.Wait()
		s := notebook("op-1", "A", StatusRunning)
		next := start.Add(20 * time.Second)
		s.NextPollAt = &next
		s.Error = &ErrorInfo{ErrorCode: "TokenExpired", Message: "The token has expired."}
		eng.publish(s)
		if got := cardByID(t, root, "op-1").Role("status").TextContent(); got != "Token expired: paste a new token in Settings and Apply · next check in 20 s" {
			t.Errorf("row status %q", got)
		}
		root.Role("token").SetValue("new")
		root.Role("settings").Submit()
		synctest.Wait()
		if eng.retries != 1 || !slices.Equal(applied, []string{"new"}) {
			t.Errorf("after Apply: %d RetryAll calls, applied %q; want the token applied, then one RetryAll", eng.retries, applied)
		}
	})
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
			s := notebook("op-"+tc.code, "A", StatusRunning)
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
		s := notebook("op-1", "A", StatusRunning)
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
				s := notebook("op-1", "A", StatusRunning)
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

// New rows go on top (newest first), a batch in its own order; answers fill the same rows;
// the first new row is scrolled into view and focused unless the user is typing.
func TestRowsNewestFirstAndTheFirstIsShown(t *testing.T) {
	tests := []struct {
		name        string
		typing      bool  // focus is in the display name field when Create is pressed
		finishOrder []int // which call Fabric answers first
	}{
		{name: "answered in order, Create clicked", finishOrder: []int{0, 1}},
		{name: "second answered first, Enter in the name field", typing: true, finishOrder: []int{1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				// Fabric answers each call when the test opens its gate, to see the page while
				// calls are in flight.
				names := []string{"Sales 1", "Sales 2"}
				gates := map[string]chan struct{}{names[0]: make(chan struct{}), names[1]: make(chan struct{})}
				eng := &fakeEngine{
					existing: []Snapshot{notebook("op-0", "Old", StatusSucceeded)},
					pages:    []WorkspacePage{{Workspaces: []Workspace{{ID: "ws-1"}}}},
					created: func(n int, item ItemRequest) (Snapshot, error) {
						<-gates[item.DisplayName]
						if item.DisplayName == "Sales 1" {
							return notebook("call-1", item.DisplayName, StatusSucceeded), nil
						}
						return notebook("op-2", item.DisplayName, StatusRunning), nil
					},
				}
				app := NewApp(eng, Config{})
				doc := &domfake.Document{}
				root := doc.Root()
				app.Mount(doc, root)
				synctest.Wait() // the workspace list
				old := cardByID(t, root, "op-0")
				if tt.typing {
					root.Role("name").Focus()
				} else {
					root.Role("create").Focus()
				}
				root.Role("name").SetValue("Sales")
				root.Role("create-form").Submit()
				synctest.Wait() // both calls wait for Fabric's answer

				cards := root.Roles("card")
				if len(cards) != 3 || cards[2] != old {
					t.Fatalf("after Create: %d rows, last %v; want 2 placeholders on top of the old row", len(cards), cards[2].Attrs)
				}
				first, second := cards[0], cards[1]
				for i, c := range []*domfake.Node{first, second} {
					if got := c.Role("status").TextContent(); got != "Sending…" {
						t.Errorf("placeholder %d status %q, want Sending…", i+1, got)
					}
				}
				if got := first.Role("label").TextContent(); got != "Create Notebook “Sales 1”" {
					t.Errorf("first placeholder label %q", got)
				}
				if doc.Scrolled != first {
					t.Errorf("scrolled into view: %v, want the first new row", doc.Scrolled)
				}
				if tt.typing && doc.Focused != root.Role("name") {
					t.Errorf("focus moved away from the field being typed in, to %v", doc.Focused.Attrs)
				}
				if !tt.typing && doc.Focused != first.Role("toggle") {
					t.Errorf("focus on %v, want the first new row", doc.Focused.Attrs)
				}
				for _, i := range tt.finishOrder {
					close(gates[names[i]])
					synctest.Wait()
					if got := root.Roles("card"); len(got) != 3 || got[0] != first || got[1] != second || got[2] != old {
						t.Fatalf("after call %d was answered, the rows moved or were re-created", i+1)
					}
				}
				if got, want := ids(root), []string{"call-1", "op-2", "op-0"}; !slices.Equal(got, want) {
					t.Errorf("rows %v, want %v", got, want)
				}
				if got := open(t, root, "call-1").Role("result-name").TextContent(); got != "Sales 1" {
					t.Errorf("first row result %q", got)
				}
			})
		})
	}
}

func TestTrackAcceptsOnlyAnOperation(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		tracked bool
	}{
		{name: "operation id", input: "3c060079-0d2f-474f-8341-0342561b6c4e", tracked: true},
		{name: "Location URL", input: "https://api.fabric.microsoft.com/v1/operations/3c060079-0d2f-474f-8341-0342561b6c4e", tracked: true},
		{name: "resume token", input: `{"v":"1","kind":"operation"}`, tracked: true},
		{name: "a word", input: "not-an-operation"},
		{name: "a path", input: "/v1/operations/x"},
		{name: "another scheme", input: "ftp://example.com/op"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				eng := &fakeEngine{}
				_, _, root := newPage(t, eng, false)
				root.Role("track-input").SetValue(tt.input)
				root.Role("track-form").Submit()
				synctest.Wait()
				cards := len(root.Roles("card"))
				msg := root.Role("error-track")
				if tt.tracked {
					if len(eng.tracked) != 1 || cards != 1 || !msg.Hidden() {
						t.Errorf("tracked %q, %d rows, message %q; want it tracked", eng.tracked, cards, msg.TextContent())
					}
					return
				}
				if len(eng.tracked) != 0 || cards != 0 || msg.Hidden() || !strings.HasPrefix(msg.TextContent(), "Not tracked: “"+tt.input+"” is not an operation id") {
					t.Errorf("tracked %q, %d rows, message %q; want a message and no row", eng.tracked, cards, msg.TextContent())
				}
				if got := root.Role("track-input").Value(); got != tt.input {
					t.Errorf("the rejected input became %q; want it kept", got)
				}
			})
		})
	}
}

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
		{name: "running row: kept, no duplicate", existing: notebook("op-1", "Old", StatusRunning),
			wantLabel: "Create Notebook “Old”", wantStatus: "Running", wantElapsed: "elapsed 1h 00m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				advanceTo(start.Add(time.Hour))
				eng := &fakeEngine{existing: []Snapshot{tt.existing}}
				eng.created = func(int, ItemRequest) (Snapshot, error) {
					if tt.existing.Done { // the Tracker watches the new call under the old id
						s := notebook("op-1", "New", StatusRunning)
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

// Test connection probes what is typed in Settings and says what answers; a create that got
// no answer names the likely cause, and does not claim it may have taken effect when it
// could not have reached Fabric: whether lro's message states the facts alone or still
// carries the advice it used to.
func TestConnectionCauses(t *testing.T) {
	for _, message := range []string{
		"could not reach 127.0.0.1:8787",
		"could not reach 127.0.0.1:8787; check the network and any proxy (the POST was not retried: the create or job may have taken effect; check the workspace before trying again)",
	} {
		t.Run(message, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var probed []string
				probe := Probe{PageOrigin: "http://127.0.0.1:8080", Listening: true}
				eng := &fakeEngine{pages: []WorkspacePage{{Workspaces: []Workspace{{ID: "ws-1"}}}}, created: func(int, ItemRequest) (Snapshot, error) {
					return Snapshot{}, &lro.Error{ErrorCode: "NetworkError", Message: message}
				}}
				app := NewApp(eng, Config{
					Settings: true,
					APIBase:  "http://127.0.0.1:8787/v1", Token: "tok",
					Probe: func(_ context.Context, apiBase, token string) Probe {
						probed = append(probed, apiBase+" "+token)
						p := probe
						p.APIBase = apiBase
						if apiBase == "" {
							p.APIBase = "http://127.0.0.1:8787/v1"
						}
						return p
					},
				})
				doc := &domfake.Document{}
				root := doc.Root()
				app.Mount(doc, root)
				synctest.Wait()
				root.Role("api-base").SetValue("http://127.0.0.1:8787")
				root.Role("test-connection").Click()
				synctest.Wait()
				conn := root.Role("connection")
				if conn.Attrs["data-cause"] != causeNotProxyPath || !strings.Contains(conn.TextContent(), "ending in /v1") {
					t.Errorf("Test connection without /v1 says %q (%s)", conn.TextContent(), conn.Attrs["data-cause"])
				}
				if !slices.Equal(probed, []string{"http://127.0.0.1:8787 tok"}) {
					t.Errorf("probed %q, want what is typed in Settings", probed)
				}

				root.Role("name").SetValue("Blocked")
				root.Role("count").SetValue("1")
				root.Role("create-form").Submit()
				synctest.Wait()
				row := root.Roles("card")[0]
				msg := row.Role("error-message").TextContent()
				if !strings.Contains(msg, "ALLOWED_ORIGINS") || strings.Contains(msg, "may have taken effect") || !strings.Contains(msg, "nothing was created") {
					t.Errorf("a create the origin check stopped says %q", msg)
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
		{name: "no answer to a create", err: &lro.Error{ErrorCode: string(lro.CodeNetworkError), Message: "could not reach 127.0.0.1:8787"},
			says: []string{"could not reach 127.0.0.1:8787.", "Check the network and any proxy.", "may have taken effect: check the workspace before trying again."}},
		{name: "a 5xx to a create", err: &lro.Error{StatusCode: 500, ErrorCode: "InternalServerError", Message: "Something went wrong."},
			says: []string{"Something went wrong. It was not sent again", "check the workspace before trying again."}},
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
