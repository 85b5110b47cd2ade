package dashboard

import (
	"context"
	"fmt"
	"slices"
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
	order       []string // card keys (operation ids, or "sending-N" placeholders), oldest first
	nameCounter int

	// A click makes one placeholder card per call at once, at the end of the list, so the
	// user sees a response and nothing on screen moves: each is filled in (same card) when
	// its call is accepted. Snapshots of new operations that arrive while calls are in
	// flight wait in unplaced until their call returns (or all calls ended).
	sending  map[string]bool   // placeholder keys whose call is in flight
	sendSeq  int               // numbers the placeholders
	unplaced []string          // new operation ids not yet on the list
	rekey    map[string]string // placeholder key → the operation id now in its card (for the view)
	reveal   string            // a card key to scroll into view at the next render

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
	a := &App{eng: eng, cfg: cfg, ops: map[string]Snapshot{}, sending: map[string]bool{}, rekey: map[string]string{}}
	for _, s := range eng.Operations() {
		if a.put(s) {
			a.place(s.ID)
		}
	}
	a.unsub = eng.Subscribe(a.onSnapshot)
	return a
}

// Close stops following the engine.
func (a *App) Close() { a.unsub() }

// put records s; it reports whether s is a new operation (which the caller places).
//
// Fabric's createdTimeUtc only arrives with the first poll, and never for a call answered at
// once (201): until then a card counts its elapsed time from when the dashboard first saw the
// operation, and a call done without Fabric's lastUpdatedTimeUtc ends when it was seen done.
// A finished operation that comes back under a new label or running again is a new call
// that got the same id (see [Tracker]): its times start afresh.
func (a *App) put(s Snapshot) bool {
	old, known := a.ops[s.ID]
	if known && finished(old) && (old.Label != s.Label || !finished(s)) {
		old = Snapshot{}
	}
	now := a.cfg.Now().UTC().Format(time.RFC3339Nano)
	if s.CreatedTimeUtc == "" {
		s.CreatedTimeUtc = now
		if old.CreatedTimeUtc != "" {
			s.CreatedTimeUtc = old.CreatedTimeUtc
		}
	}
	if s.LastUpdatedTimeUtc == "" && finished(s) {
		s.LastUpdatedTimeUtc = now
		if finished(old) && old.LastUpdatedTimeUtc != "" {
			s.LastUpdatedTimeUtc = old.LastUpdatedTimeUtc
		}
	}
	a.ops[s.ID] = s
	return !known
}

// place puts a new operation's card at the end of the list, or, while calls are in flight,
// keeps it aside until its call returns (see [App.settle]); a.mu is held.
func (a *App) place(id string) {
	if len(a.sending) > 0 {
		a.unplaced = append(a.unplaced, id)
	} else {
		a.order = append(a.order, id)
	}
}

// finished reports whether nothing more will change in s.
func finished(s Snapshot) bool { return s.Done || (Terminal(s.Status) && !fetchingResult(s)) }

// placed reports whether id has a card on the list.
func (a *App) placed(id string) bool { return slices.Contains(a.order, id) }

// placeholder adds a card for a call about to be sent, labelled label; a.mu is held.
func (a *App) placeholder(label string) string {
	a.sendSeq++
	key := "sending-" + strconv.Itoa(a.sendSeq)
	a.ops[key] = Snapshot{ID: key, Kind: KindOperation, Label: label}
	a.sending[key] = true
	a.order = append(a.order, key)
	return key
}

// settle fills in the placeholder key once its call returned s (or failed: the placeholder
// goes, and the form shows why). The placeholder's card becomes the operation's card, unless
// the operation already has one (the engine returned a call it already watches): then that
// card is shown instead.
func (a *App) settle(key string, s Snapshot, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.sending, key)
	i := slices.Index(a.order, key)
	switch {
	case err != nil || s.ID == "":
		a.order = slices.Delete(a.order, i, i+1)
		delete(a.ops, key)
	case a.placed(s.ID):
		a.order = slices.Delete(a.order, i, i+1)
		delete(a.ops, key)
		a.reveal = s.ID
		a.put(s)
	default:
		a.order[i] = s.ID
		delete(a.ops, key)
		a.unplaced = slices.DeleteFunc(a.unplaced, func(id string) bool { return id == s.ID })
		if _, seen := a.ops[s.ID]; !seen {
			a.put(s) // not yet seen through Subscribe; placed above, so not added again
		}
		a.rekey[key] = s.ID
		if a.reveal == key {
			a.reveal = s.ID
		}
	}
	if len(a.sending) == 0 {
		a.order = append(a.order, a.unplaced...)
		a.unplaced = nil
	}
	a.render()
}

func (a *App) onSnapshot(s Snapshot) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.put(s) {
		a.place(s.ID)
	}
	a.render()
}

// Cards returns the card of every operation, in the order they were started (a call being
// sent has a placeholder card, see [SendingCard]), as they would be shown now.
func (a *App) Cards() []Card {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.cfg.Now()
	cards := make([]Card, 0, len(a.order))
	for _, id := range a.order {
		cards = append(cards, a.card(id, now))
	}
	return cards
}

// card is the card of key at now; a.mu is held.
func (a *App) card(key string, now time.Time) Card {
	if a.sending[key] {
		return SendingCard(key, a.ops[key].Label)
	}
	return NewCard(a.ops[key], now)
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
	name := strings.TrimSpace(form.DisplayName)
	items := make([]ItemRequest, form.Count)
	keys := make([]string, form.Count)
	for i := range items {
		items[i] = ItemRequest{Type: form.Type, DisplayName: name, Description: form.Description}
		if form.Count > 1 {
			items[i].DisplayName = name + " " + strconv.Itoa(i+1)
		}
		keys[i] = a.placeholder("Create " + form.Type + " “" + items[i].DisplayName + "”")
	}
	a.reveal = keys[0]
	a.render()
	a.mu.Unlock()

	a.cfg.Go(func() {
		defer a.done()
		var wg sync.WaitGroup
		errs := make([]string, form.Count)
		for i, item := range items {
			wg.Add(1)
			a.cfg.Go(func() {
				defer wg.Done()
				s, err := a.eng.CreateItem(context.Background(), ws, item)
				if err != nil {
					errs[i] = fmt.Sprintf("Create “%s”: %s", item.DisplayName, describe(ErrorOf(err)))
				}
				a.settle(keys[i], s, err)
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

// Track starts watching an existing operation by its id (a GUID), its Location URL or its
// resume token. Anything else is refused with a message under the form, and no card.
func (a *App) Track(idOrLocation string) {
	idOrLocation = strings.TrimSpace(idOrLocation)
	a.mu.Lock()
	a.formErrs = nil
	if msg := CheckTrackRef(idOrLocation); msg != "" {
		a.formErrs = []string{msg}
		a.render()
		a.mu.Unlock()
		return
	}
	a.busy++
	key := a.placeholder("Tracked " + shortRef(idOrLocation))
	a.reveal = key
	a.render()
	a.mu.Unlock()
	a.cfg.Go(func() {
		defer a.done()
		s, err := a.eng.Track(context.Background(), idOrLocation)
		a.settle(key, s, err)
		if err != nil {
			a.fail("Track “" + idOrLocation + "”: " + describe(ErrorOf(err)))
		}
	})
}

// RunJob starts a job of an item and shows it as its own card.
func (a *App) RunJob(workspaceID, itemID, jobType string) {
	a.mu.Lock()
	a.busy++
	a.formErrs = nil
	key := a.placeholder(jobType + " job")
	a.reveal = key
	a.render()
	a.mu.Unlock()
	a.cfg.Go(func() {
		defer a.done()
		s, err := a.eng.RunJob(context.Background(), workspaceID, itemID, jobType)
		a.settle(key, s, err)
		if err != nil {
			a.fail("Run " + jobType + ": " + describe(ErrorOf(err)))
		}
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
