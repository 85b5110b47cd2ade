package dashboard

import (
	"context"
	"encoding/json"
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
	return Snapshot{ID: "tracked-1", Kind: KindOperation, Status: statusRunning}, nil
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

func (f *fakeEngine) StorageError() error { return f.storeErr }

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
		s := notebook("op-2", "Sales 2", statusRunning)
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
						return notebook("op-2", item.DisplayName, statusRunning), nil
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
