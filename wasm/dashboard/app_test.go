package dashboard_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/wasm/dashboard"
	"github.com/fabric-lro/fabric-lro/wasm/dashboard/domfake"
)

var start = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// fakeEngine answers like Fabric would, from scripted data, and records what it was asked.
type fakeEngine struct {
	mu       sync.Mutex
	pages    []dashboard.WorkspacePage // by continuation token "", "p2", "p3"...
	wsErr    error
	creates  []dashboard.ItemRequest
	createWS []string
	created  func(n int, item dashboard.ItemRequest) (dashboard.Snapshot, error)
	tracked  []string
	cancels  []string
	forgets  []string
	jobs     []string
	subs     []func(dashboard.Snapshot)
	existing []dashboard.Snapshot
	retries  int   // RetryAll calls
	storeErr error // what StorageError returns
}

func (f *fakeEngine) CreateItem(_ context.Context, ws string, item dashboard.ItemRequest) (dashboard.Snapshot, error) {
	f.mu.Lock()
	f.creates = append(f.creates, item)
	f.createWS = append(f.createWS, ws)
	n := len(f.creates)
	f.mu.Unlock()
	return f.created(n, item)
}

func (f *fakeEngine) RunJob(_ context.Context, ws, item, jobType string) (dashboard.Snapshot, error) {
	f.jobs = append(f.jobs, ws+"/"+item+"/"+jobType)
	return dashboard.Snapshot{ID: "job-1", Kind: dashboard.KindJob, Label: jobType, Status: dashboard.StatusNotStarted}, nil
}

func (f *fakeEngine) Track(_ context.Context, s string) (dashboard.Snapshot, error) {
	f.tracked = append(f.tracked, s)
	if strings.Contains(s, "unknown") {
		return dashboard.Snapshot{}, &lro.Error{ErrorCode: "EntityNotFound", Message: "No operation with that id.", RequestID: "rq-404"}
	}
	return dashboard.Snapshot{ID: "tracked-1", Kind: dashboard.KindOperation, Status: dashboard.StatusRunning}, nil
}

func (f *fakeEngine) Cancel(_ context.Context, id string) error {
	f.cancels = append(f.cancels, id)
	return nil
}
func (f *fakeEngine) Forget(id string)                 { f.forgets = append(f.forgets, id) }
func (f *fakeEngine) RetryAll() int                    { f.retries++; return 0 }
func (f *fakeEngine) StorageError() error              { return f.storeErr }
func (f *fakeEngine) Operations() []dashboard.Snapshot { return f.existing }

func (f *fakeEngine) Subscribe(fn func(dashboard.Snapshot)) func() {
	f.subs = append(f.subs, fn)
	return func() {}
}

func (f *fakeEngine) publish(s dashboard.Snapshot) {
	for _, fn := range f.subs {
		fn(s)
	}
}

func (f *fakeEngine) Workspaces(_ context.Context, token string) (dashboard.WorkspacePage, error) {
	if f.wsErr != nil {
		return dashboard.WorkspacePage{}, f.wsErr
	}
	i := 0
	if token != "" {
		fmt.Sscanf(token, "p%d", &i)
		i--
	}
	return f.pages[i], nil
}

// newPage mounts a dashboard over eng into a fake page, with actions run inline.
func newPage(t *testing.T, eng *fakeEngine, now *time.Time, settings bool) (*dashboard.App, *domfake.Document, *domfake.Node) {
	t.Helper()
	if eng.pages == nil {
		eng.pages = []dashboard.WorkspacePage{{Workspaces: []dashboard.Workspace{{ID: "ws-1", DisplayName: "My workspace"}}}}
	}
	app := dashboard.NewApp(eng, dashboard.Config{
		Now:      func() time.Time { return *now },
		Go:       func(f func()) { f() },
		Settings: settings,
		APIBase:  "http://proxy/v1",
		Token:    "dev-token",
	})
	doc := &domfake.Document{}
	root := doc.Root()
	app.Mount(doc, root)
	return app, doc, root
}

func notebook(id, name string, status string) dashboard.Snapshot {
	s := dashboard.Snapshot{ID: id, Kind: dashboard.KindOperation, Label: "Create Notebook “" + name + "”", Status: status, CreatedTimeUtc: start.Format(time.RFC3339)}
	s.Done = dashboard.Terminal(status)
	if status == dashboard.StatusSucceeded {
		s.Result = json.RawMessage(fmt.Sprintf(`{"id":"item-%s","type":"Notebook","displayName":%q,"workspaceId":"ws-1"}`, id, name))
	}
	return s
}

func TestTwoNotebooksOneAtOnceOneLater(t *testing.T) {
	now := start
	eng := &fakeEngine{created: func(n int, item dashboard.ItemRequest) (dashboard.Snapshot, error) {
		if n == 1 { // 201: done at once
			return notebook("call-1", item.DisplayName, dashboard.StatusSucceeded), nil
		}
		s := notebook("op-2", item.DisplayName, dashboard.StatusNotStarted) // 202
		next := start.Add(2 * time.Second)
		s.NextPollAt = &next
		return s, nil
	}}
	_, _, root := newPage(t, eng, &now, false)

	if got := root.Role("workspace").Value(); got != "ws-1" {
		t.Fatalf("workspace picker selected %q, want the first workspace ws-1", got)
	}
	root.Role("name").SetValue("Sales")
	root.Role("create-form").Submit()

	if got := []string{eng.creates[0].DisplayName, eng.creates[1].DisplayName}; !slices.Equal(got, []string{"Sales 1", "Sales 2"}) {
		t.Fatalf("created %v, want Sales 1 and Sales 2", got)
	}
	if eng.creates[0].Type != "Notebook" {
		t.Errorf("default item type %q, want Notebook", eng.creates[0].Type)
	}
	cards := root.Roles("card")
	if len(cards) != 2 {
		t.Fatalf("%d cards, want 2", len(cards))
	}
	done, pending := cardByID(t, root, "call-1"), cardByID(t, root, "op-2")
	if got := done.Role("id").TextContent(); got != "none: Fabric answered at once" || !done.Role("copy-id").Hidden() {
		t.Errorf("201 card id %q (copy hidden %v), want no operation id and no copy button", got, done.Role("copy-id").Hidden())
	}
	if got := pending.Role("id").TextContent(); got != "op-2" || pending.Role("copy-id").Hidden() {
		t.Errorf("202 card id %q (copy hidden %v), want the operation id with a copy button", got, pending.Role("copy-id").Hidden())
	}
	if got := done.Role("result-name").TextContent(); got != "Sales 1" {
		t.Errorf("201 card result name %q, want Sales 1", got)
	}
	if done.Role("result").Hidden() || !done.Role("error").Hidden() {
		t.Errorf("201 card should show the result and hide the error box")
	}
	if !done.HasClass("st-ok") || done.Attrs["data-status"] != "Succeeded" {
		t.Errorf("201 card class %q status %q", done.Attrs["class"], done.Attrs["data-status"])
	}
	if got := pending.Role("next-check").TextContent(); got != "next check in 2 s" {
		t.Errorf("202 card next check %q", got)
	}
	if !pending.Role("progress").HasClass("flro-indeterminate") {
		t.Errorf("202 card without percentComplete should have an indeterminate bar")
	}
	if !pending.Role("result").Hidden() || pending.Role("placeholder").Hidden() {
		t.Errorf("202 card should reserve the result space with its placeholder")
	}

	// The operation runs, then succeeds: the same card node is updated in place.
	now = start.Add(2 * time.Second)
	s := notebook("op-2", "Sales 2", dashboard.StatusRunning)
	s.PercentComplete = ptr(50.0)
	next := now.Add(time.Second)
	s.NextPollAt, s.Attempts = &next, 1
	eng.publish(s)
	if got := cardByID(t, root, "op-2"); got != pending {
		t.Fatalf("card re-created on update; want it updated in place")
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
	eng.publish(notebook("op-2", "Sales 2", dashboard.StatusSucceeded))
	if got := pending.Role("result-name").TextContent(); got != "Sales 2" {
		t.Errorf("after success, result name %q", got)
	}
	if got := pending.Role("status").TextContent(); got != "Succeeded" {
		t.Errorf("status words %q", got)
	}
	if got := pending.Role("next-check").TextContent(); got != "" {
		t.Errorf("a finished operation has no next check, got %q", got)
	}
	// In the order they were created: Sales 1, then Sales 2.
	if got := root.Roles("card")[0].Attrs["data-id"]; got != "call-1" {
		t.Errorf("first card %q, want the first created (call-1)", got)
	}
}

func ptr[T any](v T) *T { return &v }

func cardByID(t *testing.T, root *domfake.Node, id string) *domfake.Node {
	t.Helper()
	for _, c := range root.Roles("card") {
		if c.Attrs["data-id"] == id {
			return c
		}
	}
	t.Fatalf("no card for %s; page: %s", id, root.TextContent())
	return nil
}

func TestFailedOperationShowsTheWholeError(t *testing.T) {
	now := start
	eng := &fakeEngine{created: func(n int, item dashboard.ItemRequest) (dashboard.Snapshot, error) {
		return notebook("op-f", item.DisplayName, dashboard.StatusRunning), nil
	}}
	_, doc, root := newPage(t, eng, &now, false)
	root.Role("count").SetValue("1")
	root.Role("name").SetValue("Please fail")
	root.Role("create-form").Submit()
	s := notebook("op-f", "Please fail", dashboard.StatusFailed)
	s.Error = &dashboard.ErrorInfo{ErrorCode: "OperationFailed", Message: "It failed.", RequestID: "rq-9",
		MoreDetails: []lro.ErrorDetail{{ErrorCode: "Inner", Message: "why"}}}
	eng.publish(s)

	card := cardByID(t, root, "op-f")
	for role, want := range map[string]string{
		"error-code": "OperationFailed", "error-message": "It failed.", "error-request-id": "rq-9",
		"error-details": "Inner: why", "status": "Failed",
	} {
		if got := card.Role(role).TextContent(); got != want {
			t.Errorf("%s = %q, want %q", role, got, want)
		}
	}
	if card.Role("error").Hidden() || !card.HasClass("st-failed") {
		t.Errorf("failed card: error hidden=%v class=%q", card.Role("error").Hidden(), card.Attrs["class"])
	}
	card.Role("copy-request-id").Click()
	if doc.Clipboard != "rq-9" {
		t.Errorf("copy request id put %q on the clipboard", doc.Clipboard)
	}
	card.Role("copy-id").Click()
	if doc.Clipboard != "op-f" {
		t.Errorf("copy operation id put %q on the clipboard", doc.Clipboard)
	}
}

func TestFormValidationAndStartErrors(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(root *domfake.Node)
		created func(n int, item dashboard.ItemRequest) (dashboard.Snapshot, error)
		want    []string
		creates int
	}{
		{
			name:  "empty name",
			setup: func(root *domfake.Node) { root.Role("name").SetValue("  ") },
			want:  []string{"Give the item a display name."}, creates: 0,
		},
		{
			name:  "count out of range",
			setup: func(root *domfake.Node) { root.Role("count").SetValue("0") },
			want:  []string{"How many: a number from 1 to 20."}, creates: 0,
		},
		{
			name:  "count not a number",
			setup: func(root *domfake.Node) { root.Role("count").SetValue("two") },
			want:  []string{"How many: a number from 1 to 20."}, creates: 0,
		},
		{
			name: "Fabric refuses the second create",
			setup: func(root *domfake.Node) {
				root.Role("name").SetValue("Dup")
			},
			created: func(n int, item dashboard.ItemRequest) (dashboard.Snapshot, error) {
				if n == 2 {
					return dashboard.Snapshot{}, &lro.Error{ErrorCode: "ItemDisplayNameAlreadyInUse", Message: "Requested 'Dup 2' is already in use", RequestID: "rq-2"}
				}
				return notebook("op-1", item.DisplayName, dashboard.StatusSucceeded), nil
			},
			want:    []string{"Create “Dup 2”: ItemDisplayNameAlreadyInUse: Requested 'Dup 2' is already in use (requestId rq-2)"},
			creates: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := start
			eng := &fakeEngine{created: tt.created}
			if eng.created == nil {
				eng.created = func(int, dashboard.ItemRequest) (dashboard.Snapshot, error) {
					return dashboard.Snapshot{}, errors.New("must not be called")
				}
			}
			app, _, root := newPage(t, eng, &now, false)
			tt.setup(root)
			root.Role("create-form").Submit()
			if got := app.Messages(); !slices.Equal(got, tt.want) {
				t.Errorf("messages %q, want %q", got, tt.want)
			}
			app.Tick()
			var shown []string
			for _, li := range root.Role("messages").Children {
				shown = append(shown, li.TextContent())
			}
			if !slices.Equal(shown, tt.want) {
				t.Errorf("page shows %q, want %q", shown, tt.want)
			}
			if len(eng.creates) != tt.creates {
				t.Errorf("%d create calls, want %d", len(eng.creates), tt.creates)
			}
		})
	}
}

func TestWorkspacePickerPaginates(t *testing.T) {
	now := start
	eng := &fakeEngine{pages: []dashboard.WorkspacePage{
		{Workspaces: []dashboard.Workspace{{ID: "a", DisplayName: "A"}, {ID: "b", DisplayName: "B"}}, ContinuationToken: "p2"},
		{Workspaces: []dashboard.Workspace{{ID: "c", DisplayName: "C"}}},
	}}
	_, _, root := newPage(t, eng, &now, false)
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
	if got := options(); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("after Load more, options %v", got)
	}
	if !more.Hidden() {
		t.Error("Load more still shown on the last page")
	}
	root.Role("workspace").Type("c")
	root.Role("count").SetValue("1")
	eng.created = func(int, dashboard.ItemRequest) (dashboard.Snapshot, error) {
		return notebook("op-1", "x", dashboard.StatusSucceeded), nil
	}
	root.Role("create-form").Submit()
	if !slices.Equal(eng.createWS, []string{"c"}) {
		t.Errorf("created in workspaces %q, want the picked one (c)", eng.createWS)
	}
}

func TestWorkspaceListError(t *testing.T) {
	now := start
	eng := &fakeEngine{wsErr: &lro.Error{ErrorCode: "TokenExpired", Message: "Access token has expired, resubmit with a new access token", RequestID: "rq-w"}}
	_, _, root := newPage(t, eng, &now, false)
	want := "Could not list workspaces: TokenExpired: Access token has expired, resubmit with a new access token (requestId rq-w)"
	if got := root.Role("workspaces-status").TextContent(); got != want {
		t.Errorf("status %q, want %q", got, want)
	}
	root.Role("name").SetValue("x")
	root.Role("create-form").Submit()
	if got := root.Role("messages").TextContent(); got != "Choose a workspace first (load the list with your token)." {
		t.Errorf("messages %q", got)
	}
}

func TestTrackExistingOperation(t *testing.T) {
	now := start
	eng := &fakeEngine{}
	_, _, root := newPage(t, eng, &now, false)
	in := root.Role("track-input")
	in.SetValue("  http://proxy/v1/operations/abc  ")
	root.Role("track-form").Submit()
	if !slices.Equal(eng.tracked, []string{"http://proxy/v1/operations/abc"}) {
		t.Errorf("tracked %q", eng.tracked)
	}
	cardByID(t, root, "tracked-1")
	if in.Value() != "" {
		t.Errorf("track input not cleared: %q", in.Value())
	}
	in.SetValue("http://proxy/v1/operations/unknown")
	root.Role("track-form").Submit()
	if got := root.Role("messages").TextContent(); got != "Track “http://proxy/v1/operations/unknown”: EntityNotFound: No operation with that id. (requestId rq-404)" {
		t.Errorf("messages %q", got)
	}
	in.SetValue("")
	root.Role("track-form").Submit()
	if got := root.Role("messages").TextContent(); got != "Paste an operation id or a Location URL to track." {
		t.Errorf("messages %q", got)
	}
}

func TestJobCardCancelAndRunJob(t *testing.T) {
	now := start
	eng := &fakeEngine{existing: []dashboard.Snapshot{notebook("op-1", "Nb", dashboard.StatusSucceeded)}}
	_, _, root := newPage(t, eng, &now, false)
	item := cardByID(t, root, "op-1")
	run := item.Role("run-job")
	if run.Hidden() {
		t.Fatal("a created notebook offers no Run job button")
	}
	if !item.Role("cancel").Hidden() {
		t.Error("an operation offers Cancel job")
	}
	run.Click()
	if !slices.Equal(eng.jobs, []string{"ws-1/item-op-1/RunNotebook"}) {
		t.Fatalf("jobs started %q", eng.jobs)
	}
	job := cardByID(t, root, "job-1")
	if job.Role("cancel").Hidden() {
		t.Fatal("a running job offers no Cancel")
	}
	if got := job.Role("kind").TextContent(); got != "job" {
		t.Errorf("kind %q", got)
	}
	if got := job.Role("id-name").TextContent(); got != "Job instance id" {
		t.Errorf("a job's id is named %q, want Job instance id", got)
	}
	if got := item.Role("id-name").TextContent(); got != "Operation id" {
		t.Errorf("an operation's id is named %q, want Operation id", got)
	}
	job.Role("cancel").Click()
	if !slices.Equal(eng.cancels, []string{"job-1"}) {
		t.Errorf("cancels %q", eng.cancels)
	}
	eng.publish(dashboard.Snapshot{ID: "job-1", Kind: dashboard.KindJob, Status: dashboard.StatusCancelled,
		Error: &dashboard.ErrorInfo{ErrorCode: lro.CodeJobCancelled, Message: "the job was cancelled"}})
	if !job.Role("copy-request-id").Hidden() || job.Role("error-request-id").TextContent() != "—" {
		t.Errorf("an error without a requestId offers to copy one")
	}
	if !job.Role("cancel").Hidden() || job.Role("status").TextContent() != "Cancelled" {
		t.Errorf("after cancel: cancel hidden=%v status=%q", job.Role("cancel").Hidden(), job.Role("status").TextContent())
	}
	job.Role("dismiss").Click()
	if len(root.Roles("card")) != 1 || !slices.Equal(eng.forgets, []string{"job-1"}) {
		t.Errorf("after dismiss: %d cards, forgets %q", len(root.Roles("card")), eng.forgets)
	}
}

func TestTickUpdatesCountdownAndEmptyState(t *testing.T) {
	now := start
	eng := &fakeEngine{}
	app, _, root := newPage(t, eng, &now, false)
	if root.Role("empty").Hidden() {
		t.Error("empty hint hidden with no operations")
	}
	s := notebook("op-1", "A", dashboard.StatusRunning)
	next := start.Add(5 * time.Second)
	s.NextPollAt = &next
	eng.publish(s)
	if !root.Role("empty").Hidden() {
		t.Error("empty hint shown with an operation")
	}
	card := cardByID(t, root, "op-1")
	for _, step := range []struct {
		after         time.Duration
		next, elapsed string
	}{
		{after: 0, next: "next check in 5 s", elapsed: "elapsed 0s"},
		{after: 1500 * time.Millisecond, next: "next check in 4 s", elapsed: "elapsed 2s"},
		{after: 5 * time.Second, next: "checking now…", elapsed: "elapsed 5s"},
	} {
		now = start.Add(step.after)
		app.Tick()
		if got := card.Role("next-check").TextContent(); got != step.next {
			t.Errorf("at +%v next check %q, want %q", step.after, got, step.next)
		}
		if got := card.Role("elapsed").TextContent(); got != step.elapsed {
			t.Errorf("at +%v elapsed %q, want %q", step.after, got, step.elapsed)
		}
	}
}

func TestSettingsPanel(t *testing.T) {
	now := start
	var applied []string
	eng := &fakeEngine{pages: []dashboard.WorkspacePage{{}}}
	app := dashboard.NewApp(eng, dashboard.Config{
		Now: func() time.Time { return now }, Go: func(f func()) { f() }, Settings: true,
		APIBase: "http://proxy/v1", Token: "dev-token",
		OnSettings: func(apiBase, token string) { applied = append(applied, apiBase, token) },
	})
	doc := &domfake.Document{}
	root := doc.Root()
	app.Mount(doc, root)
	if got := root.Role("api-base").Value(); got != "http://proxy/v1" {
		t.Errorf("api base %q", got)
	}
	if got := root.Role("token").Attrs["type"]; got != "password" {
		t.Errorf("token input type %q, want password", got)
	}
	root.Role("token").SetValue("new-token")
	root.Role("settings").Submit()
	if !slices.Equal(applied, []string{"http://proxy/v1", "new-token"}) {
		t.Errorf("applied %q", applied)
	}

	// Without settings (the JS API's mount) the panel is absent.
	_, _, root2 := newPage(t, &fakeEngine{}, &now, false)
	if root2.Role("settings") != nil {
		t.Error("settings panel shown without Config.Settings")
	}
}

// Elapsed time shows from the moment an operation appears: before Fabric's first answer
// carries createdTimeUtc, and on a call Fabric answered at once (201).
func TestElapsedFromCreation(t *testing.T) {
	tests := []struct {
		name  string
		snap  dashboard.Snapshot
		after time.Duration
		want  string
	}{
		{name: "202 before the first poll", after: 3 * time.Second, want: "elapsed 3s",
			snap: dashboard.Snapshot{ID: "op-1", Kind: dashboard.KindOperation, Label: "Create Notebook “A”"}},
		{name: "201 done at once", after: 3 * time.Second, want: "took 0s",
			snap: dashboard.Snapshot{ID: "call-1", Kind: dashboard.KindOperation, Label: "Create Notebook “B”", Status: dashboard.StatusSucceeded, Done: true,
				Result: json.RawMessage(`{"id":"item-1","type":"Notebook","displayName":"B"}`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := start
			eng := &fakeEngine{}
			app, _, root := newPage(t, eng, &now, false)
			s := tt.snap
			if !s.Done {
				next := start.Add(10 * time.Second)
				s.NextPollAt = &next
			}
			eng.publish(s)
			if got := cardByID(t, root, s.ID).Role("elapsed").TextContent(); got == "" {
				t.Errorf("no elapsed time on a new card")
			}
			now = start.Add(tt.after)
			eng.publish(s) // a later snapshot, still without Fabric's times
			app.Tick()
			if got := cardByID(t, root, s.ID).Role("elapsed").TextContent(); got != tt.want {
				t.Errorf("elapsed %q after %v, want %q", got, tt.after, tt.want)
			}
		})
	}
}

func TestApplyingSettingsRetriesOperationsWaitingForAToken(t *testing.T) {
	now := start
	eng := &fakeEngine{pages: []dashboard.WorkspacePage{{}}}
	var applied []string
	app := dashboard.NewApp(eng, dashboard.Config{
		Now: func() time.Time { return now }, Go: func(f func()) { f() }, Settings: true,
		APIBase: "http://proxy/v1", Token: "old",
		OnSettings: func(apiBase, token string) { applied = append(applied, token) },
	})
	doc := &domfake.Document{}
	root := doc.Root()
	app.Mount(doc, root)
	s := notebook("op-1", "A", dashboard.StatusRunning)
	next := start.Add(20 * time.Second)
	s.NextPollAt = &next
	s.Error = &dashboard.ErrorInfo{ErrorCode: "TokenExpired", Message: "The token has expired."}
	eng.publish(s)
	if got := cardByID(t, root, "op-1").Role("status").TextContent(); got != "Token expired: paste a new token in Settings and Apply" {
		t.Errorf("card status %q", got)
	}
	root.Role("token").SetValue("new")
	root.Role("settings").Submit()
	if eng.retries != 1 || !slices.Equal(applied, []string{"new"}) {
		t.Errorf("after Apply: %d RetryAll calls, applied %q; want the token applied, then one RetryAll", eng.retries, applied)
	}
}

func TestStorageErrorIsShown(t *testing.T) {
	now := start
	eng := &fakeEngine{}
	app, _, root := newPage(t, eng, &now, false)
	if !root.Role("storage-error").Hidden() {
		t.Error("storage error shown while saving works")
	}
	eng.storeErr = errors.New("QuotaExceededError: the quota has been exceeded")
	app.Tick()
	if n := root.Role("storage-error"); n.Hidden() || !strings.Contains(n.TextContent(), "QuotaExceededError") || !strings.Contains(n.TextContent(), "will not resume") {
		t.Errorf("storage error shown %v: %q", !n.Hidden(), n.TextContent())
	}
}

func TestTokenWaitWordsWithoutSettings(t *testing.T) {
	now := start
	eng := &fakeEngine{}
	_, _, root := newPage(t, eng, &now, false)
	s := notebook("op-1", "A", dashboard.StatusRunning)
	next := start.Add(20 * time.Second)
	s.NextPollAt = &next
	s.Error = &dashboard.ErrorInfo{ErrorCode: "TokenExpired", Message: "The token has expired."}
	eng.publish(s)
	if got := cardByID(t, root, "op-1").Role("status").TextContent(); got != "Token expired: waiting for a new token from this page" {
		t.Errorf("embedded card status %q: there is no Settings panel to point at", got)
	}
}

// queue runs the App's actions when the test says, to see the page while calls are in flight.
type queue struct {
	mu    sync.Mutex
	fns   []func()
	added chan struct{}
}

func (q *queue) Go(f func()) {
	q.mu.Lock()
	q.fns = append(q.fns, f)
	q.mu.Unlock()
	if q.added != nil {
		q.added <- struct{}{}
	}
}

// waitFor waits until n actions were queued.
func (q *queue) waitFor(n int) {
	for {
		q.mu.Lock()
		l := len(q.fns)
		q.mu.Unlock()
		if l >= n {
			return
		}
		<-q.added
	}
}

// run runs the i-th queued action.
func (q *queue) run(i int) {
	q.mu.Lock()
	f := q.fns[i]
	q.mu.Unlock()
	f()
}

func TestCardsKeepTheirPlaceAndTheFirstIsShown(t *testing.T) {
	tests := []struct {
		name        string
		typing      bool     // focus is in the display name field when Create is pressed
		finishOrder []int    // which call Fabric answers first
		wantIDs     []string // card ids at the end, top to bottom
	}{
		{name: "answered in order, Create clicked", finishOrder: []int{0, 1}, wantIDs: []string{"call-1", "op-2"}},
		{name: "second answered first, Enter in the name field", typing: true, finishOrder: []int{1, 0}, wantIDs: []string{"call-1", "op-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := start
			eng := &fakeEngine{
				existing: []dashboard.Snapshot{notebook("op-0", "Old", dashboard.StatusSucceeded)},
				pages:    []dashboard.WorkspacePage{{Workspaces: []dashboard.Workspace{{ID: "ws-1"}}}},
				created: func(n int, item dashboard.ItemRequest) (dashboard.Snapshot, error) {
					if item.DisplayName == "Sales 1" {
						return notebook("call-1", item.DisplayName, dashboard.StatusSucceeded), nil
					}
					return notebook("op-2", item.DisplayName, dashboard.StatusRunning), nil
				},
			}
			q := &queue{added: make(chan struct{}, 16)}
			app := dashboard.NewApp(eng, dashboard.Config{Now: func() time.Time { return now }, Go: q.Go})
			doc := &domfake.Document{}
			root := doc.Root()
			app.Mount(doc, root)
			q.run(0) // the workspace list
			old := cardByID(t, root, "op-0")
			if tt.typing {
				root.Role("name").Focus()
			} else {
				root.Role("create").Focus()
			}
			root.Role("name").SetValue("Sales")
			root.Role("create-form").Submit()

			cards := root.Roles("card")
			if len(cards) != 3 || cards[0] != old {
				t.Fatalf("after Create: %d cards, first %v; want the old card first, then 2 placeholders", len(cards), cards[0].Attrs)
			}
			first, second := cards[1], cards[2]
			for i, c := range []*domfake.Node{first, second} {
				if got := c.Role("status").TextContent(); got != "Sending…" {
					t.Errorf("placeholder %d status %q, want Sending…", i+1, got)
				}
			}
			if got := first.Role("label").TextContent(); got != "Create Notebook “Sales 1”" {
				t.Errorf("first placeholder label %q", got)
			}
			if doc.Scrolled != first {
				t.Errorf("scrolled into view: %v, want the first new card", doc.Scrolled)
			}
			if tt.typing && doc.Focused != root.Role("name") {
				t.Errorf("focus moved away from the field being typed in, to %v", doc.Focused.Attrs)
			}
			if !tt.typing && doc.Focused != first {
				t.Errorf("focus on %v, want the first new card", doc.Focused.Attrs)
			}

			created := make(chan struct{})
			go func() { // the Create action: queues one call per item, waits for them
				q.run(1)
				close(created)
			}()
			q.waitFor(4)
			for n, i := range tt.finishOrder {
				q.run(2 + i)
				if n == len(tt.finishOrder)-1 {
					<-created // the action ends (and renders) once every call was answered
				}
				if got := root.Roles("card"); len(got) != 3 || got[0] != old || got[1] != first || got[2] != second {
					t.Fatalf("after call %d was answered, the cards moved or were re-created", i+1)
				}
			}
			var ids []string
			for _, c := range root.Roles("card") {
				ids = append(ids, c.Attrs["data-id"])
			}
			if want := append([]string{"op-0"}, tt.wantIDs...); !slices.Equal(ids, want) {
				t.Errorf("cards %v, want %v", ids, want)
			}
			if got := first.Role("result-name").TextContent(); got != "Sales 1" {
				t.Errorf("first card result %q", got)
			}
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
			now := start
			eng := &fakeEngine{}
			_, _, root := newPage(t, eng, &now, false)
			root.Role("track-input").SetValue(tt.input)
			root.Role("track-form").Submit()
			cards := len(root.Roles("card"))
			msg := root.Role("messages").TextContent()
			if tt.tracked {
				if len(eng.tracked) != 1 || cards != 1 || msg != "" {
					t.Errorf("tracked %q, %d cards, message %q; want it tracked", eng.tracked, cards, msg)
				}
				return
			}
			if len(eng.tracked) != 0 || cards != 0 || !strings.HasPrefix(msg, "Not tracked: “"+tt.input+"” is not an operation id") {
				t.Errorf("tracked %q, %d cards, message %q; want a message and no card", eng.tracked, cards, msg)
			}
			if root.Role("messages").Attrs["role"] != "alert" {
				t.Errorf("messages are not an alert")
			}
		})
	}
}

func TestCardOfAReusedID(t *testing.T) {
	tests := []struct {
		name        string
		existing    dashboard.Snapshot // the card already shown under the id
		wantLabel   string
		wantStatus  string
		wantElapsed string
	}{
		{name: "finished card: replaced by the new operation", existing: notebook("op-1", "Old", dashboard.StatusSucceeded),
			wantLabel: "Create Notebook “New”", wantStatus: "Running", wantElapsed: "elapsed 0s"},
		{name: "running card: kept, no duplicate", existing: notebook("op-1", "Old", dashboard.StatusRunning),
			wantLabel: "Create Notebook “Old”", wantStatus: "Running", wantElapsed: "elapsed 1h 00m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := start.Add(time.Hour)
			eng := &fakeEngine{existing: []dashboard.Snapshot{tt.existing}}
			eng.created = func(int, dashboard.ItemRequest) (dashboard.Snapshot, error) {
				if tt.existing.Done { // the Tracker watches the new call under the old id
					s := notebook("op-1", "New", dashboard.StatusRunning)
					s.CreatedTimeUtc = ""
					eng.publish(s)
					return s, nil
				}
				return tt.existing, nil // the Tracker returns the call it already watches
			}
			_, _, root := newPage(t, eng, &now, false)
			old := cardByID(t, root, "op-1")
			root.Role("name").SetValue("New")
			root.Role("count").SetValue("1")
			root.Role("create-form").Submit()
			cards := root.Roles("card")
			if len(cards) != 1 || cards[0] != old {
				t.Fatalf("%d cards; want the one card for op-1, in place", len(cards))
			}
			got := []string{old.Role("label").TextContent(), old.Attrs["data-status"], old.Role("elapsed").TextContent()}
			if want := []string{tt.wantLabel, tt.wantStatus, tt.wantElapsed}; !slices.Equal(got, want) {
				t.Errorf("card label, status, elapsed %q; want %q", got, want)
			}
		})
	}
}
