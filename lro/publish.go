package lro

import "slices"

// subscriber is one callback given to Subscribe.
type subscriber struct {
	id int
	fn func(Snapshot)
}

// update refreshes e's snapshot from its poller and queues it if it changed. s.mu is held.
func (s *Scheduler) update(e *entry) {
	sn := e.snap // while a Poll is in flight the poller belongs to it: keep the last view
	if !e.busy {
		sn = e.p.Snapshot()
		sn.Attempts += e.extra
	}
	sn.ID, sn.Label = e.id, e.label
	if e.authErr != nil && !e.final {
		if sn.Error == nil {
			sn.Error = snapshotError(e.authErr)
		}
		if sn.Waiting != nil && sn.Waiting.Reason != WaitThrottled {
			sn.Waiting = &Waiting{Reason: WaitToken, Until: sn.Waiting.Until, Seconds: s.authBackoff(e.authFails).Seconds(), Error: snapshotError(e.authErr), Attempt: e.authFails}
		}
	}
	if e.final {
		sn.Done = true
		sn.NextPollAt, sn.Waiting = nil, nil
		if e.err != nil {
			sn.Error = snapshotError(e.err)
		}
	}
	if !equalSnapshot(sn, e.snap) {
		e.snap = sn
		s.pending = append(s.pending, sn)
	}
}

// finish marks e final with err (nil for success). s.mu is held.
func (s *Scheduler) finish(e *entry, err error) {
	s.unschedule(e)
	e.final = true
	e.err = err
	s.update(e)
	// Wait returns only once subscribers have seen the final snapshot.
	s.closing = append(s.closing, e.done)
}

// deliver hands queued snapshots to subscribers, in order, outside the lock. Only one
// goroutine delivers at a time; a call made from a subscriber queues and returns.
func (s *Scheduler) deliver() {
	s.mu.Lock()
	if s.sending {
		s.mu.Unlock()
		return
	}
	s.sending = true
	for len(s.pending) > 0 || len(s.closing) > 0 {
		q, closing := s.pending, s.closing
		s.pending, s.closing = nil, nil
		subs := slices.Clone(s.subs)
		s.mu.Unlock()
		for _, sn := range q {
			for _, sub := range subs {
				sub.fn(sn)
			}
		}
		for _, c := range closing {
			close(c)
		}
		s.mu.Lock()
	}
	s.sending = false
	s.mu.Unlock()
}

// Subscribe registers fn to receive every published [Snapshot], in order, until the returned
// function is called. fn runs on a scheduler goroutine and must not block for long; it may call
// the scheduler's methods (except blocking ones such as Wait). Subscribe does not replay the
// past: call [Scheduler.Snapshots] after subscribing to get the current view (a snapshot
// always replaces the previous one with the same ID, so overlap is harmless).
func (s *Scheduler) Subscribe(fn func(Snapshot)) (unsubscribe func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subSeq++
	id := s.subSeq
	s.subs = append(s.subs, subscriber{id: id, fn: fn})
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.subs = slices.DeleteFunc(s.subs, func(x subscriber) bool { return x.id == id })
	}
}

// Snapshots returns the current snapshot of every watched call, in the order they were added.
func (s *Scheduler) Snapshots() []Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Snapshot, len(s.order))
	for i, e := range s.order {
		out[i] = e.snap
	}
	return out
}

// Snapshot returns the current snapshot of the call with this id.
func (s *Scheduler) Snapshot(id string) (Snapshot, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[id]
	if !ok {
		return Snapshot{}, false
	}
	return e.snap, true
}
