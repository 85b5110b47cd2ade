package dashboard

import (
	"fmt"
	"strconv"
	"time"

	"github.com/tidwall/gjson"
)

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

func (s *slot) text(v string) {
	if !s.set || s.last != v {
		s.n.SetText(v)
		s.last, s.set = v, true
	}
}

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
	created   int // rows made since the last removal scan
}

// fieldError is the validation message under a field, and the field's aria-invalid.
type fieldError struct {
	msg             slot
	hidden, invalid *flag
}

// field makes a labelled field holding input, with a place for its validation message.
func (v *view) field(name, label string, input Node, class string) Node {
	msg := el(v.d, "p", "class", "flro-field-error", "data-role", "error-"+name, "id", "flro-err-"+name)
	input.SetAttr("aria-describedby", "flro-err-"+name)
	v.fieldErr[name] = &fieldError{msg: slot{n: msg}, hidden: hiddenFlag(msg), invalid: &flag{n: input, name: "aria-invalid", value: "true"}}
	return appendAll(el(v.d, "label", "class", "flro-field "+class), text(v.d, "span", label), input, msg)
}

func (v *view) build(a *App, root Node) {
	d := v.d
	forms := el(d, "div", "class", "flro-forms")
	root.Append(forms)

	if a.cfg.Settings {
		apiBase := el(d, "input", "id", "flro-api-base", "type", "url", "data-role", "api-base", "autocomplete", "off", "spellcheck", "false")
		apiBase.SetValue(a.cfg.APIBase)
		token := el(d, "input", "id", "flro-token", "type", "password", "data-role", "token", "autocomplete", "off", "placeholder", "Bearer token (kept in this tab only)")
		token.SetValue(a.cfg.Token)
		summary := appendAll(el(d, "summary", "data-role", "settings-summary"), text(d, "span", "Settings", "class", "flro-summary-title"))
		state := el(d, "span", "class", "flro-hint", "data-role", "settings-state")
		summary.Append(state)
		v.setState = slot{n: state}
		form := appendAll(el(d, "form", "class", "flro-settings-form", "data-role", "settings", "aria-label", "Settings"),
			appendAll(el(d, "div", "class", "flro-row"),
				appendAll(el(d, "label", "class", "flro-field flro-grow"), text(d, "span", "API base"), apiBase),
				appendAll(el(d, "label", "class", "flro-field flro-grow"), text(d, "span", "Token"), token),
				text(d, "button", "Apply", "type", "submit", "data-role", "apply-settings")))
		if a.cfg.Probe != nil {
			test := text(d, "button", "Test connection", "type", "button", "class", "flro-secondary", "data-role", "test-connection")
			test.On("click", func() { a.testConnection(apiBase.Value(), token.Value()) })
			conn := el(d, "p", "class", "flro-connection", "data-role", "connection", "aria-live", "polite")
			v.conn, v.connCause = slot{n: conn}, slot{n: conn}
			form.Append(appendAll(el(d, "div", "class", "flro-row flro-test"), test, conn))
		}
		details := appendAll(el(d, "details", "class", "flro-panel flro-settings"), summary, form)
		v.settings = &flag{n: details, name: "open"}
		v.settings.put(!a.cfg.HasToken())
		form.On("submit", func() {
			if a.cfg.OnSettings != nil {
				a.cfg.OnSettings(apiBase.Value(), token.Value())
			}
			a.eng.RetryAll() // operations waiting for a token go on with the new one
			if a.cfg.HasToken() {
				v.settings.known = false // fold it away, whatever the user did to it
				v.settings.put(false)
			}
			a.LoadWorkspaces(false)
		})
		forms.Append(details)
	}

	if a.hasForm(formCreate) {
		v.wsSelect = el(d, "select", "id", "flro-workspace", "data-role", "workspace")
		v.wsSelect.On("change", func() { a.selectWorkspace(v.wsSelect.Value()) })
		wsLoad := text(d, "button", "Reload", "type", "button", "data-role", "workspaces-reload", "class", "flro-secondary")
		wsLoad.On("click", func() { a.LoadWorkspaces(false) })
		v.wsMore = text(d, "button", "Load more", "type", "button", "data-role", "workspaces-more", "class", "flro-secondary")
		v.wsMore.On("click", func() { a.LoadWorkspaces(true) })
		v.wsMoreShown = hiddenFlag(v.wsMore)
		v.wsStatus = slot{n: el(d, "p", "class", "flro-hint", "data-role", "workspaces-status", "aria-live", "polite")}

		typeSel := el(d, "select", "id", "flro-type", "data-role", "type")
		for _, g := range itemTypeGroups {
			og := el(d, "optgroup", "label", g.Name)
			for _, t := range g.Types {
				og.Append(text(d, "option", t.Name, "value", t.Type))
			}
			typeSel.Append(og)
		}
		typeSel.SetValue(defaultItemType)
		v.name = el(d, "input", "id", "flro-name", "data-role", "name", "maxlength", "123", "autocomplete", "off")
		desc := el(d, "input", "id", "flro-description", "data-role", "description", "maxlength", "256", "autocomplete", "off")
		count := el(d, "input", "id", "flro-count", "data-role", "count", "type", "number", "min", "1", "max", strconv.Itoa(MaxCount), "inputmode", "numeric")
		count.SetValue("2")

		create := appendAll(el(d, "form", "class", "flro-panel flro-create", "data-role", "create-form", "aria-label", "Create items", "novalidate", ""),
			text(d, "h2", "Create items"),
			appendAll(el(d, "div", "class", "flro-row"),
				v.field(fieldWorkspace, "Workspace", v.wsSelect, "flro-grow flro-half"),
				appendAll(el(d, "div", "class", "flro-buttons"), wsLoad, v.wsMore)),
			v.wsStatus.n,
			appendAll(el(d, "div", "class", "flro-row"),
				v.field(fieldType, "Item type", typeSel, "flro-half"),
				v.field(fieldName, "Display name", v.name, "flro-grow flro-wide"),
				v.field(fieldCount, "How many", count, "flro-narrow")),
			appendAll(el(d, "div", "class", "flro-row"),
				v.field("description", "Description (optional)", desc, "flro-grow"),
				text(d, "button", "Create", "type", "submit", "data-role", "create")))
		create.On("submit", func() {
			n, err := strconv.Atoi(count.Value())
			if err != nil {
				n = 0
			}
			a.create(createForm{Type: typeSel.Value(), DisplayName: v.name.Value(), Description: desc.Value(), Count: n})
		})
		forms.Append(create)
	}

	if a.hasForm(formTrack) {
		v.trackInput = el(d, "input", "id", "flro-track", "data-role", "track-input", "autocomplete", "off", "spellcheck", "false", "placeholder", "Operation id or Location URL")
		track := appendAll(el(d, "form", "data-role", "track-form", "aria-label", "Track an existing operation", "novalidate", ""),
			appendAll(el(d, "div", "class", "flro-row"),
				v.field(fieldTrack, "Operation id, Location URL or resume token", v.trackInput, "flro-grow"),
				text(d, "button", "Track", "type", "submit", "data-role", "track")))
		track.On("submit", func() { a.track(v.trackInput.Value()) })
		// Folded: tracking an operation started elsewhere is the rarer task.
		forms.Append(appendAll(el(d, "details", "class", "flro-panel flro-track"),
			appendAll(el(d, "summary", "data-role", "track-summary"), text(d, "span", "Track an existing operation", "class", "flro-summary-title")),
			track))
	}

	v.storeErr = slot{n: el(d, "p", "class", "flro-storage-error", "data-role", "storage-error", "role", "alert")}
	v.storeShow = hiddenFlag(v.storeErr.n)
	root.Append(v.storeErr.n)

	// The list: a bar with the summary, the filters and Clear finished, then the rows.
	stateSel := el(d, "select", "data-role", "filter-state", "aria-label", "Show operations in state")
	for _, o := range [][2]string{{"", "All states"}, {stateRunning, "Running"}, {stateSucceeded, "Succeeded"}, {stateFailed, "Failed"}, {stateCancelled, "Cancelled or stopped"}} {
		stateSel.Append(text(d, "option", o[1], "value", o[0]))
	}
	kindSel := el(d, "select", "data-role", "filter-kind", "aria-label", "Show operations of kind")
	for _, o := range [][2]string{{"", "All kinds"}, {string(KindOperation), "Operations"}, {string(kindJob), "Jobs"}} {
		kindSel.Append(text(d, "option", o[1], "value", o[0]))
	}
	filter := func() { a.filter(stateSel.Value(), Kind(kindSel.Value())) }
	stateSel.On("change", filter)
	kindSel.On("change", filter)
	clearBtn := text(d, "button", "Clear finished", "type", "button", "class", "flro-secondary", "data-role", "clear-finished")
	clearBtn.On("click", a.clearFinished)
	v.clear = &flag{n: clearBtn, name: "disabled"}
	filters := appendAll(el(d, "div", "class", "flro-filters"), stateSel, kindSel, clearBtn)
	if a.cfg.Notices != nil {
		// Asked only from this click, never on load.
		notify := text(d, "button", "Notify me when operations end", "type", "button", "class", "flro-secondary", "data-role", "notify")
		notify.On("click", a.askToNotify)
		v.notify = hiddenFlag(notify)
		filters.Append(notify)
	}
	v.summary = slot{n: el(d, "p", "class", "flro-summary", "data-role", "summary", "aria-live", "polite")}
	bar := appendAll(el(d, "div", "class", "flro-listbar"),
		appendAll(el(d, "h2", "class", "flro-list-title"), text(d, "span", "Operations")), v.summary.n,
		filters)
	emptyNode := el(d, "p", "class", "flro-hint flro-empty", "data-role", "empty")
	v.empty, v.emptyText = hiddenFlag(emptyNode), slot{n: emptyNode}
	v.list = el(d, "ul", "class", "flro-list", "data-role", "cards", "aria-label", "Operations, newest first")
	root.Append(appendAll(el(d, "section", "class", "flro-ops", "aria-label", "Operations"), bar, emptyNode, v.list))
}

// suggestName proposes a display name that is new each second.
func suggestName(now time.Time) string { return "Demo " + now.Format("150405") }

// update renders the state; with a deadline (not zero) it stops creating and redrawing rows
// once the deadline passed, and reports that more is left for the next frame. Rows are drawn
// again when they changed, when they are on screen (their clock: "next check in", elapsed),
// or when a filter shows them again; a row off screen that did not change costs nothing.
func (v *view) update(a *App, now time.Time, deadline time.Time) (more bool) {
	if v.settings != nil {
		state := "API " + a.cfg.APIBase
		if a.cfg.HasToken() {
			state += " · token set"
		} else {
			state += " · no token yet"
		}
		v.setState.text(state)
		if v.conn.n != nil {
			switch {
			case a.testing:
				v.conn.text("Testing the connection…")
				v.connCause.attr("data-cause", "")
			case a.verdict != nil:
				v.conn.text(a.verdict.Words)
				v.connCause.attr("data-cause", a.verdict.Cause)
			}
		}
	}
	if v.wsSelect != nil {
		v.updateForms(a)
	}
	for name, f := range v.fieldErr {
		msg := a.fieldErrs[name]
		f.msg.text(msg)
		f.hidden.put(msg == "")
		f.invalid.put(msg != "")
	}
	if v.trackInput != nil && v.trackShown != a.trackOK {
		v.trackInput.SetValue("") // accepted: the field is ready for the next one
		v.trackShown = a.trackOK
	}

	if v.notify != nil {
		v.notify.put(a.cfg.Notices.Permission() != "default")
	}
	if err := a.eng.StorageError(); err != nil {
		e := errorFacts(err)
		if e.ErrorCode == codeStorageFull {
			v.storeErr.text(e.Message) // the running ones are saved: it says what is not
		} else {
			v.storeErr.text("Operations could not be saved in this browser, so they will not resume after a reload: " +
				describe(e) + ". Free some site storage (or allow it) for this page.")
		}
		v.storeShow.put(false)
	} else {
		v.storeShow.put(true)
	}

	// Rows: new ones go on top (the list is newest first); existing ones are updated in
	// place. A placeholder's row becomes its operation's row.
	for key, id := range a.rekey {
		if rv := v.rows[key]; rv != nil {
			delete(v.rows, key)
			rv.id = id
			v.rows[id] = rv
		}
		delete(a.rekey, key)
	}
	// Past the deadline, a frame still makes minRowsPerFrame new rows and redraws as many (a few): on
	// a machine so busy that the deadline passes while the page waits for a core, rows still
	// appear at a steady pace (and redrawing rows on screen never starves making new ones).
	made, drawn := 0, 0
	over := func(n int) bool {
		return !deadline.IsZero() && n >= minRowsPerFrame && time.Now().After(deadline)
	}
	a.busy = a.busyItems()
	defer func() { a.busy = nil }()
	all := a.allDirty
	a.allDirty = false
	var sum summary
	var newer Node // the row above the next one (the list is newest first)
	placed := 0
	for i := len(a.order) - 1; i >= 0; i-- {
		id := a.order[i]
		r := a.rows[id]
		st, kind := a.rowState(id, now)
		switch st {
		case stateRunning:
			sum.Running++
		case stateSucceeded:
			sum.Succeeded++
		case stateFailed:
			sum.Failed++
		default:
			sum.Cancelled++
		}
		shown := (a.stateF == "" || a.stateF == st) && (a.kindF == "" || a.kindF == kind)
		if shown {
			sum.Shown++
		}
		if all {
			r.dirty = true
		}
		rv := v.rows[id]
		fresh := rv == nil // drawn with its making, whatever the time
		if rv == nil {
			if over(made) {
				more = true
				continue
			}
			rv = newRowView(v.d, a, id)
			made++
			v.rows[id] = rv
			v.created++
			if newer == nil {
				v.list.Prepend(rv.root)
			} else {
				newer.After(rv.root)
			}
			r.dirty = true
		}
		placed++
		newer = rv.root
		rv.hidden.put(!shown)
		if shown && (r.dirty || rv.onScreen) {
			if !fresh && over(drawn) {
				more = more || r.dirty // a change is drawn in a later frame; a clock can wait
				continue
			}
			rv.update(a.card(id, now))
			drawn++
			r.dirty = false
		}
	}
	sum.Total = len(a.order)
	if len(v.rows) > placed {
		live := make(map[string]bool, len(a.order))
		for _, id := range a.order {
			live[id] = true
		}
		for id, rv := range v.rows {
			if !live[id] {
				rv.remove()
				delete(v.rows, id)
			}
		}
	}
	v.summary.text(sum.words())
	v.clear.put(sum.Succeeded+sum.Failed+sum.Cancelled == 0)
	switch {
	case sum.Total == 0 && (a.hasForm(formCreate) || a.hasForm(formTrack)):
		v.emptyText.text("No operations yet. Create an item or track an operation: each one gets a row here, newest first.")
	case sum.Total == 0:
		v.emptyText.text("No operations yet.")
	default:
		v.emptyText.text("No operation matches these filters.")
	}
	v.empty.put(sum.Shown != 0)
	if rv := v.rows[a.reveal]; rv != nil {
		// The response to a click: show its row, and take keyboard focus there unless the
		// user is typing in a field.
		rv.root.ScrollIntoView()
		if !v.d.TypingInField() {
			rv.toggle.Focus()
		}
		a.reveal = ""
	}
	return more
}

// updateForms brings the workspace picker and the suggested name up to date; a.mu is held.
func (v *view) updateForms(a *App) {
	for _, w := range a.workspaces[min(v.wsShown, len(a.workspaces)):] {
		label := w.DisplayName
		if label == "" {
			label = w.ID
		}
		v.wsSelect.Append(text(v.d, "option", label, "value", w.ID))
	}
	v.wsShown = len(a.workspaces)
	if a.selected != v.wsSelected {
		v.wsSelect.SetValue(a.selected)
		v.wsSelected = a.selected
	}
	v.wsMoreShown.put(a.wsNext == "")
	switch {
	case a.wsLoading:
		v.wsStatus.text("Loading workspaces…")
	case a.wsErr != nil:
		v.wsStatus.text("Could not list workspaces: " + describe(*a.wsErr))
	case a.wsLoaded && len(a.workspaces) == 0:
		v.wsStatus.text("No workspaces: create one in Fabric first.")
	case a.wsLoaded:
		more := ""
		if a.wsNext != "" {
			more = " (more available)"
		}
		v.wsStatus.text(fmt.Sprintf("%d workspaces%s", len(a.workspaces), more))
	default:
		v.wsStatus.text("")
	}
	if a.suggested != v.nameShown {
		// A new suggestion once the last one was used; what the user typed is kept.
		if cur := v.name.Value(); cur == "" || cur == v.nameShown {
			v.name.SetValue(a.suggested)
		}
		v.nameShown = a.suggested
	}
}

// rowView holds the nodes of one operation's row. Its details are built the first time
// they are opened, so a long list costs little.
type rowView struct {
	d         DOM
	a         *App
	id        string // the row's key: the operation id, or a placeholder's
	root      Node
	hidden    *flag
	cls, st   slot // class and data-status
	state     slot // data-state
	kind      slot // data-kind
	dataID    slot // data-id: the placeholder's key, then the operation id
	toggle    Node
	expanded  slot // aria-expanded
	label     slot
	words     slot
	fill      Node
	barClass  slot
	fillStyle slot
	barNow    slot
	pct       slot
	when      slot
	body      *bodyView
	card      Card
	onScreen  bool   // in or near the viewport: redrawn every frame
	unwatch   func() // stops following whether it is on screen
}

// shown is the row's key and the card it shows, for its event handlers: a render changes them
// under a.mu, from whichever goroutine changed the state.
func (rv *rowView) shown() (key string, c Card) {
	rv.a.mu.Lock()
	defer rv.a.mu.Unlock()
	return rv.id, rv.card
}

// key is the row's key, for its event handlers (see rowView.shown).
func (rv *rowView) key() string {
	key, _ := rv.shown()
	return key
}

// remove takes the row off the page.
func (rv *rowView) remove() {
	rv.unwatch()
	rv.root.Remove()
}

func newRowView(d DOM, a *App, id string) *rowView {
	// On screen until the page says otherwise (a page that cannot tell draws every row).
	rv := &rowView{d: d, a: a, id: id, onScreen: true}
	rv.root = el(d, "li", "class", "flro-op", "data-role", "card", "data-id", id)
	rv.hidden = hiddenFlag(rv.root)
	rv.cls, rv.st, rv.state, rv.kind, rv.dataID = slot{n: rv.root}, slot{n: rv.root}, slot{n: rv.root}, slot{n: rv.root}, slot{n: rv.root}
	label := el(d, "span", "class", "flro-label", "data-role", "label")
	words := el(d, "span", "class", "flro-status", "data-role", "status")
	rv.fill = el(d, "span", "class", "flro-fill")
	bar := appendAll(el(d, "span", "class", "flro-bar", "role", "progressbar", "aria-valuemin", "0", "aria-valuemax", "100", "data-role", "progress"), rv.fill)
	pct := el(d, "span", "class", "flro-pct", "data-role", "progress-text")
	when := el(d, "span", "class", "flro-when", "data-role", "elapsed")
	rv.label, rv.words, rv.pct, rv.when = slot{n: label}, slot{n: words}, slot{n: pct}, slot{n: when}
	rv.barClass, rv.fillStyle, rv.barNow = slot{n: bar}, slot{n: rv.fill}, slot{n: bar}
	rv.toggle = appendAll(el(d, "button", "type", "button", "class", "flro-toggle", "data-role", "toggle"),
		el(d, "span", "class", "flro-dot", "aria-hidden", "true"), label, words,
		appendAll(el(d, "span", "class", "flro-progress"), bar, pct), when)
	rv.expanded = slot{n: rv.toggle}
	rv.toggle.On("click", func() { a.toggle(rv.key()) })
	rv.root.Append(rv.toggle)
	rv.unwatch = d.OnScreen(rv.root, func(on bool) {
		a.mu.Lock()
		defer a.mu.Unlock()
		rv.onScreen = on
		if on {
			a.touch(rv.id) // it may have changed while off screen
			a.render()
		}
	})
	return rv
}

func (rv *rowView) update(c Card) {
	rv.card = c
	rv.dataID.attr("data-id", rv.id)
	rv.cls.attr("class", "flro-op "+c.StatusClass)
	rv.st.attr("data-status", c.Status)
	rv.state.attr("data-state", c.State)
	rv.kind.attr("data-kind", string(c.Kind))
	rv.expanded.attr("aria-expanded", strconv.FormatBool(c.Expanded))
	rv.label.text(c.Label)
	words := c.StatusWords
	if c.Waiting != "" {
		words += " · " + c.Waiting // why the next check is when it is, and how long until
	}
	rv.words.text(words)
	if c.ProgressIndeterminate {
		rv.barClass.attr("class", "flro-bar flro-indeterminate")
		rv.barNow.attr("aria-valuetext", "in progress, percentage unknown")
		rv.fillStyle.attr("style", "")
	} else {
		rv.barClass.attr("class", "flro-bar")
		rv.barNow.attr("aria-valuetext", c.ProgressText)
		rv.fillStyle.attr("style", fmt.Sprintf("width: %.0f%%", c.Progress))
	}
	rv.pct.text(c.ProgressText)
	rv.when.text(c.Elapsed)
	if c.Expanded && rv.body == nil {
		rv.body = newBodyView(rv)
		rv.root.Append(rv.body.root)
		rv.toggle.SetAttr("aria-controls", "flro-body-"+rv.id)
	}
	if rv.body != nil {
		rv.body.hidden.put(!c.Expanded)
		if c.Expanded {
			rv.body.update(c)
		}
	}
}

// bodyView holds the nodes of a row's details.
type bodyView struct {
	d      DOM
	root   Node
	hidden *flag

	next, started, ended, attempts slot
	idName, idText                 slot
	copyID                         *flag

	result                     *flag
	resName, resType, resID    slot
	itemLink, wsLink           slot
	itemLinkShow, wsLinkShow   *flag
	errBox                     *flag
	errCode, errMsg, errReq    slot
	copyReq                    *flag
	errMore                    Node
	errMoreShown               []string
	note                       slot
	noteShow                   *flag
	confirm                    *flag
	question, yes, no          slot
	runJob, cancel, retry, dis *flag
	runText                    slot
	runDisabled                *flag
}

func newBodyView(rv *rowView) *bodyView {
	d, a := rv.d, rv.a
	b := &bodyView{d: d}
	b.root = el(d, "div", "class", "flro-body", "id", "flro-body-"+rv.id, "data-role", "details")
	b.hidden = hiddenFlag(b.root)
	span := func(role string) slot { return slot{n: el(d, "span", "data-role", role)} }
	b.next, b.started, b.ended, b.attempts = span("next-check"), span("started"), span("ended"), span("attempts")

	copyID := text(d, "button", "Copy", "type", "button", "class", "flro-copy", "data-role", "copy-id", "aria-label", "Copy the id")
	copyID.On("click", func() { d.CopyText(rv.key()) })
	b.copyID = hiddenFlag(copyID)
	b.idName, b.idText = span("id-name"), slot{n: el(d, "code", "data-role", "id")}

	dd := func(role string) slot { return slot{n: el(d, "dd", "data-role", role)} }
	b.resName, b.resType, b.resID = dd("result-name"), dd("result-type"), dd("result-id")
	itemLink := text(d, "a", "Open in Fabric", "data-role", "open-item", "target", "_blank", "rel", "noopener noreferrer")
	wsLink := text(d, "a", "Open the workspace", "data-role", "open-workspace", "target", "_blank", "rel", "noopener noreferrer")
	b.itemLink, b.wsLink = slot{n: itemLink}, slot{n: wsLink}
	b.itemLinkShow, b.wsLinkShow = hiddenFlag(itemLink), hiddenFlag(wsLink)
	resBox := appendAll(el(d, "dl", "class", "flro-result", "data-role", "result"),
		text(d, "dt", "Item"), b.resName.n, text(d, "dt", "Type"), b.resType.n, text(d, "dt", "Item id"), b.resID.n)
	b.result = hiddenFlag(resBox)

	b.errCode = slot{n: el(d, "dd", "class", "flro-code", "data-role", "error-code")}
	b.errMsg = dd("error-message")
	b.errReq = slot{n: el(d, "code", "data-role", "error-request-id")}
	copyReq := text(d, "button", "Copy", "type", "button", "class", "flro-copy", "data-role", "copy-request-id", "aria-label", "Copy the request id")
	copyReq.On("click", func() {
		if _, c := rv.shown(); c.Error != nil {
			d.CopyText(c.Error.RequestID)
		}
	})
	b.copyReq = hiddenFlag(copyReq)
	b.errMore = text(d, "ul", "none", "class", "flro-more", "data-role", "error-details")
	errBox := appendAll(el(d, "dl", "class", "flro-error", "data-role", "error"),
		text(d, "dt", "Error code"), b.errCode.n,
		text(d, "dt", "Message"), b.errMsg.n,
		text(d, "dt", "Request id"), appendAll(el(d, "dd"), b.errReq.n, copyReq),
		text(d, "dt", "More details"), appendAll(el(d, "dd"), b.errMore))
	b.errBox = hiddenFlag(errBox)
	note := el(d, "p", "class", "flro-note", "data-role", "note")
	b.note, b.noteShow = slot{n: note}, hiddenFlag(note)

	yes := el(d, "button", "type", "button", "data-role", "confirm-yes", "class", "flro-danger")
	no := el(d, "button", "type", "button", "data-role", "confirm-no", "class", "flro-secondary")
	question := el(d, "p", "data-role", "question")
	yes.On("click", func() {
		switch id, c := rv.shown(); c.Confirm {
		case "cancel":
			a.confirmCancel(id)
		case "dismiss":
			a.confirmDismiss(id)
		}
	})
	no.On("click", func() { a.keepIt(rv.key()) })
	confirm := appendAll(el(d, "div", "class", "flro-confirm", "data-role", "confirm", "role", "alertdialog", "aria-label", "Confirm"),
		question, appendAll(el(d, "div", "class", "flro-buttons"), yes, no))
	b.confirm, b.question, b.yes, b.no = hiddenFlag(confirm), slot{n: question}, slot{n: yes}, slot{n: no}

	runJob := el(d, "button", "type", "button", "class", "flro-secondary", "data-role", "run-job")
	runJob.On("click", func() {
		if _, c := rv.shown(); c.Result != nil {
			a.runJob(c.workspaceID(), c.Result.ID, c.Result.Type, c.Result.Name)
		}
	})
	b.runJob, b.runText, b.runDisabled = hiddenFlag(runJob), slot{n: runJob}, &flag{n: runJob, name: "disabled"}
	cancel := text(d, "button", "Cancel run", "type", "button", "class", "flro-secondary", "data-role", "cancel")
	cancel.On("click", func() { a.cancel(rv.key()) })
	retry := text(d, "button", "Retry", "type", "button", "data-role", "retry")
	retry.On("click", func() { a.retry(rv.key()) })
	dismiss := text(d, "button", "Dismiss", "type", "button", "class", "flro-secondary", "data-role", "dismiss", "aria-label", "Dismiss from this list")
	dismiss.On("click", func() { a.dismiss(rv.key()) })
	b.cancel, b.retry, b.dis = hiddenFlag(cancel), hiddenFlag(retry), hiddenFlag(dismiss)

	appendAll(b.root,
		appendAll(el(d, "p", "class", "flro-meta"), b.next.n, b.started.n, b.ended.n, b.attempts.n),
		appendAll(el(d, "p", "class", "flro-id"), b.idName.n, b.idText.n, copyID),
		resBox, errBox, note, confirm,
		appendAll(el(d, "div", "class", "flro-actions"), itemLink, wsLink, runJob, retry, cancel, dismiss))
	return b
}

func (b *bodyView) update(c Card) {
	b.next.text(c.NextCheck)
	b.started.text(prefixed("started ", c.Started))
	b.ended.text(prefixed("ended ", c.Ended))
	b.attempts.text(c.Attempts)
	switch {
	case c.Sending:
		b.idText.text("… (sending)")
	case c.CanRetry:
		b.idText.text("none: the call did not start")
	case !hasOperationID(c.ID) && c.Kind == kindJob && c.Result != nil && c.Result.ID != "":
		// A list-form Location: the result, the job instance itself, names it.
		b.idText.text(c.Result.ID)
	case !hasOperationID(c.ID) && c.Kind == kindJob:
		b.idText.text("unknown here: Fabric's answer named the job list, not the run")
	case !hasOperationID(c.ID):
		// Fabric answered 200/201: there is no operation, only the engine's own name for the call.
		b.idText.text("none: Fabric answered at once")
	default:
		b.idText.text(c.ID)
	}
	b.copyID.put(c.Sending || c.CanRetry || !hasOperationID(c.ID))
	if c.Kind == kindJob {
		b.idName.text("Job instance id")
	} else {
		b.idName.text("Operation id")
	}

	b.result.put(c.Result == nil)
	if r := c.Result; r != nil {
		b.resName.text(orDash(r.Name))
		b.resType.text(orDash(typeName(r.Type)))
		b.resID.text(orDash(r.ID))
	}
	b.itemLink.attr("href", c.ItemURL)
	b.itemLinkShow.put(c.ItemURL == "")
	b.wsLink.attr("href", c.WorkspaceURL)
	b.wsLinkShow.put(c.WorkspaceURL == "")
	b.errBox.put(c.Error == nil)
	if e := c.Error; e != nil {
		b.errCode.text(orDash(e.ErrorCode))
		b.errMsg.text(orDash(e.Message))
		b.errReq.text(orDash(e.RequestID))
		b.copyReq.put(e.RequestID == "")
		if !equalStrings(b.errMoreShown, e.MoreDetails) {
			b.errMore.SetText("")
			for _, m := range e.MoreDetails {
				b.errMore.Append(text(b.d, "li", m))
			}
			if len(e.MoreDetails) == 0 {
				b.errMore.SetText("none")
			}
			b.errMoreShown = e.MoreDetails
		}
	}
	b.note.text(c.Note)
	b.noteShow.put(c.Note == "")
	b.confirm.put(c.Confirm == "")
	b.question.text(c.Question)
	switch c.Confirm {
	case "cancel":
		b.yes.text("Cancel run")
		b.no.text("Keep running")
	case "dismiss":
		b.yes.text("Dismiss")
		b.no.text("Keep watching")
	}
	b.runJob.put(c.RunWords == "")
	b.runText.text(c.RunWords)
	b.runDisabled.put(c.RunBusy)
	b.cancel.put(!c.CanCancel || c.Confirm != "")
	b.retry.put(!c.CanRetry)
	b.dis.put(c.Sending || c.Confirm != "")
}

// workspaceID is the workspace of the created item, read from the result.
func (c Card) workspaceID() string {
	if c.Result == nil {
		return ""
	}
	return gjson.Get(c.Result.Raw, "workspaceId").String()
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
