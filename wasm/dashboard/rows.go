package dashboard

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// row is one operation on the list, with what the user did to it.
type row struct {
	snap    Snapshot
	sending bool   // its call is not answered yet
	retry   func() // sends the call again, for a call that could not start
	// A job row: the item it runs, so that Run is not offered twice at once.
	workspaceID, itemID string

	done *card // the card of a finished snapshot, which no longer changes with the clock

	confirm    string // the question the row asks: "cancel" or "dismiss"
	cancelling bool   // Cancel was confirmed and Fabric has not reported the end yet
	cancelErr  string // why the last cancel failed
	expanded   bool

	state string // the card's State, kept with the snapshot (the summary counts it)
	dirty bool   // changed since its row was last rendered
}

// onSnapshot shows a new snapshot of the engine's, and tells a user who is not looking when
// it ended an operation that was running.
func (a *App) onSnapshot(s Snapshot) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.rows[s.ID]
	running := r != nil && !r.sending && r.retry == nil && !finished(r.snap)
	if a.put(s) {
		a.place(s.ID)
	}
	if running && finished(s) {
		a.noteEnd(s.ID)
	}
	a.render()
}

// put records s; it reports whether s is a new operation (which the caller places).
//
// Fabric's createdTimeUtc only arrives with the first poll, and never for a call answered at
// once (201): until then a row counts its elapsed time from when the dashboard first saw the
// operation, and a call done without Fabric's lastUpdatedTimeUtc ends when it was seen done.
// A finished operation that comes back under a new label or running again is a new call
// that got the same id (see [Tracker]): its times start afresh.
func (a *App) put(s Snapshot) bool {
	r, known := a.rows[s.ID]
	if !known {
		r = &row{}
		a.rows[s.ID] = r
	}
	old := r.snap
	if known && finished(old) && (old.Label != s.Label || !finished(s)) {
		old = Snapshot{}
		r.cancelling, r.confirm, r.cancelErr = false, "", ""
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
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
	if finished(s) {
		r.cancelling = false
		if r.confirm == "cancel" || r.confirm == "dismiss" {
			r.confirm = "" // nothing left to cancel; a finished row is dismissed without asking
		}
	}
	if r.itemID == "" && s.Kind == kindJob {
		r.workspaceID, r.itemID = jobItem(s.ResumeToken)
	}
	r.snap, r.done = s, nil
	r.state, r.dirty = newCard(s, time.Time{}).State, true
	return !known
}

// touch marks the row key changed: the next render draws it again; a.mu is held.
func (a *App) touch(key string) {
	if r := a.rows[key]; r != nil {
		r.dirty = true
	}
}

// snapCard is newCard of the row's snapshot, kept once the snapshot is finished (a long
// list of finished operations costs nothing per tick); a.mu is held.
func (a *App) snapCard(r *row, now time.Time) card {
	if r.done != nil {
		return *r.done
	}
	c := newCard(r.snap, now)
	if c.WaitingForToken {
		c.StatusWords = tokenWaitWords(r.snap.Error.ErrorCode, a.tokenHow())
	}
	if finished(r.snap) {
		r.done = &c
	}
	return c
}

// jobItem reads the workspace and item of a job from the job instance URL in its resume
// token (.../workspaces/{ws}/items/{item}/jobs/instances/{id}); "" when unknown.
func jobItem(resumeToken string) (workspaceID, itemID string) {
	u := gjson.Get(resumeToken, "url").String()
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	parts := strings.Split(u, "/")
	for i := 0; i+5 < len(parts); i++ {
		if strings.EqualFold(parts[i], "workspaces") && strings.EqualFold(parts[i+2], "items") &&
			strings.EqualFold(parts[i+4], "jobs") && strings.EqualFold(parts[i+5], "instances") {
			return parts[i+1], parts[i+3]
		}
	}
	return "", ""
}

// place puts a new operation's row at the top of the list, or, while calls are in flight,
// keeps it aside until its call returns (see [App.settle]); a.mu is held.
func (a *App) place(id string) {
	if a.sending > 0 {
		a.unplaced = append(a.unplaced, id)
	} else {
		a.order = append(a.order, id)
	}
}

// finished reports whether nothing more will change in s.
func finished(s Snapshot) bool { return s.Done || (terminal(s.Status) && !fetchingResult(s)) }

// placed reports whether id has a row on the list.
func (a *App) placed(id string) bool { return slices.Contains(a.order, id) }

// cards returns the card of every operation on the list, newest first, as shown now
// (filters aside; a call being sent has a placeholder card, see sendingCard).
func (a *App) cards() []card {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	cards := make([]card, 0, len(a.order))
	for i := len(a.order) - 1; i >= 0; i-- {
		cards = append(cards, a.card(a.order[i], now))
	}
	return cards
}

// maxWhenWords bounds App.whenWords: two times for each of 4,096 operations. Past that the
// words are dropped all at once and written again as rows are drawn.
const maxWhenWords = 8192

// when is raw, a UTC time from Fabric, as cfg.FormatTime writes it, or "" when raw is not a
// time; a.mu is held. A card is made again at every change of its row, and the browser's
// formatter is a call into Intl: with a thousand operations, formatting the same times again
// took 1.4 s of the main thread in a minute.
func (a *App) when(raw string) string {
	if w, ok := a.whenWords[raw]; ok {
		return w
	}
	w := ""
	if t := parseTime(raw); !t.IsZero() {
		w = a.cfg.FormatTime(t)
	}
	if len(a.whenWords) >= maxWhenWords {
		clear(a.whenWords)
	}
	a.whenWords[raw] = w
	return w
}

// card is the card of key at now, with what the user did to the row; a.mu is held.
func (a *App) card(key string, now time.Time) card {
	r := a.rows[key]
	var c card
	switch {
	case r.sending:
		c = sendingCard(key, r.snap.Label)
		c.Kind = r.snap.Kind // a job being started is a job
	case r.retry != nil:
		c = startFailedCard(key, r.snap.Label, *r.snap.Error)
	default:
		c = a.snapCard(r, now)
	}
	c.Expanded = r.expanded
	if !r.sending {
		if c.Started = a.when(r.snap.CreatedTimeUtc); c.Started != "" && c.Done {
			c.Ended = a.when(r.snap.LastUpdatedTimeUtc)
		}
	}
	if c.Result != nil {
		ws := gjson.Get(c.Result.Raw, "workspaceId").String()
		c.WorkspaceURL = a.workspaceURL(ws)
		c.ItemURL = a.itemURL(ws, c.Result.Type, c.Result.ID)
		if c.Kind == KindOperation && c.Status == StatusSucceeded && c.Result.ID != "" && ws != "" && jobTypeFor(c.Result.Type) != "" {
			c.RunWords = jobKinds[c.Result.Type].words
			if c.Result.Type == "Lakehouse" {
				c.RunWords = "Run table maintenance"
			}
			c.RunBusy = a.itemRunning(c.Result.ID)
		}
	}
	if c.Kind == kindJob && r.itemID != "" && c.WorkspaceURL == "" {
		c.WorkspaceURL = a.workspaceURL(r.workspaceID)
	}
	c.Confirm = r.confirm
	switch r.confirm {
	case "cancel":
		c.Question = "Cancel this run in Fabric? It stops where it is."
	case "dismiss":
		c.Question = "Dismiss it from this list? It keeps running in Fabric; this page stops watching it."
	}
	if r.cancelling && !c.Done {
		c.StatusWords, c.StatusClass, c.CanCancel = "Cancelling…", "st-cancelling", false
	}
	if r.cancelErr != "" {
		c.Note = r.cancelErr
	}
	return c
}

// itemRunning reports whether a job of item itemID is being sent or is still running; a.mu is held.
func (a *App) itemRunning(itemID string) bool {
	if a.busy != nil {
		return a.busy[itemID]
	}
	for _, r := range a.rows {
		if r.itemID == itemID && (r.sending || !finished(r.snap)) && r.retry == nil {
			return true
		}
	}
	return false
}

// busyItems is the set of items with a job being sent or still running; a.mu is held.
func (a *App) busyItems() map[string]bool {
	busy := map[string]bool{}
	for _, r := range a.rows {
		if r.itemID != "" && (r.sending || !finished(r.snap)) && r.retry == nil {
			busy[r.itemID] = true
		}
	}
	return busy
}

// itemPaths are the portal's URL segments for item types ({portal}/groups/{ws}/{path}/{id}).
var itemPaths = map[string]string{
	"Notebook": "synapsenotebooks", "Lakehouse": "lakehouses", "Warehouse": "datawarehouses",
	"DataPipeline": "pipelines", "SparkJobDefinition": "sparkjobdefinitions", "SemanticModel": "datasets",
	"Report": "reports", "Eventhouse": "eventhouses", "Eventstream": "eventstreams",
	"MLModel": "mlmodels", "MLExperiment": "mlexperiments",
}

// workspaceURL is the workspace's page in the Fabric portal, "" without a workspace id.
func (a *App) workspaceURL(ws string) string {
	if ws == "" {
		return ""
	}
	return a.cfg.PortalURL + "/groups/" + ws
}

// itemURL is the item's page in the Fabric portal, "" for a type without a known page.
func (a *App) itemURL(ws, itemType, id string) string {
	p := itemPaths[itemType]
	if ws == "" || id == "" || p == "" {
		return ""
	}
	return a.cfg.PortalURL + "/groups/" + ws + "/" + p + "/" + id
}

// summary counts the operations on the list by state.
type summary struct {
	Running   int // still going, or being sent
	Succeeded int // Succeeded or Completed
	Failed    int // failed, gave up, or could not start
	Cancelled int // cancelled, skipped, or no longer watched
	Shown     int // rows the filters show
	Total     int // all rows
}

// summary counts the rows by state, and those the filters show.
func (a *App) summary() summary {
	a.mu.Lock()
	defer a.mu.Unlock()
	sum, _ := a.summarize(time.Now())
	return sum
}

// summarize counts the rows and says which the filters show; a.mu is held.
func (a *App) summarize(now time.Time) (summary, map[string]bool) {
	var s summary
	shown := map[string]bool{}
	for _, id := range a.order {
		st, kind := a.rowState(id, now)
		if s.count(st, kind, a.stateF, a.kindF) {
			shown[id] = true
		}
	}
	s.Total = len(a.order)
	return s, shown
}

// count adds a row in state st of kind to s, and reports whether the filters (stateF and
// kindF, "" for all) show it.
func (s *summary) count(st string, kind Kind, stateF string, kindF Kind) bool {
	switch st {
	case stateRunning:
		s.Running++
	case stateSucceeded:
		s.Succeeded++
	case stateFailed:
		s.Failed++
	default:
		s.Cancelled++
	}
	shown := (stateF == "" || stateF == st) && (kindF == "" || kindF == kind)
	if shown {
		s.Shown++
	}
	return shown
}

// rowState is a row's State and kind, without building its card; a.mu is held.
func (a *App) rowState(id string, now time.Time) (string, Kind) {
	r := a.rows[id]
	kind := r.snap.Kind
	if kind == "" {
		kind = KindOperation
	}
	switch {
	case r.sending:
		return stateRunning, kind
	case r.retry != nil:
		return stateFailed, kind
	case r.state != "":
		return r.state, kind
	}
	return a.snapCard(r, now).State, kind
}

// words of the summary line: "2 running · 5 succeeded · 1 failed".
func (s summary) words() string {
	if s.Total == 0 {
		return "No operations yet"
	}
	w := fmt.Sprintf("%d running · %d succeeded · %d failed", s.Running, s.Succeeded, s.Failed)
	if s.Cancelled > 0 {
		w += fmt.Sprintf(" · %d cancelled or stopped", s.Cancelled)
	}
	if s.Shown != s.Total {
		w += fmt.Sprintf(" (showing %d of %d)", s.Shown, s.Total)
	}
	return w
}
