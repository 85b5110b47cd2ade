package dashboard

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"
)

// Forms a dashboard can show above its list of operations (see [Config.Forms]).
const (
	formCreate = "create" // the workspace picker and Create items
	formTrack  = "track"  // Track an existing operation
)

// defaultPortalURL is the Fabric portal that "Open in Fabric" links point to.
const defaultPortalURL = "https://app.fabric.microsoft.com"

// Config sets up an [App].
type Config struct {
	// Settings shows the settings panel (API base and token). The JS API's mount leaves it
	// off: the embedding page supplies the token.
	Settings bool
	// Forms are the forms shown above the list: formCreate, formTrack. nil shows both; an
	// empty, non-nil slice shows the list alone (a portal that starts calls from its own
	// buttons through the JS API).
	Forms []string
	// APIBase is shown in the settings panel.
	APIBase string
	// Token is the bearer token prefilled in the settings panel.
	Token string
	// OnSettings is called when the user applies new settings.
	OnSettings func(apiBase, token string)
	// HasToken reports whether a token is available (default: always). The workspace list
	// waits for one.
	HasToken func() bool
	// TokenAdvice, when set, is what the user of this page does to get a new token (for a
	// page with sign-in: "sign in again"); an operation waiting for a token says it in place
	// of "paste a new token in Settings and Apply".
	TokenAdvice string
	// PortalURL is the Fabric portal for "Open in Fabric" links (default defaultPortalURL;
	// a sovereign cloud has its own).
	PortalURL string
	// FormatTime writes a time for people in their locale (default: the time in Go's local
	// zone, "2 Jan 15:04:05"). The browser passes Intl.DateTimeFormat.
	FormatTime func(time.Time) string
	// Probe finds out what answers at an API base (see [Probe]): apiBase and token as typed
	// in Settings for "Test connection", or "" for those the engine uses, to name the likely
	// cause of a call that got no answer. nil: no Test connection, and no causes named.
	Probe func(ctx context.Context, apiBase, token string) Probe
	// Frame runs fn once before the browser next paints (requestAnimationFrame), never
	// during the call: changes in between are rendered together, and a render does a
	// bounded amount of work (the rest waits for the next frame). nil renders every change
	// at once (host tests).
	Frame func(fn func())
	// Notices tells a user who is looking at another tab that operations ended (see
	// [Notices]); nil tells nothing.
	Notices Notices
}

// App is the dashboard: its state, the actions a user takes, and its rendering into a page
// through [DOM]. Its methods are safe for concurrent use.
type App struct {
	eng Engine
	cfg Config

	mu         sync.Mutex
	workspaces []Workspace
	wsNext     string // continuation token of the next workspace page
	wsLoaded   bool
	wsLoading  bool
	wsErr      *ErrorInfo
	selected   string // workspace id

	fieldErrs map[string]string // validation messages, by field (fieldWorkspace, ...)
	suggested string            // the display name the form proposes (replaced once used)
	trackOK   int               // counts accepted Track inputs (the view clears the field)
	testing   bool              // Test connection is running
	verdict   *verdict          // what the last Test connection found
	stateF    string            // the state filter: "" (all) or a State*
	kindF     Kind              // the kind filter: "" (all), KindOperation or kindJob

	rows  map[string]*row
	order []string // row keys (operation ids, or "sending-N"), oldest first; shown newest first

	// A click makes one placeholder row per call at once, so the user sees a response: each
	// is filled in (same row) when its call is accepted, or becomes a failed row with Retry.
	// Snapshots of new operations that arrive while calls are in flight wait in unplaced
	// until their call returns (or all calls ended).
	sending  int               // calls in flight
	sendSeq  int               // numbers the placeholders
	unplaced []string          // new operation ids not yet on the list
	rekey    map[string]string // placeholder key → the operation id now in its row (for the view)
	reveal   string            // a row key to scroll into view at the next render

	view  *view
	unsub func()

	framePending bool            // a Frame is requested
	allDirty     bool            // every row must be rendered again (a filter changed)
	busy         map[string]bool // while rendering: items with a job being sent or running
	ended        endedCounts     // operations that ended while the page was hidden
}

// row is one operation on the list, with what the user did to it.
type row struct {
	snap    Snapshot
	sending bool   // its call is not answered yet
	retry   func() // sends the call again, for a call that could not start
	// A job row: the item it runs, so that Run is not offered twice at once.
	workspaceID, itemID string

	done *Card // the card of a finished snapshot, which no longer changes with the clock

	confirm    string // the question the row asks: "cancel" or "dismiss"
	cancelling bool   // Cancel was confirmed and Fabric has not reported the end yet
	cancelErr  string // why the last cancel failed
	expanded   bool

	state string // the card's State, kept with the snapshot (the summary counts it)
	dirty bool   // changed since its row was last rendered
}

// Fields with validation messages (see App.fieldError).
const (
	fieldWorkspace = "workspace"
	fieldType      = "type"
	fieldName      = "name"
	fieldCount     = "count"
	fieldTrack     = "track"
)

// NewApp makes a dashboard over eng. Operations eng already watches are shown at once.
func NewApp(eng Engine, cfg Config) *App {
	if cfg.HasToken == nil {
		cfg.HasToken = func() bool { return true }
	}
	if cfg.PortalURL == "" {
		cfg.PortalURL = defaultPortalURL
	}
	cfg.PortalURL = strings.TrimRight(cfg.PortalURL, "/")
	if cfg.FormatTime == nil {
		cfg.FormatTime = func(t time.Time) string { return t.Local().Format("2 Jan 15:04:05") }
	}
	if cfg.Forms == nil {
		cfg.Forms = []string{formCreate, formTrack}
	}
	a := &App{eng: eng, cfg: cfg, rows: map[string]*row{}, rekey: map[string]string{}, fieldErrs: map[string]string{}}
	a.suggested = suggestName(time.Now())
	for _, s := range eng.Operations() {
		if a.put(s) {
			a.place(s.ID)
		}
	}
	a.unsub = eng.Subscribe(a.onSnapshot)
	if r, ok := eng.(remover); ok { // another tab may dismiss operations (package tabs)
		unsub, unremove := a.unsub, r.OnRemove(a.remove)
		a.unsub = func() { unsub(); unremove() }
	}
	return a
}

// remover is an [Engine] whose operations can also be dismissed elsewhere (in another tab):
// OnRemove calls fn with their ids until the returned function is called. Removing them here
// forgets them again, which changes nothing.
type remover interface {
	OnRemove(fn func(ids ...string)) func()
}

// tokenHow is how this page's user gets a new token, in words that follow "Token expired: ":
// Config.TokenAdvice on a page with sign-in, pasteTokenAdvice on one with Settings, "" when the
// embedding page supplies the tokens.
func (a *App) tokenHow() string {
	switch {
	case !a.cfg.Settings:
		return ""
	case a.cfg.TokenAdvice != "":
		return a.cfg.TokenAdvice
	}
	return pasteTokenAdvice
}

// worded is err as the user of this page reads it (see worded).
func (a *App) worded(err error) ErrorInfo { return worded(err, a.tokenHow()) }

// close stops following the engine.
func (a *App) close() { a.unsub() }

// hasForm reports whether the dashboard shows form f.
func (a *App) hasForm(f string) bool { return slices.Contains(a.cfg.Forms, f) }

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
	r.state, r.dirty = NewCard(s, time.Time{}).State, true
	return !known
}

// touch marks the row key changed: the next render draws it again; a.mu is held.
func (a *App) touch(key string) {
	if r := a.rows[key]; r != nil {
		r.dirty = true
	}
}

// snapCard is NewCard of the row's snapshot, kept once the snapshot is finished (a long
// list of finished operations costs nothing per tick); a.mu is held.
func (a *App) snapCard(r *row, now time.Time) Card {
	if r.done != nil {
		return *r.done
	}
	c := NewCard(r.snap, now)
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

// placeholders add rows for calls about to be sent, labelled labels, the first on top; a.mu
// is held.
func (a *App) placeholders(labels ...string) []string {
	keys := make([]string, len(labels))
	for i, label := range labels {
		a.sendSeq++
		keys[i] = "sending-" + strconv.Itoa(a.sendSeq)
		a.rows[keys[i]] = &row{snap: Snapshot{ID: keys[i], Kind: KindOperation, Label: label}, sending: true}
		a.sending++
	}
	for i := len(keys) - 1; i >= 0; i-- {
		a.order = append(a.order, keys[i]) // shown newest first: the batch's first on top
	}
	return keys
}

// send runs call for the placeholder key, and settles it with the outcome. A call that fails
// to start leaves a failed row whose Retry sends it again.
func (a *App) send(key string, call func() (Snapshot, error)) {
	go func() {
		s, err := call()
		a.settle(key, s, err, func() { a.resend(key, call) })
	}()
}

// resend is Retry on a row whose call could not start.
func (a *App) resend(key string, call func() (Snapshot, error)) {
	a.mu.Lock()
	r := a.rows[key]
	if r == nil || r.sending {
		a.mu.Unlock()
		return
	}
	r.sending, r.retry, r.expanded, r.dirty = true, nil, false, true
	r.snap.Error, r.snap.Done, r.done = nil, false, nil
	a.sending++
	a.render()
	a.mu.Unlock()
	a.send(key, call)
}

// settle fills in the placeholder key once its call returned s, or turns it into a failed
// row with Retry when err is set. The placeholder's row becomes the operation's row, unless
// the operation already has one (the engine returned a call it already watches): then that
// row is shown instead.
func (a *App) settle(key string, s Snapshot, err error, retry func()) {
	a.mu.Lock()
	var explain *row // a call that got no answer: a probe names the likely cause
	a.sending--
	ph := a.rows[key]
	i := slices.Index(a.order, key)
	switch {
	case ph == nil || i < 0:
		// Dismissed while it was being sent.
		if err == nil && s.ID != "" && !a.placed(s.ID) {
			if a.put(s) {
				a.place(s.ID)
			}
		}
	case err != nil || s.ID == "":
		e := ErrorInfo{ErrorCode: "NoOperation", Message: "Fabric accepted the call but named no operation to watch."}
		if err != nil {
			e = a.worded(err)
		}
		ph.sending, ph.retry, ph.expanded, ph.dirty = false, retry, true, true
		ph.snap.Error, ph.snap.Done, ph.done = &e, true, nil
		ph.snap.LastUpdatedTimeUtc = ""
		if unanswered(e) && a.cfg.Probe != nil {
			explain = ph
		}
	case a.placed(s.ID):
		a.order = slices.Delete(a.order, i, i+1)
		delete(a.rows, key)
		a.reveal = s.ID
		a.put(s)
	default:
		a.order[i] = s.ID
		delete(a.rows, key)
		a.unplaced = slices.DeleteFunc(a.unplaced, func(id string) bool { return id == s.ID })
		if r, seen := a.rows[s.ID]; seen {
			r.workspaceID, r.itemID = firstNonEmpty(r.workspaceID, ph.workspaceID), firstNonEmpty(r.itemID, ph.itemID)
		} else {
			a.rows[s.ID] = &row{workspaceID: ph.workspaceID, itemID: ph.itemID}
			a.put(s)
		}
		a.rekey[key] = s.ID
		if a.reveal == key {
			a.reveal = s.ID
		}
	}
	if a.sending == 0 {
		a.order = append(a.order, a.unplaced...)
		a.unplaced = nil
	}
	a.render()
	a.mu.Unlock()
	if explain != nil {
		go a.explain(key, explain)
	}
}

// explain probes the API base after a call of row r (key) got no answer, and names the
// likely cause in its error.
func (a *App) explain(key string, r *row) {
	v := judge(a.cfg.Probe(context.Background(), "", ""))
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.rows[key] != r || r.retry == nil || r.snap.Error == nil {
		return // retried or dismissed meanwhile
	}
	e := explainStart(*r.snap.Error, v)
	r.snap.Error, r.dirty = &e, true
	a.render()
}

// testConnection probes apiBase with token (as typed in Settings) and shows what answers.
func (a *App) testConnection(apiBase, token string) {
	a.mu.Lock()
	if a.cfg.Probe == nil || a.testing {
		a.mu.Unlock()
		return
	}
	if v, ok := checkAPIBase(apiBase); !ok {
		a.verdict = &v
		a.render()
		a.mu.Unlock()
		return
	}
	a.testing, a.verdict = true, nil
	a.render()
	a.mu.Unlock()
	go func() {
		v := judge(a.cfg.Probe(context.Background(), strings.TrimSpace(apiBase), strings.TrimSpace(token)))
		a.mu.Lock()
		defer a.mu.Unlock()
		a.testing, a.verdict = false, &v
		a.render()
	}()
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

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

// cards returns the card of every operation on the list, newest first, as shown now
// (filters aside; a call being sent has a placeholder card, see sendingCard).
func (a *App) cards() []Card {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	cards := make([]Card, 0, len(a.order))
	for i := len(a.order) - 1; i >= 0; i-- {
		cards = append(cards, a.card(a.order[i], now))
	}
	return cards
}

// card is the card of key at now, with what the user did to the row; a.mu is held.
func (a *App) card(key string, now time.Time) Card {
	r := a.rows[key]
	var c Card
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
	if created := parseTime(r.snap.CreatedTimeUtc); !created.IsZero() && !r.sending {
		c.Started = a.cfg.FormatTime(created)
		if end := parseTime(r.snap.LastUpdatedTimeUtc); c.Done && !end.IsZero() {
			c.Ended = a.cfg.FormatTime(end)
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

// Tick re-renders what depends on the clock ("next check in", elapsed time).
func (a *App) Tick() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.render()
}

// LoadWorkspaces loads the first page of workspaces (more=false) or the next one.
func (a *App) LoadWorkspaces(more bool) {
	a.mu.Lock()
	if a.wsLoading || (more && a.wsNext == "") || !a.hasForm(formCreate) {
		a.mu.Unlock()
		return
	}
	if !a.cfg.HasToken() {
		a.wsErr = &ErrorInfo{ErrorCode: "NoToken", Message: noTokenWords(a.tokenHow())}
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

	go func() {
		page, err := a.eng.Workspaces(context.Background(), next)
		var e ErrorInfo
		if err != nil {
			e = a.worded(err)
			if unanswered(e) && a.cfg.Probe != nil {
				e.Message += " Likely cause: " + judge(a.cfg.Probe(context.Background(), "", "")).Words
			}
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		a.wsLoading = false
		if err != nil {
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
		delete(a.fieldErrs, fieldWorkspace)
		a.render()
	}()
}

// selectWorkspace makes id the workspace new items are created in.
func (a *App) selectWorkspace(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.selected = id
	delete(a.fieldErrs, fieldWorkspace)
	a.render()
}

// createForm is what the create form holds.
type createForm struct {
	Type        string // the item type, e.g. "Notebook"
	DisplayName string // the display name (numbered when Count > 1)
	Description string // optional
	Count       int    // how many items: names get " 1", " 2", ... when more than one
}

// MaxCount is the most items one Create click makes.
const MaxCount = 20

// create creates form.Count items in the selected workspace, one operation each. Invalid
// input gets a message next to its field, and nothing is sent.
func (a *App) create(form createForm) {
	a.mu.Lock()
	ws := a.selected
	clear(a.fieldErrs)
	if ws == "" {
		a.fieldErrs[fieldWorkspace] = "Choose a workspace first (the list loads once a token is set)."
	}
	if !creatable(form.Type) {
		a.fieldErrs[fieldType] = "Choose an item type from the list."
	}
	name := strings.TrimSpace(form.DisplayName)
	switch {
	case name == "":
		a.fieldErrs[fieldName] = "Give the item a display name."
	case len([]rune(name)) > 123:
		a.fieldErrs[fieldName] = "A display name has at most 123 characters."
	}
	if form.Count < 1 || form.Count > MaxCount {
		a.fieldErrs[fieldCount] = fmt.Sprintf("A number from 1 to %d.", MaxCount)
	}
	if len(a.fieldErrs) > 0 {
		a.render()
		a.mu.Unlock()
		return
	}
	if name == a.suggested {
		a.suggested = suggestName(time.Now()) // the next Create does not collide
		if a.suggested == name {
			a.suggested = name + "b"
		}
	}
	items := make([]ItemRequest, form.Count)
	labels := make([]string, form.Count)
	for i := range items {
		items[i] = ItemRequest{Type: form.Type, DisplayName: name, Description: form.Description}
		if form.Count > 1 {
			items[i].DisplayName = name + " " + strconv.Itoa(i+1)
		}
		labels[i] = createLabel(form.Type, items[i].DisplayName)
	}
	keys := a.placeholders(labels...)
	a.reveal = keys[0]
	a.render()
	a.mu.Unlock()
	for i, item := range items {
		a.send(keys[i], func() (Snapshot, error) { return a.eng.CreateItem(context.Background(), ws, item) })
	}
}

// createLabel is the title of a create's row: "Create Notebook “Sales”" (the portal's name
// of the type).
func createLabel(itemType, name string) string {
	return "Create " + typeName(itemType) + " “" + name + "”"
}

// suggestedName is the display name the create form proposes: new each second, and
// replaced once used, so that creating twice in a row does not collide.
func (a *App) suggestedName() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.suggested
}

// fieldError is the validation message of a field (fieldName, ...), "" when it is fine.
func (a *App) fieldError(field string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.fieldErrs[field]
}

// track starts watching an existing operation by its id (a GUID), its Location URL or its
// resume token. Anything else is refused with a message next to the field, and no row.
func (a *App) track(idOrLocation string) {
	idOrLocation = strings.TrimSpace(idOrLocation)
	a.mu.Lock()
	delete(a.fieldErrs, fieldTrack)
	if msg := checkTrackRef(idOrLocation); msg != "" {
		a.fieldErrs[fieldTrack] = msg
		a.render()
		a.mu.Unlock()
		return
	}
	a.trackOK++
	keys := a.placeholders(trackedPrefix + shortRef(idOrLocation))
	a.reveal = keys[0]
	a.render()
	a.mu.Unlock()
	a.send(keys[0], func() (Snapshot, error) { return a.eng.Track(context.Background(), idOrLocation) })
}

// runJob starts the on-demand job of an item (see jobTypeFor) as its own row, named after
// the item. Nothing is sent while a run of the same item is being sent or still running.
func (a *App) runJob(workspaceID, itemID, itemType, itemName string) {
	jobType := jobTypeFor(itemType)
	a.mu.Lock()
	if jobType == "" || itemID == "" || a.itemRunning(itemID) {
		a.mu.Unlock()
		return
	}
	label := jobLabel(itemType, itemName)
	keys := a.placeholders(label)
	ph := a.rows[keys[0]]
	ph.snap.Kind, ph.workspaceID, ph.itemID = kindJob, workspaceID, itemID
	a.reveal = keys[0]
	a.render()
	a.mu.Unlock()
	a.send(keys[0], func() (Snapshot, error) {
		return a.eng.RunJob(context.Background(), workspaceID, itemID, jobType, label)
	})
}

// cancel asks whether to cancel the running job id; App.confirmCancel does it.
func (a *App) cancel(id string) {
	a.ask(id, "cancel", func(r *row) bool { return r.snap.Kind == kindJob && !finished(r.snap) && !r.sending })
}

// confirmCancel cancels the job id in Fabric: the row says "Cancelling…" until Fabric
// reports how it ended.
func (a *App) confirmCancel(id string) {
	a.mu.Lock()
	r := a.rows[id]
	if r == nil || r.confirm != "cancel" {
		a.mu.Unlock()
		return
	}
	r.confirm, r.cancelling, r.cancelErr, r.dirty = "", true, "", true
	a.render()
	a.mu.Unlock()
	go func() {
		err := a.eng.Cancel(context.Background(), id)
		if err == nil {
			return
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		if r := a.rows[id]; r != nil {
			r.cancelling, r.dirty = false, true
			r.cancelErr = "Could not cancel: " + describe(a.worded(err))
		}
		a.render()
	}()
}

// keepIt withdraws the question a row asks (cancel or dismiss).
func (a *App) keepIt(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r := a.rows[id]; r != nil {
		r.confirm, r.dirty = "", true
	}
	a.render()
}

// ask sets the row's question when ok says it applies; a.mu is not held.
func (a *App) ask(id, question string, ok func(*row) bool) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.rows[id]
	if r == nil || !ok(r) {
		return false
	}
	r.confirm = question
	r.expanded, r.dirty = true, true
	a.render()
	return true
}

// dismiss removes an operation's row and forgets the operation. One still running is only
// dismissed after App.confirmDismiss (it keeps running in Fabric).
func (a *App) dismiss(id string) {
	if a.ask(id, "dismiss", func(r *row) bool { return !finished(r.snap) && !r.sending && r.retry == nil }) {
		return
	}
	a.remove(id)
}

// confirmDismiss dismisses the operation id although it is still running.
func (a *App) confirmDismiss(id string) { a.remove(id) }

// remove forgets the rows ids.
func (a *App) remove(ids ...string) {
	var known []string
	for _, id := range ids {
		if !strings.HasPrefix(id, "sending-") { // a call that could not start: not in the engine
			known = append(known, id)
		}
	}
	if len(known) > 0 {
		a.eng.Forget(known...)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, id := range ids {
		if r := a.rows[id]; r != nil && r.sending {
			continue // its call's answer settles it
		}
		delete(a.rows, id)
		a.order = slices.DeleteFunc(a.order, func(o string) bool { return o == id })
	}
	a.render()
}

// clearFinished dismisses every operation that ended (succeeded, failed, cancelled); the
// running ones stay.
func (a *App) clearFinished() {
	a.mu.Lock()
	var done []string
	for _, id := range a.order {
		if r := a.rows[id]; !r.sending && (finished(r.snap) || r.retry != nil) {
			done = append(done, id)
		}
	}
	a.mu.Unlock()
	a.remove(done...)
}

// retry sends again the call of a row that could not start.
func (a *App) retry(id string) {
	a.mu.Lock()
	r := a.rows[id]
	var retry func()
	if r != nil {
		retry = r.retry
	}
	a.mu.Unlock()
	if retry != nil {
		retry()
	}
}

// toggle opens or closes a row's details.
func (a *App) toggle(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r := a.rows[id]; r != nil {
		r.expanded = !r.expanded
		r.dirty = true
		if !r.expanded {
			r.confirm = ""
		}
	}
	a.render()
}

// filter shows only the rows in state (a state* constant, "" for all) of kind ("" for all).
func (a *App) filter(state string, kind Kind) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stateF, a.kindF = state, kind
	a.allDirty = true // rows shown again show what changed while they were hidden
	a.render()
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
		if (a.stateF == "" || a.stateF == st) && (a.kindF == "" || a.kindF == kind) {
			shown[id] = true
			s.Shown++
		}
	}
	s.Total = len(a.order)
	return s, shown
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
