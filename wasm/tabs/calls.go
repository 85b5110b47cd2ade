package tabs

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/wasm/dashboard"
)

// call is one call this member forwarded to the leader.
type call struct {
	msg   message
	reply chan message
}

// CreateItem starts Create Item, in the leader's engine.
func (m *Member) CreateItem(ctx context.Context, workspaceID string, item dashboard.ItemRequest) (dashboard.Snapshot, error) {
	if l := m.leading(); l != nil {
		return l.CreateItem(ctx, workspaceID, item)
	}
	return m.forward(ctx, message{Call: callCreate, WS: workspaceID, Req: &item})
}

// RunJob starts an item job, in the leader's engine.
func (m *Member) RunJob(ctx context.Context, workspaceID, itemID, jobType, label string) (dashboard.Snapshot, error) {
	if l := m.leading(); l != nil {
		return l.RunJob(ctx, workspaceID, itemID, jobType, label)
	}
	return m.forward(ctx, message{Call: callJob, WS: workspaceID, Item: itemID, JobType: jobType, Label: label})
}

// Track watches an existing operation, in the leader's engine.
func (m *Member) Track(ctx context.Context, idOrLocation string) (dashboard.Snapshot, error) {
	if l := m.leading(); l != nil {
		return l.Track(ctx, idOrLocation)
	}
	return m.forward(ctx, message{Call: callTrack, Ref: idOrLocation})
}

// Cancel cancels a job (or stops watching an operation), in the leader's engine.
func (m *Member) Cancel(ctx context.Context, id string) error {
	if l := m.leading(); l != nil {
		return l.Cancel(ctx, id)
	}
	_, err := m.forward(ctx, message{Call: callCancel, Ref: id})
	return err
}

// Forget drops operations from every member's list (and from storage).
func (m *Member) Forget(ids ...string) {
	l := m.leading()
	if l != nil {
		l.Forget(ids...)
	}
	m.mu.Lock()
	gone, fns := m.dropLocked(ids)
	if l != nil && gone != nil {
		m.post(message{Kind: kindGone, IDs: gone}) // in the same hold: no snap of them can follow
	}
	m.mu.Unlock()
	for _, fn := range fns { // the dashboard removes them, which forgets them again: a no-op
		fn(gone...)
	}
	if l == nil && gone != nil {
		go m.forward(context.Background(), message{Call: callForget, IDs: gone})
	}
}

// RetryAll polls again at once every operation waiting for a token, in the leader's engine,
// and returns how many there are.
func (m *Member) RetryAll() int {
	if l := m.leading(); l != nil {
		return l.RetryAll()
	}
	n := 0
	for _, s := range m.Operations() {
		if s.Waiting != nil && s.Waiting.Reason == lro.WaitToken {
			n++
		}
	}
	go m.forward(context.Background(), message{Call: callRetry})
	return n
}

// StorageError is the leader's; a follower saves nothing.
func (m *Member) StorageError() error {
	if l := m.leading(); l != nil {
		return l.StorageError()
	}
	return nil
}

// Workspaces lists workspaces: the engine's when leading, else with this member's own token
// (see Open).
func (m *Member) Workspaces(ctx context.Context, continuationToken string) (dashboard.WorkspacePage, error) {
	if l := m.leading(); l != nil {
		return l.Workspaces(ctx, continuationToken)
	}
	return m.opts.workspaces(ctx, continuationToken)
}

// forward sends a call to the leader (or runs it here once this member leads) and waits for
// the reply.
func (m *Member) forward(ctx context.Context, msg message) (dashboard.Snapshot, error) {
	select {
	case <-m.ready:
	case <-ctx.Done():
		return dashboard.Snapshot{}, ctx.Err()
	}
	c := &call{msg: msg, reply: make(chan message, 1)}
	m.send(c)
	var r message
	select {
	case r = <-c.reply:
	case <-ctx.Done():
		m.mu.Lock()
		m.takeCall(c.msg.N)
		m.mu.Unlock()
		return dashboard.Snapshot{}, ctx.Err()
	}
	if err := r.replyError(); err != nil {
		return dashboard.Snapshot{}, err
	}
	if len(r.Snaps) == 0 {
		return dashboard.Snapshot{}, nil
	}
	s, _ := decode(r.Snaps[0])
	m.mu.Lock()
	e := m.snaps[s.ID]
	m.mu.Unlock()
	if e != nil {
		return e.snap, nil // the list is never older than a reply
	}
	m.apply(s, false)
	return s, nil
}

// send runs c here if this member leads, else posts it to the leader.
func (m *Member) send(c *call) {
	m.mu.Lock()
	if m.leader != nil {
		m.mu.Unlock()
		c.reply <- m.serve(c.msg)
		return
	}
	defer m.mu.Unlock()
	m.seq++
	c.msg.Kind, c.msg.N, c.msg.To = kindCall, m.seq, m.leaderID
	m.calls = append(m.calls, c)
	m.post(c.msg)
}

// resend sends a call the closed leader left unanswered to the new one, or fails a create or
// job run (see the package doc).
func (m *Member) resend(c *call) {
	if c.msg.Call == callCreate || c.msg.Call == callJob {
		c.reply <- message{Err: leaderClosed()}
		return
	}
	m.send(c)
}

// takeCalls empties the unanswered calls, oldest first; m.mu is held.
func (m *Member) takeCalls() []*call {
	out := m.calls
	m.calls = nil
	return out
}

// takeCall removes the unanswered call numbered n and returns it (nil if none); m.mu is held.
func (m *Member) takeCall(n int) *call {
	for i, c := range m.calls {
		if c.msg.N == n {
			m.calls = append(m.calls[:i:i], m.calls[i+1:]...)
			return c
		}
	}
	return nil
}

// answer serves a follower's call on this member's engine (it leads) and posts the reply.
func (m *Member) answer(msg message) {
	r := m.serve(msg)
	r.Kind, r.To, r.N = kindReply, msg.From, msg.N
	m.mu.Lock()
	m.post(r)
	m.mu.Unlock()
}

// serve runs a call on this member's engine (it leads) and returns the reply.
func (m *Member) serve(msg message) message {
	ctx := context.Background()
	l := m.leading()
	var s dashboard.Snapshot
	var err error
	switch msg.Call {
	case callCreate:
		if msg.Req == nil {
			msg.Req = &dashboard.ItemRequest{}
		}
		s, err = l.CreateItem(ctx, msg.WS, *msg.Req)
	case callJob:
		s, err = l.RunJob(ctx, msg.WS, msg.Item, msg.JobType, msg.Label)
	case callTrack:
		s, err = l.Track(ctx, msg.Ref)
	case callCancel:
		if err = l.Cancel(ctx, msg.Ref); err == nil {
			s, _ = m.Snapshot(msg.Ref)
		}
	case callForget:
		m.Forget(msg.IDs...)
	case callRetry:
		l.RetryAll()
	case callGet:
		if s, _ = m.Snapshot(msg.Ref); s.ID == "" {
			err = notTracked(msg.Ref)
		}
	}
	if err != nil {
		return errorReply(err)
	}
	return message{Snaps: m.listed(s)}
}

// listed is s as the reply to a call carries it: the list's own, never older than what was
// broadcast; nothing for no operation.
func (m *Member) listed(s dashboard.Snapshot) []json.RawMessage {
	if s.ID == "" {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.snaps[s.ID]; e != nil {
		return []json.RawMessage{e.raw}
	}
	return []json.RawMessage{encode(s)}
}

// errorReply is the reply that carries err to the member that forwarded the call, with the
// failure it wraps (lro wraps the failure of a start it did not send again, or of retries it
// gave up): the dashboard's words depend on both.
func errorReply(err error) message {
	e := asError(err)
	var cause *lro.Error
	if e.Err != nil && errors.As(e.Err, &cause) {
		return message{Err: e, Cause: cause}
	}
	return message{Err: e}
}

// replyError is the error a reply carries, as the leader had it (see errorReply), or nil.
func (r message) replyError() error {
	if r.Err == nil {
		return nil
	}
	if r.Cause != nil && r.Err.Err == nil {
		r.Err.Err = r.Cause
	}
	return r.Err
}

// asError is err as the lro.Error a follower's caller gets.
func asError(err error) *lro.Error {
	if e, ok := err.(*lro.Error); ok {
		return e
	}
	info := dashboard.ErrorOf(err)
	return &lro.Error{ErrorCode: info.ErrorCode, Message: info.Message}
}

func notTracked(id string) *lro.Error {
	return &lro.Error{ErrorCode: string(lro.CodeOperationNotTracked), Message: "no operation with id \"" + id + "\" is being watched"}
}

func leaderClosed() *lro.Error {
	return &lro.Error{ErrorCode: dashboard.CodeLeaderClosed, Message: "The tab that was sending this request to Fabric closed before Fabric answered."}
}
