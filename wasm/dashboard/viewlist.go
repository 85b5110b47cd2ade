package dashboard

import "time"

// buildStorageError makes the alert that says operations could not be saved.
func (v *view) buildStorageError() Node {
	v.storeErr = slot{n: el(v.d, "p", "class", "flro-storage-error", "data-role", "storage-error", "role", "alert")}
	v.storeShow = hiddenFlag(v.storeErr.n)
	return v.storeErr.n
}

// buildList makes the list: a bar with the summary, the filters and Clear finished (and
// "Notify me" when the page can notify), then the rows.
func (v *view) buildList(a *App) Node {
	d := v.d
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
	return appendAll(el(d, "section", "class", "flro-ops", "aria-label", "Operations"), bar, emptyNode, v.list)
}

// updateStorageError says why operations could not be saved, or hides the alert; a.mu is held.
func (v *view) updateStorageError(a *App) {
	err := a.eng.StorageError()
	v.storeShow.put(err == nil)
	if err == nil {
		return
	}
	e := errorFacts(err)
	if e.ErrorCode == codeStorageFull {
		v.storeErr.text(e.Message) // the running ones are saved: it says what is not
	} else {
		v.storeErr.text("Operations could not be saved in this browser, so they will not resume after a reload: " +
			describe(e) + ". Free some site storage (or allow it) for this page.")
	}
}

// frameWork is what one frame's render has made and drawn, against its deadline (zero: none).
// Past the deadline, a frame still makes minRowsPerFrame new rows and redraws as many (a few):
// on a machine so busy that the deadline passes while the page waits for a core, rows still
// appear at a steady pace (and redrawing rows on screen never starves making new ones).
type frameWork struct {
	deadline    time.Time
	made, drawn int
}

// over reports whether n rows made (or drawn) are enough for this frame.
func (f *frameWork) over(n int) bool {
	return !f.deadline.IsZero() && n >= minRowsPerFrame && time.Now().After(f.deadline)
}

// updateRows brings the rows up to date, newest first, and counts them by state. New rows go
// on top; existing ones are updated in place; a placeholder's row becomes its operation's row.
// Rows are drawn again when they changed, when they are on screen (their clock: "next check
// in", elapsed), or when a filter shows them again; a row off screen that did not change costs
// nothing. It reports whether rows are left for the next frame; a.mu is held.
func (v *view) updateRows(a *App, now, deadline time.Time) (sum summary, more bool) {
	v.rekey(a)
	a.busy = a.busyItems()
	defer func() { a.busy = nil }()
	all := a.allDirty
	a.allDirty = false
	f := &frameWork{deadline: deadline}
	var newer Node // the row above the next one (the list is newest first)
	placed := 0
	for i := len(a.order) - 1; i >= 0; i-- {
		id := a.order[i]
		r := a.rows[id]
		st, kind := a.rowState(id, now)
		shown := sum.count(st, kind, a.stateF, a.kindF)
		r.dirty = r.dirty || all
		rv := v.rows[id]
		fresh := rv == nil // drawn with its making, whatever the time
		if fresh {
			if f.over(f.made) {
				more = true
				continue
			}
			rv = v.newRow(a, id, newer)
			f.made++
			r.dirty = true
		}
		placed++
		newer = rv.root
		rv.hidden.put(!shown)
		if !shown || !r.dirty && !rv.onScreen {
			continue
		}
		if !fresh && f.over(f.drawn) {
			more = more || r.dirty // a change is drawn in a later frame; a clock can wait
			continue
		}
		rv.update(a.card(id, now))
		f.drawn++
		r.dirty = false
	}
	sum.Total = len(a.order)
	if len(v.rows) > placed {
		v.dropGone(a)
	}
	return sum, more
}

// rekey gives the rows of placeholders whose call was answered their operation's id; a.mu is
// held.
func (v *view) rekey(a *App) {
	for key, id := range a.rekey {
		if rv := v.rows[key]; rv != nil {
			delete(v.rows, key)
			rv.id = id
			v.rows[id] = rv
		}
		delete(a.rekey, key)
	}
}

// newRow makes the row of id and puts it under newer (on top when newer is nil).
func (v *view) newRow(a *App, id string, newer Node) *rowView {
	rv := newRowView(v.d, a, id)
	v.rows[id] = rv
	if newer == nil {
		v.list.Prepend(rv.root)
	} else {
		newer.After(rv.root)
	}
	return rv
}

// dropGone takes the rows of operations no longer listed off the page; a.mu is held.
func (v *view) dropGone(a *App) {
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

// updateSummary writes the line that counts the rows, Clear finished's state and what an
// empty list says; a.mu is held.
func (v *view) updateSummary(a *App, sum summary) {
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
}

// reveal shows the row a click asked for (a.reveal), and takes keyboard focus there unless the
// user is typing in a field; a.mu is held.
func (v *view) reveal(a *App) {
	rv := v.rows[a.reveal]
	if rv == nil {
		return
	}
	rv.root.ScrollIntoView()
	if !v.d.TypingInField() {
		rv.toggle.Focus()
	}
	a.reveal = ""
}
