package dashboard

import (
	"context"
	"slices"
	"strconv"
)

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
		if unanswered(err) && a.cfg.Probe != nil {
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

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
