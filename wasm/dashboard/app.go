package dashboard

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
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
	// zone, "2 Jan 15:04:05"). The browser passes Intl.DateTimeFormat. Its words for a
	// time are kept and used again, so it must write the same time the same way.
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

	framePending bool              // a Frame is requested
	allDirty     bool              // every row must be rendered again (a filter changed)
	busy         map[string]bool   // while rendering: items with a job being sent or running
	whenWords    map[string]string // Fabric's UTC times as cfg.FormatTime wrote them (see when)
	ended        endedCounts       // operations that ended while the page was hidden
}

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
	a := &App{eng: eng, cfg: cfg, rows: map[string]*row{}, rekey: map[string]string{}, fieldErrs: map[string]string{},
		whenWords: map[string]string{}}
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

// Tick re-renders what depends on the clock ("next check in", elapsed time).
func (a *App) Tick() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.render()
}
