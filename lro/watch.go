package lro

import (
	"context"
	"slices"
	"time"
)

// Add sends the request that starts a long-running call (see [Client.Start]), charged to the
// shared budget, and watches the result under label. A call that answered 200 or 201 is
// watched as already done. If the start itself fails (for example 400 or 403), Add returns the
// *Error and watches nothing.
func (s *Scheduler) Add(ctx context.Context, req *Request, label string) (Snapshot, error) {
	if err := s.acquire(ctx); err != nil {
		return Snapshot{}, err
	}
	p, _, err := s.c.start(ctx, req)
	if err != nil {
		return Snapshot{}, err
	}
	return s.watch(p, label), nil
}

// Track watches a call started elsewhere or earlier, from a resume token, a Location URL or a
// bare operation id (see [Client.Resume]); to hand over a [Poller], track its
// [Poller.ResumeToken]. Tracking a call that is already watched (same Fabric id) returns its
// current snapshot while it runs; once it has finished, the new call replaces it (Fabric never
// reuses an id, so the old entry is stale). Add behaves the same. Track sends nothing itself.
func (s *Scheduler) Track(token, label string) (Snapshot, error) {
	p, err := s.c.Resume(token)
	if err != nil {
		return Snapshot{}, err
	}
	return s.watch(p, label), nil
}

// watch adds p, which the scheduler then owns, unless a call with its id is watched and
// running (see Track).
func (s *Scheduler) watch(p *Poller, label string) Snapshot {
	p.encode() // the poller is not the scheduler's yet: its JSON is made outside the lock
	s.mu.Lock()
	id := p.ID()
	if old, ok := s.entries[id]; ok && id != "" {
		if !old.final {
			sn := old.snap
			s.mu.Unlock()
			return sn
		}
		// Fabric never reuses an id, so a finished entry with the new call's id is stale
		// (a restarted emulator, a list saved long ago): the new call replaces it.
		delete(s.entries, id)
		s.unschedule(old)
		s.order = slices.DeleteFunc(s.order, func(x *entry) bool { return x == old })
	}
	if id == "" {
		for {
			s.seq++
			id = "call-" + itoa(s.seq)
			if _, taken := s.entries[id]; !taken {
				break
			}
		}
	}
	s.added++
	e := &entry{id: id, label: label, p: p, done: make(chan struct{}), index: -1, seq: s.added}
	if p.Kind() == KindJob {
		e.jobURL = p.URL()
	}
	s.entries[id] = e
	s.order = append(s.order, e)
	if p.Done() {
		_, err := p.Result()
		s.finish(e, err)
	} else {
		s.update(e)
		s.schedule(e)
	}
	sn := e.snap
	s.mu.Unlock()
	s.deliver()
	s.poke()
	return sn
}

// Wait blocks until the call with this id ends (or ctx is done; a call waiting for a new
// token has not ended) and returns its final snapshot,
// which subscribers have received by then, and its error: nil on success, otherwise the
// *Error of the failed operation or job ([CodeJobCancelled], [CodeJobDeduped], ...), of the
// request that could not be retried, or of cancelled watching.
func (s *Scheduler) Wait(ctx context.Context, id string) (Snapshot, error) {
	s.mu.Lock()
	e, ok := s.entries[id]
	s.mu.Unlock()
	if !ok {
		return Snapshot{}, notTracked(id)
	}
	select {
	case <-ctx.Done():
		return Snapshot{}, ctx.Err()
	case <-e.done:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return e.snap, e.err
}

func notTracked(id string) *Error {
	return &Error{ErrorCode: string(CodeOperationNotTracked), Message: "no operation with id " + quoteStatus(id) + " is being watched"}
}

// Cancel ends a call. For a job that has not ended, it asks Fabric to cancel the job (POST
// .../cancel, charged to the budget) and keeps watching until Fabric reports the job's final
// status (normally Cancelled), so what is shown is what happened; an error such as
// JobAlreadyCompleted is returned and watching goes on. For an operation, which Fabric cannot
// cancel, it stops watching: the call ends with error code WatchCancelled (the operation may
// still complete in Fabric; its resume token can track it again).
func (s *Scheduler) Cancel(ctx context.Context, id string) error {
	s.mu.Lock()
	e, ok := s.entries[id]
	if !ok {
		s.mu.Unlock()
		return notTracked(id)
	}
	if e.final {
		s.mu.Unlock()
		return nil
	}
	if e.jobURL == "" {
		s.finish(e, &Error{ErrorCode: string(CodeWatchCancelled), Message: "stopped watching; the operation may still complete in Fabric", Status: e.snap.Status})
		s.mu.Unlock()
		s.deliver()
		return nil
	}
	jobURL := e.jobURL
	s.mu.Unlock()
	if err := s.acquire(ctx); err != nil {
		return err
	}
	sent, err := s.c.cancelJob(ctx, jobURL)
	s.mu.Lock()
	e.extra += sent
	if !e.busy && !e.final { // otherwise the next snapshot shows it
		s.update(e)
	}
	s.mu.Unlock()
	s.deliver()
	return err
}

// Forget stops watching the call with this id and removes it, publishing nothing: the caller
// removes it from its own view. It does not cancel anything in Fabric.
func (s *Scheduler) Forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[id]
	if !ok {
		return
	}
	delete(s.entries, id)
	s.unschedule(e)
	s.order = slices.DeleteFunc(s.order, func(x *entry) bool { return x == e })
	if !e.final {
		e.final = true
		e.err = &Error{ErrorCode: string(CodeWatchCancelled), Message: "the operation was removed from the scheduler"}
		close(e.done)
	}
}

// Retry polls the call with this id as soon as the shared budget and any 429 pause allow, if
// it is waiting for a token: its last poll failed with 401 (for example TokenExpired) that the
// token source could not fix, so its snapshot shows that error (error.errorCode
// "TokenExpired") with Done false and a NextPollAt. Call it after the user supplied a new
// token; on success the error clears and polling goes on as before. For a call that is not
// waiting for a token Retry does nothing (Retry-After is still honoured); for an unknown id it
// returns an error with code OperationNotTracked.
func (s *Scheduler) Retry(id string) error {
	s.mu.Lock()
	e, ok := s.entries[id]
	s.mu.Unlock()
	if !ok {
		return notTracked(id)
	}
	s.retry([]*entry{e})
	return nil
}

// RetryAll does [Scheduler.Retry] for every call waiting for a token and returns how many
// there were. Call it once after the user supplied a new token.
func (s *Scheduler) RetryAll() int {
	s.mu.Lock()
	es := slices.Clone(s.order)
	s.mu.Unlock()
	return s.retry(es)
}

// retry makes those of es that wait for a token due now and returns how many there were.
// It claims them under the lock as a poll would (busy, out of the queue), moves their pollers
// outside it, and then queues them again.
func (s *Scheduler) retry(es []*entry) int {
	s.mu.Lock()
	var claimed []*entry
	for _, e := range es {
		if e.final || e.busy || e.authErr == nil {
			continue
		}
		e.busy = true
		s.unschedule(e)
		claimed = append(claimed, e)
	}
	s.mu.Unlock()
	now := time.Now()
	for _, e := range claimed {
		e.p.pollAt(now)
		e.p.encode()
	}
	s.mu.Lock()
	for _, e := range claimed {
		e.busy = false
		if !e.final {
			s.update(e)
			s.schedule(e)
		}
	}
	s.mu.Unlock()
	s.deliver()
	s.poke()
	return len(claimed)
}
