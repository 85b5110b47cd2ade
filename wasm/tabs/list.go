package tabs

import (
	"context"
	"encoding/json"

	"github.com/fabric-lro/fabric-lro/wasm/dashboard"
)

// entry is one operation of the list: its snapshot and that snapshot as sent.
type entry struct {
	snap dashboard.Snapshot
	raw  json.RawMessage
}

// listener is one local subscriber: of snapshots (Subscribe) or of removals (OnRemove).
type listener struct {
	id   int
	snap func(dashboard.Snapshot)
	gone func(...string)
}

// apply puts s in the list and tells local subscribers, unless the list shows exactly that
// already; broadcast (the leader's) also posts it, in the same hold of m.mu.
func (m *Member) apply(s dashboard.Snapshot, broadcast bool) {
	raw := encode(s)
	m.mu.Lock()
	e, known := m.snaps[s.ID]
	if known && string(e.raw) == string(raw) {
		m.mu.Unlock()
		return
	}
	if !known {
		m.order = append(m.order, s.ID)
	}
	m.snaps[s.ID] = &entry{snap: s, raw: raw}
	if broadcast {
		m.post(message{Kind: kindSnap, Snaps: []json.RawMessage{raw}})
	}
	subs := m.subs
	m.mu.Unlock()
	for _, l := range subs {
		if l.snap != nil {
			l.snap(s)
		}
	}
}

// take applies the leader's snapshots, then removes ids from the list (telling the local
// OnRemove listeners).
func (m *Member) take(raws []json.RawMessage, ids []string) {
	for _, raw := range raws {
		if s, ok := decode(raw); ok {
			m.apply(s, false)
		}
	}
	m.mu.Lock()
	gone, fns := m.dropLocked(ids)
	m.mu.Unlock()
	for _, fn := range fns {
		fn(gone...)
	}
}

// dropLocked removes ids from the list and returns those it had, with the OnRemove
// listeners to tell (none when it had none); m.mu is held.
func (m *Member) dropLocked(ids []string) ([]string, []func(...string)) {
	var gone []string
	for _, id := range ids {
		if _, ok := m.snaps[id]; ok {
			delete(m.snaps, id)
			gone = append(gone, id)
		}
	}
	if len(gone) == 0 {
		return nil, nil
	}
	keep := m.order[:0]
	for _, id := range m.order {
		if m.snaps[id] != nil {
			keep = append(keep, id)
		}
	}
	m.order = keep
	var fns []func(...string)
	for _, l := range m.subs {
		if l.gone != nil {
			fns = append(fns, l.gone)
		}
	}
	return gone, fns
}

// Operations returns the group's list, in the order this member first saw each operation.
func (m *Member) Operations() []dashboard.Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]dashboard.Snapshot, len(m.order))
	for i, id := range m.order {
		out[i] = m.snaps[id].snap
	}
	return out
}

// Snapshot returns the current snapshot of one operation.
func (m *Member) Snapshot(id string) (dashboard.Snapshot, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.snaps[id]; e != nil {
		return e.snap, true
	}
	return dashboard.Snapshot{}, false
}

// Subscribe calls fn with every new snapshot of the group until the returned function is called.
func (m *Member) Subscribe(fn func(dashboard.Snapshot)) func() { return m.listen(listener{snap: fn}) }

// OnRemove calls fn with the ids of operations dismissed in another member (or forgotten
// here), until the returned function is called; the dashboard drops their rows.
func (m *Member) OnRemove(fn func(ids ...string)) func() { return m.listen(listener{gone: fn}) }

func (m *Member) listen(l listener) func() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.subSeq++
	l.id = m.subSeq
	m.subs = append(m.subs[:len(m.subs):len(m.subs)], l) // a new array: apply reads m.subs unlocked
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		var keep []listener
		for _, x := range m.subs {
			if x.id != l.id {
				keep = append(keep, x)
			}
		}
		m.subs = keep
	}
}

// Wait blocks until the operation ends, wherever it was started, and returns its final
// snapshot (an operation that ended in error too: its snapshot carries the error). An id the
// group does not watch is an error (OperationNotTracked).
func (m *Member) Wait(ctx context.Context, id string) (dashboard.Snapshot, error) {
	done := make(chan dashboard.Snapshot, 1)
	unsub := m.Subscribe(func(s dashboard.Snapshot) {
		if s.ID == id && s.Done {
			select {
			case done <- s:
			default:
			}
		}
	})
	defer unsub()
	s, ok := m.Snapshot(id)
	if !ok { // started in another tab a moment ago? The leader knows.
		var err error
		if s, err = m.forward(ctx, message{Call: callGet, Ref: id}); err != nil {
			return s, err
		}
	}
	if s.Done {
		return s, nil
	}
	select {
	case s = <-done:
		return s, nil
	case <-ctx.Done():
		return dashboard.Snapshot{}, ctx.Err()
	}
}
