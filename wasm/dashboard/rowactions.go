package dashboard

import (
	"context"
	"slices"
	"strings"
)

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
