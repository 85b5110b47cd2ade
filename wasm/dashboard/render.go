package dashboard

import "time"

// Mount renders the dashboard into root and keeps it up to date from then on. Call it once.
//
// The page is the list of operations, newest first, under a line that counts them by state,
// with filters and "Clear finished"; each operation is one dense row that opens to its
// details. The forms (Settings, folded once a token is set; Create items; Track) sit above
// the list, as [Config] says.
func (a *App) Mount(d DOM, root Node) {
	a.mu.Lock()
	v := &view{d: d, rows: map[string]*rowView{}, fieldErr: map[string]*fieldError{}}
	container := el(d, "div", "class", "flro")
	root.Append(container)
	v.build(a, container)
	a.view = v
	a.watchNotices()
	a.render()
	a.mu.Unlock()
	a.LoadWorkspaces(false) // without a token: says to paste one, and sends nothing
}

// render brings the page up to date with the state: at once, or with [Config.Frame] before
// the next paint, once for all the changes made until then; a.mu is held.
func (a *App) render() {
	switch {
	case a.view == nil:
	case a.cfg.Frame == nil:
		for a.view.update(a, time.Now(), time.Time{}) {
		}
	case !a.framePending:
		a.framePending = true
		a.cfg.Frame(a.frame)
	}
}

// frameBudget is how long one frame's render may work: rows left over (hundreds created or
// changed at once) are rendered in the next frames, so no task is long.
const frameBudget = 8 * time.Millisecond

// minRowsPerFrame is how many rows a frame draws at least, whatever the time.
const minRowsPerFrame = 3

// frame renders what changed since the last frame, within frameBudget.
func (a *App) frame() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.framePending = false
	if a.view.update(a, time.Now(), time.Now().Add(frameBudget)) {
		a.render() // more next frame
	}
}

// slot is a node whose text or attribute is only written when it changes, so a render that
// changes nothing touches nothing.
type slot struct {
	n    Node
	last string
	set  bool
}

// text writes the node's text v, if it changed.
func (s *slot) text(v string) {
	if !s.set || s.last != v {
		s.n.SetText(v)
		s.last, s.set = v, true
	}
}

// attr writes the node's attribute name as v, if it changed.
func (s *slot) attr(name, v string) {
	if !s.set || s.last != v {
		s.n.SetAttr(name, v)
		s.last, s.set = v, true
	}
}

// flag is a boolean attribute (hidden, disabled, open; or aria-invalid="true" with value)
// written only when it changes.
type flag struct {
	n     Node
	name  string
	value string // the attribute's value when on ("" for a boolean attribute)
	on    bool
	known bool
}

// put turns the attribute on or off, if it changed.
func (f *flag) put(on bool) {
	if f.known && f.on == on {
		return
	}
	if on {
		f.n.SetAttr(f.name, f.value)
	} else {
		f.n.RemoveAttr(f.name)
	}
	f.on, f.known = on, true
}

// hiddenFlag is n's hidden attribute.
func hiddenFlag(n Node) *flag { return &flag{n: n, name: "hidden"} }

// view holds the nodes of a mounted dashboard.
type view struct {
	d DOM

	settings  *flag // the settings <details>' open attribute
	setState  slot  // what the folded settings say
	conn      slot  // what Test connection found
	connCause slot  // its data-cause

	wsSelect, wsMore Node
	wsMoreShown      *flag
	wsStatus         slot
	wsShown          int // workspaces rendered as options
	wsSelected       string
	name             Node
	nameShown        string // the suggestion last put in the name field
	trackInput       Node
	trackShown       int
	fieldErr         map[string]*fieldError // validation messages by field

	storeErr  slot
	storeShow *flag
	notify    *flag // "Notify me when operations end": shown until the user answered
	summary   slot
	clear     *flag // Clear finished's disabled attribute
	empty     *flag
	emptyText slot
	list      Node
	rows      map[string]*rowView
}

// build makes the page's nodes in root: the forms [Config] asks for, the storage alert, and
// the list.
func (v *view) build(a *App, root Node) {
	forms := el(v.d, "div", "class", "flro-forms")
	root.Append(forms)
	if a.cfg.Settings {
		forms.Append(v.buildSettings(a))
	}
	if a.hasForm(formCreate) {
		forms.Append(v.buildCreate(a))
	}
	if a.hasForm(formTrack) {
		forms.Append(v.buildTrack(a))
	}
	root.Append(v.buildStorageError())
	root.Append(v.buildList(a))
}

// update renders the state; with a deadline (not zero) it stops making and redrawing rows
// once the deadline passed, and reports that more is left for the next frame (see
// view.updateRows); a.mu is held.
func (v *view) update(a *App, now time.Time, deadline time.Time) (more bool) {
	if v.settings != nil {
		v.updateSettings(a)
	}
	if v.wsSelect != nil {
		v.updateForms(a)
	}
	v.updateFieldErrors(a)
	if v.notify != nil {
		v.notify.put(a.cfg.Notices.Permission() != "default")
	}
	v.updateStorageError(a)
	sum, more := v.updateRows(a, now, deadline)
	v.updateSummary(a, sum)
	v.reveal(a) // the response to a click
	return more
}
