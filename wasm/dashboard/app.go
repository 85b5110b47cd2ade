package dashboard

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config sets up an [App].
type Config struct {
	// Now is the clock (default time.Now). Tests inject a fake clock.
	Now func() time.Time
	// Go runs an action that calls Fabric (default: in a new goroutine, which the browser
	// needs because event handlers must not block). Tests run actions inline.
	Go func(func())
	// Settings shows the settings panel (API base and token). The JS API's mount leaves it
	// off: the embedding page supplies the token.
	Settings bool
	// APIBase is shown in the settings panel.
	APIBase string
	// Token is the bearer token prefilled in the settings panel.
	Token string
	// OnSettings is called when the user applies new settings.
	OnSettings func(apiBase, token string)
	// HasToken reports whether a token is available (default: always). The workspace list
	// waits for one.
	HasToken func() bool
}

// App is the dashboard: its state, the actions a user takes, and its rendering into a page
// through [DOM]. Its methods are safe for concurrent use.
type App struct {
	eng Engine
	cfg Config

	mu          sync.Mutex
	workspaces  []Workspace
	wsNext      string // continuation token of the next workspace page
	wsLoaded    bool
	wsLoading   bool
	wsErr       *ErrorInfo
	selected    string // workspace id
	formErrs    []string
	busy        int // actions in flight
	ops         map[string]Snapshot
	order       []string // operation ids, newest first
	nameCounter int

	view  *view
	unsub func()
}

// NewApp makes a dashboard over eng. Operations eng already watches are shown at once.
func NewApp(eng Engine, cfg Config) *App {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Go == nil {
		cfg.Go = func(f func()) { go f() }
	}
	if cfg.HasToken == nil {
		cfg.HasToken = func() bool { return true }
	}
	a := &App{eng: eng, cfg: cfg, ops: map[string]Snapshot{}}
	for _, s := range eng.Operations() {
		a.put(s)
	}
	a.unsub = eng.Subscribe(a.onSnapshot)
	return a
}

// Close stops following the engine.
func (a *App) Close() { a.unsub() }

// put records s, newest first; it reports whether s is a new operation.
//
// Fabric's createdTimeUtc only arrives with the first poll, and never for a call answered at
// once (201): until then a card counts its elapsed time from when the dashboard first saw the
// operation, and a call done without Fabric's lastUpdatedTimeUtc ends when it was seen done.
func (a *App) put(s Snapshot) bool {
	old, known := a.ops[s.ID]
	now := a.cfg.Now().UTC().Format(time.RFC3339Nano)
	if s.CreatedTimeUtc == "" {
		s.CreatedTimeUtc = now
		if known && old.CreatedTimeUtc != "" {
			s.CreatedTimeUtc = old.CreatedTimeUtc
		}
	}
	if s.LastUpdatedTimeUtc == "" && (s.Done || Terminal(s.Status)) {
		s.LastUpdatedTimeUtc = now
		if known && old.LastUpdatedTimeUtc != "" {
			s.LastUpdatedTimeUtc = old.LastUpdatedTimeUtc
		}
	}
	a.ops[s.ID] = s
	if !known {
		a.order = append([]string{s.ID}, a.order...)
	}
	return !known
}

func (a *App) onSnapshot(s Snapshot) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.put(s)
	a.render()
}

// Cards returns the card of every operation, newest first, as they would be shown now.
func (a *App) Cards() []Card {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.cfg.Now()
	cards := make([]Card, 0, len(a.order))
	for _, id := range a.order {
		cards = append(cards, NewCard(a.ops[id], now))
	}
	return cards
}

// Tick re-renders what depends on the clock ("next check in", elapsed time).
func (a *App) Tick() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.render()
}

// LoadWorkspaces loads the first page of workspaces (more=false) or the next one.
func (a *App) LoadWorkspaces(more bool) {
	a.mu.Lock()
	if a.wsLoading || (more && a.wsNext == "") {
		a.mu.Unlock()
		return
	}
	if !a.cfg.HasToken() {
		a.wsErr = &ErrorInfo{ErrorCode: "NoToken", Message: "Paste a bearer token in Settings, then apply."}
		a.render()
		a.mu.Unlock()
		return
	}
	next := ""
	if more {
		next = a.wsNext
	}
	a.wsLoading, a.wsErr = true, nil
	a.render()
	a.mu.Unlock()

	a.cfg.Go(func() {
		page, err := a.eng.Workspaces(context.Background(), next)
		a.mu.Lock()
		defer a.mu.Unlock()
		a.wsLoading = false
		if err != nil {
			e := ErrorOf(err)
			a.wsErr = &e
			a.render()
			return
		}
		if !more {
			a.workspaces = nil
		}
		a.workspaces = append(a.workspaces, page.Workspaces...)
		a.wsNext, a.wsLoaded = page.ContinuationToken, true
		if a.selected == "" && len(a.workspaces) > 0 {
			a.selected = a.workspaces[0].ID
		}
		a.render()
	})
}

// SelectWorkspace makes id the workspace new items are created in.
func (a *App) SelectWorkspace(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.selected = id
}

// CreateForm is what the create form holds.
type CreateForm struct {
	Type        string // the item type, e.g. "Notebook"
	DisplayName string // the display name (numbered when Count > 1)
	Description string // optional
	Count       int    // how many items: names get " 1", " 2", ... when more than one
}

// MaxCount is the most items one Create click makes.
const MaxCount = 20

// Create creates form.Count items in the selected workspace, one operation each.
func (a *App) Create(form CreateForm) {
	a.mu.Lock()
	ws := a.selected
	a.formErrs = nil
	switch {
	case ws == "":
		a.formErrs = []string{"Choose a workspace first (load the list with your token)."}
	case strings.TrimSpace(form.DisplayName) == "":
		a.formErrs = []string{"Give the item a display name."}
	case form.Type == "":
		a.formErrs = []string{"Choose an item type."}
	case form.Count < 1 || form.Count > MaxCount:
		a.formErrs = []string{fmt.Sprintf("How many: a number from 1 to %d.", MaxCount)}
	}
	if a.formErrs != nil {
		a.render()
		a.mu.Unlock()
		return
	}
	a.busy++
	a.nameCounter++
	a.render()
	a.mu.Unlock()

	name := strings.TrimSpace(form.DisplayName)
	a.cfg.Go(func() {
		defer a.done()
		var wg sync.WaitGroup
		errs := make([]string, form.Count)
		for i := 1; i <= form.Count; i++ {
			item := ItemRequest{Type: form.Type, DisplayName: name, Description: form.Description}
			if form.Count > 1 {
				item.DisplayName = name + " " + strconv.Itoa(i)
			}
			wg.Add(1)
			a.cfg.Go(func() {
				defer wg.Done()
				s, err := a.eng.CreateItem(context.Background(), ws, item)
				if err != nil {
					e := ErrorOf(err)
					errs[i-1] = fmt.Sprintf("Create “%s”: %s", item.DisplayName, describe(e))
					return
				}
				a.onSnapshot(s)
			})
		}
		wg.Wait()
		a.mu.Lock()
		defer a.mu.Unlock()
		for _, e := range errs {
			if e != "" {
				a.formErrs = append(a.formErrs, e)
			}
		}
	})
}

// Track starts watching an existing operation by id or Location URL.
func (a *App) Track(idOrLocation string) {
	idOrLocation = strings.TrimSpace(idOrLocation)
	a.mu.Lock()
	a.formErrs = nil
	if idOrLocation == "" {
		a.formErrs = []string{"Paste an operation id or a Location URL to track."}
		a.render()
		a.mu.Unlock()
		return
	}
	a.busy++
	a.render()
	a.mu.Unlock()
	a.cfg.Go(func() {
		defer a.done()
		s, err := a.eng.Track(context.Background(), idOrLocation)
		if err != nil {
			a.fail("Track “" + idOrLocation + "”: " + describe(ErrorOf(err)))
			return
		}
		a.onSnapshot(s)
	})
}

// RunJob starts a job of an item and shows it as its own card.
func (a *App) RunJob(workspaceID, itemID, jobType string) {
	a.mu.Lock()
	a.busy++
	a.formErrs = nil
	a.render()
	a.mu.Unlock()
	a.cfg.Go(func() {
		defer a.done()
		s, err := a.eng.RunJob(context.Background(), workspaceID, itemID, jobType)
		if err != nil {
			a.fail("Run " + jobType + ": " + describe(ErrorOf(err)))
			return
		}
		a.onSnapshot(s)
	})
}

// Cancel cancels a running job (or stops watching an operation).
func (a *App) Cancel(id string) {
	a.cfg.Go(func() {
		if err := a.eng.Cancel(context.Background(), id); err != nil {
			a.fail("Cancel " + id + ": " + describe(ErrorOf(err)))
		}
	})
}

// Dismiss removes an operation's card and forgets the operation.
func (a *App) Dismiss(id string) {
	a.eng.Forget(id)
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.ops, id)
	for i, o := range a.order {
		if o == id {
			a.order = append(a.order[:i:i], a.order[i+1:]...)
			break
		}
	}
	a.render()
}

// Messages returns the messages shown under the forms (validation and failed requests).
func (a *App) Messages() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.formErrs...)
}

func (a *App) done() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.busy--
	a.render()
}

func (a *App) fail(msg string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.formErrs = append(a.formErrs, msg)
	a.render()
}

// describe writes an ErrorResponse on one line: "errorCode: message (requestId …)".
func describe(e ErrorInfo) string {
	s := e.ErrorCode + ": " + e.Message
	if e.RequestID != "" {
		s += " (requestId " + e.RequestID + ")"
	}
	return s
}

// jobTypes maps item types to the on-demand job the dashboard offers to run for them.
var jobTypes = map[string]string{
	"Notebook":           "RunNotebook",
	"DataPipeline":       "Pipeline",
	"SparkJobDefinition": "sparkjob",
	"Lakehouse":          "TableMaintenance",
}

// JobTypeFor returns the on-demand job type the dashboard offers for an item type, or "".
func JobTypeFor(itemType string) string { return jobTypes[itemType] }
