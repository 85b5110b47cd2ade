package lro

import (
	"container/heap"
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// Defaults for the zero values of [SchedulerOptions].
const (
	DefaultRequestsPerSecond = 5
	DefaultMaxInFlight       = 8
)

// SchedulerOptions configures a [Scheduler]. Zero values mean the documented defaults.
type SchedulerOptions struct {
	// RequestsPerSecond is the one request budget shared by every watched call (starts, polls,
	// result fetches and job cancels), enforced as a token bucket.
	// Default [DefaultRequestsPerSecond].
	RequestsPerSecond float64
	// Burst is how many requests may be sent back to back after a quiet period. Default 1.
	Burst int
	// MaxInFlight bounds the requests outstanding at once. Default [DefaultMaxInFlight].
	MaxInFlight int
}

// Scheduler watches many operations and jobs at once. Each call is polled at its due time
// (Retry-After honoured, never sooner), all of them share one request budget, a 429 on any call
// pauses every call to that host (the [Client]'s gate), and every change is published as a
// [Snapshot] to subscribers. Start it with [Scheduler.Run]; all methods are safe for
// concurrent use, also from subscriber callbacks.
//
// A 401 that the token source cannot fix (TokenExpired after the one refresh, or a token
// source error) does not end a call: it waits for a new token, its snapshot showing the
// error with Done false, and is polled again at its next due time (the client's
// DefaultRetryAfter, doubling on each such failure up to MaxRetryAfter) or at once after
// [Scheduler.Retry] or [Scheduler.RetryAll], which a UI calls when the user supplies a token.
type Scheduler struct {
	c      *Client
	opts   SchedulerOptions
	bucket gcra
	wake   chan struct{}

	mu       sync.Mutex
	entries  map[string]*entry
	order    []*entry
	seq      int // for generated ids
	added    int // entries ever added
	inFlight int
	running  bool
	subs     []subscriber
	subSeq   int
	queue    dueQueue        // watched calls waiting for their next request, earliest first
	pending  []Snapshot      // published but not yet delivered
	closing  []chan struct{} // done channels to close once pending is delivered
	sending  bool
}

type subscriber struct {
	id int
	fn func(Snapshot)
}

// entry is one watched call.
type entry struct {
	id, label string
	p         *Poller
	jobURL    string // kept for Cancel, which must not touch p while a poll is in flight
	extra     int    // requests sent for the call outside its poller (job cancels)
	snap      Snapshot
	busy      bool          // a Poll is in flight
	final     bool          // nothing more will be sent
	err       error         // the final error, if any
	authErr   error         // the last poll's 401 or token error, while waiting for a token
	authFails int           // consecutive polls that failed so
	done      chan struct{} // closed when final
	due       time.Time     // when it is next due, while queued
	index     int           // position in the queue, -1 when not queued
	seq       int           // order of addition, to break ties
}

// NewScheduler returns a scheduler that sends through c. Call [Scheduler.Run] to start polling.
func NewScheduler(c *Client, opts SchedulerOptions) *Scheduler {
	if opts.RequestsPerSecond <= 0 {
		opts.RequestsPerSecond = DefaultRequestsPerSecond
	}
	if opts.Burst <= 0 {
		opts.Burst = 1
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = DefaultMaxInFlight
	}
	return &Scheduler{
		c:       c,
		opts:    opts,
		bucket:  newGCRA(opts.RequestsPerSecond, opts.Burst),
		wake:    make(chan struct{}, 1),
		entries: map[string]*entry{},
	}
}

// Client returns the client the scheduler sends through.
func (s *Scheduler) Client() *Client { return s.c }

// Run polls every watched call when it is due until ctx is done, then waits for requests in
// flight to return and returns ctx's error. Calls added before Run starts are polled once it
// does. Only one Run may be active at a time (a second one returns an error at once); after
// Run returns, another Run continues where it stopped.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return errors.New("lro: Scheduler.Run is already running")
	}
	s.running = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running = false
		s.mu.Unlock()
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		next := s.dispatch(ctx, &wg)
		s.deliver()
		if err := s.idle(ctx, next); err != nil {
			return err
		}
	}
}

// dispatch starts a poll, on a goroutine of wg, of every call that is due, as far as
// MaxInFlight and the request budget allow, and returns when the next one will be (zero: no
// call waits).
func (s *Scheduler) dispatch(ctx context.Context, wg *sync.WaitGroup) (next time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for s.queue.Len() > 0 && s.inFlight < s.opts.MaxInFlight {
		e := s.queue[0]
		if e.due.After(now) {
			return e.due
		}
		// The host may have been paused by a 429 since e.due was computed.
		if g := s.c.gateOf(e.p.host()); g.After(now) {
			e.due = g
			heap.Fix(&s.queue, 0)
			s.update(e) // its snapshot now says it waits out the pause
			continue
		}
		if w := s.bucket.take(now); w > 0 {
			return now.Add(w)
		}
		heap.Pop(&s.queue)
		e.busy = true
		s.inFlight++
		authFails := e.authFails
		wg.Go(func() { s.poll(ctx, e, authFails) })
	}
	return time.Time{}
}

// idle waits until next (if not zero), a call of poke, or the end of ctx, whose error it
// returns.
func (s *Scheduler) idle(ctx context.Context, next time.Time) error {
	var fire <-chan time.Time
	if !next.IsZero() {
		timer := time.NewTimer(time.Until(next))
		defer timer.Stop()
		fire = timer.C
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-s.wake:
	case <-fire:
	}
	return nil
}

// schedule puts e in the queue at its poller's next poll time. s.mu is held.
func (s *Scheduler) schedule(e *entry) {
	if e.final || e.busy {
		return
	}
	e.due = e.p.NextPollAt()
	if e.index >= 0 {
		heap.Fix(&s.queue, e.index)
	} else {
		heap.Push(&s.queue, e)
	}
}

// unschedule takes e out of the queue. s.mu is held.
func (s *Scheduler) unschedule(e *entry) {
	if e.index >= 0 {
		heap.Remove(&s.queue, e.index)
	}
}

// dueQueue is a min-heap of entries by due time (then by order of addition).
type dueQueue []*entry

func (q dueQueue) Len() int { return len(q) }
func (q dueQueue) Less(i, j int) bool {
	if !q[i].due.Equal(q[j].due) {
		return q[i].due.Before(q[j].due)
	}
	return q[i].seq < q[j].seq
}
func (q dueQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *dueQueue) Push(x any) {
	e := x.(*entry)
	e.index = len(*q)
	*q = append(*q, e)
}
func (q *dueQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	e.index = -1
	*q = old[:len(old)-1]
	return e
}

func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// poll runs one Poll of e and records the outcome; authFails is e's count of polls refused
// for want of a token so far. The poller is this goroutine's until e.busy is cleared under the
// lock, so everything it does to the poller (the poll, a wait for a token, the JSON of its
// state) happens before, outside the lock.
func (s *Scheduler) poll(ctx context.Context, e *entry, authFails int) {
	err := e.p.Poll(ctx)
	// The token expired and the token source could not renew it: wait for a new token
	// (Retry, RetryAll) or try again later; never end the call for it.
	waitForToken := err != nil && ctx.Err() == nil && isAuthError(err)
	if waitForToken {
		e.p.pollAt(time.Now().Add(s.authBackoff(authFails + 1)))
	}
	e.p.encode()
	s.mu.Lock()
	e.busy = false
	s.inFlight--
	if e.jobURL != "" {
		e.jobURL = e.p.URL() // a list-form Location gives way to the instance's URL
	}
	if !e.final {
		switch {
		case err != nil && ctx.Err() != nil:
			// Shutting down: the call stays as it was, queued for a later Run.
			s.schedule(e)
		case waitForToken:
			e.authErr = err
			e.authFails = authFails + 1
			s.update(e)
			s.schedule(e)
		case err != nil && !IsRetryable(err):
			s.finish(e, err)
		case e.p.Done():
			_, rerr := e.p.Result()
			s.finish(e, rerr)
		default:
			if err == nil {
				e.authErr, e.authFails = nil, 0
			}
			s.update(e)
			s.schedule(e)
		}
	}
	s.mu.Unlock()
	s.deliver()
	s.poke()
}

// isAuthError reports whether err means the call needs a new token: a 401 that survived the
// one refresh (TokenExpired and friends), or a token source that failed.
func isAuthError(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.StatusCode == 401 || e.ErrorCode == string(CodeTokenUnavailable))
}

// authBackoff is the wait before polling again after n consecutive auth failures: the
// client's DefaultRetryAfter, doubling, at most its MaxRetryAfter.
func (s *Scheduler) authBackoff(n int) time.Duration {
	d, limit := s.c.opts.DefaultRetryAfter, s.c.opts.MaxRetryAfter
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
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

// acquire waits for one request from the shared budget.
func (s *Scheduler) acquire(ctx context.Context) error {
	for {
		s.mu.Lock()
		w := s.bucket.take(time.Now())
		s.mu.Unlock()
		if w == 0 {
			return nil
		}
		if err := sleep(ctx, w); err != nil {
			return err
		}
	}
}

// gcra is a token bucket in its "generic cell rate algorithm" form: exact integer time
// arithmetic, so fake time (testing/synctest) sees exactly rate requests per second.
type gcra struct {
	interval time.Duration // one request's worth of time
	slack    time.Duration // (burst-1) * interval
	tat      time.Time     // theoretical arrival time of the next request
}

func newGCRA(rate float64, burst int) gcra {
	iv := time.Duration(float64(time.Second) / rate)
	if iv <= 0 {
		iv = 1
	}
	return gcra{interval: iv, slack: time.Duration(burst-1) * iv}
}

// take spends one request at now if the budget allows (returning 0), or returns how long to
// wait before it would.
func (g *gcra) take(now time.Time) time.Duration {
	if g.tat.Before(now) {
		g.tat = now
	}
	if w := g.tat.Add(-g.slack).Sub(now); w > 0 {
		return w
	}
	g.tat = g.tat.Add(g.interval)
	return 0
}

// cancelJob sends POST {jobURL}/cancel and returns how many requests were sent.
func (c *Client) cancelJob(ctx context.Context, jobURL string) (int, error) {
	if isJobListURL(jobURL) {
		return 0, &Error{ErrorCode: string(CodeJobInstanceNotKnownYet), Message: "the job's instance is not known yet: Fabric answered its start with the list of the item's job instances, and no poll has found the instance in it yet", Retryable: true}
	}
	u := jobURL
	if i := indexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	if err := c.waitGate(ctx, u); err != nil {
		return 0, err
	}
	_, sent, err := c.exchange(ctx, &Request{Method: "POST", URL: u + "/cancel"})
	return sent, err
}
