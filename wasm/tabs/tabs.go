// Package tabs lets every member of a group (the browser tabs of one origin, and every load()
// of the JS API in them, that use the same API base) share one engine: one request budget and
// one 429 pause. One member, the leader, runs the engine and polls Fabric; the others,
// followers, show the snapshots it broadcasts and forward what their user starts to it.
//
// The browser gives the two things this needs, behind two small interfaces: a [Lock] (the Web
// Locks API: the member holding it leads; the browser hands it to the next member when the
// leader's tab closes or crashes) and a [Channel] (a BroadcastChannel). The protocol lives
// here, in plain Go, so that election, handover, de-duplication and ordering are tested
// without a browser; wasm/tabs_js.go is the thin binding.
//
// The protocol, as messages (JSON, field "k" names the kind):
//
//	hello      a member joined; the leader answers with state
//	state      the leader's whole list (it also says who leads); a follower replaces its list
//	snap       a snapshot the leader's engine published, in the order it did
//	gone       operations the leader stopped watching (dismissed in some member)
//	call       a follower asks the leader to create, run, track, cancel, forget, retry or get
//	reply      the leader's answer to one call: a snapshot or Fabric's error
//	needToken  the leader (or any member) has no token of its own: who has one?
//	token      one member's answer to needToken, addressed to the asker
//
// Ordering: a BroadcastChannel delivers one sender's messages in order; the leader posts
// while holding its lock, each message showing its list as it is at that moment, so a
// follower never goes back to an older snapshot. A follower takes snapshots only from the
// member that leads (the last one whose state it saw), so a message still in flight from a
// closed leader changes nothing after the next one took over.
//
// Handover: the new leader resumes every operation from the saved list (localStorage) and
// from the resume tokens the old leader broadcast (nothing is created again: resuming sends
// only polls), then broadcasts its state. A follower's call that the closed leader had not
// answered is sent again to the new one if repeating it is harmless (track, cancel, forget,
// retry, get); a create or job run is not (the closed tab may have sent it to Fabric): it
// fails with errorCode LeaderClosed, and the operation shows in the list if Fabric accepted it.
package tabs

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/wasm/dashboard"
)

// Channel posts messages to every other member of the group (a BroadcastChannel: never
// back to the member that posted). Post must not block; what arrives is given to
// [Member.Receive].
type Channel interface {
	Post(msg []byte)
}

// Lock is the group's leadership (the Web Locks API): Request asks for it and calls granted
// once this member holds it, which it does until its tab goes away.
type Lock interface {
	Request(granted func())
}

// Leader is the engine a member runs while it leads: a [dashboard.Tracker] in the page.
type Leader interface {
	dashboard.Engine
	// Wait blocks until the operation ends and returns its final snapshot.
	Wait(ctx context.Context, id string) (dashboard.Snapshot, error)
}

// Options configures a [Member].
type Options struct {
	// ID names this member in messages; unique in the group (a random string).
	ID string
	// Channel and Lock connect the member to its group; with either nil the member leads
	// alone (a browser without BroadcastChannel or Web Locks: one engine per load()).
	Channel Channel
	Lock    Lock
	// Lead starts the engine once this member leads. resume lists what the group showed
	// until then (with resume tokens): the engine must watch those too.
	Lead func(resume []dashboard.Snapshot) Leader
	// Workspaces lists workspaces for a follower, with its own token: it is not polling and
	// is charged to no budget. A leader uses its engine's. Required with Channel and Lock.
	Workspaces func(ctx context.Context, continuationToken string) (dashboard.WorkspacePage, error)
	// Token is this member's own token source (the page's getToken), asked when another
	// member needs a token; nil: this member never gives one.
	Token lro.TokenFunc
	// TokenWait bounds how long a member without a token waits for another to give one
	// (default DefaultTokenWait).
	TokenWait time.Duration
}

// DefaultTokenWait is Options.TokenWait's default.
const DefaultTokenWait = 3 * time.Second

// Member is one member of a group: it implements [dashboard.Engine] (and Wait), leading or
// following, and can change from follower to leader at any time. Its methods are safe for
// concurrent use.
type Member struct {
	opts Options

	mu       sync.Mutex
	leader   Leader // set once this member leads
	leaderID string // the member whose snapshots are taken ("" until one is heard)
	snaps    map[string]*entry
	order    []string
	subs     []listener // in the order they subscribed; replaced, never changed in place
	subSeq   int
	ready    chan struct{} // closed once the list is known: leading, or the leader's state seen
	isReady  bool
	calls    []*call // this member's calls the leader has not answered, oldest first
	tokens   map[int]chan string
	seq      int

	inMu     sync.Mutex
	inbox    [][]byte
	draining bool
}

// entry is one operation of the list: its snapshot and that snapshot as sent.
type entry struct {
	snap dashboard.Snapshot
	raw  json.RawMessage
}

// wire is a snapshot as the group sends it: the JS API's snapshot JSON plus what a Go
// caller needs (Done, Stalled, the resume token; never a bearer token).
type wire struct {
	lro.Snapshot
	Done    bool   `json:"done,omitempty"`
	Stalled bool   `json:"stalled,omitempty"`
	Resume  string `json:"resume,omitempty"`
}

// listener is one local subscriber: of snapshots (Subscribe) or of removals (OnRemove).
type listener struct {
	id   int
	snap func(dashboard.Snapshot)
	gone func(...string)
}

// call is one call this member forwarded to the leader.
type call struct {
	msg   message
	reply chan message
}

// message is every message of the protocol (see the package doc); unused fields are omitted.
type message struct {
	Kind    string                 `json:"k"`
	From    string                 `json:"f"`
	To      string                 `json:"to,omitempty"`
	N       int                    `json:"n,omitempty"`
	Call    string                 `json:"c,omitempty"`
	WS      string                 `json:"ws,omitempty"`
	Item    string                 `json:"item,omitempty"`
	JobType string                 `json:"jobType,omitempty"`
	Label   string                 `json:"label,omitempty"`
	Ref     string                 `json:"ref,omitempty"`
	Req     *dashboard.ItemRequest `json:"req,omitempty"`
	IDs     []string               `json:"ids,omitempty"`
	Snaps   []json.RawMessage      `json:"s,omitempty"`
	Err     *lro.Error             `json:"err,omitempty"`
	Token   string                 `json:"tok,omitempty"`
	Refresh bool                   `json:"refresh,omitempty"`
}

// Message kinds and calls.
const (
	kindHello, kindState, kindSnap, kindGone = "hello", "state", "snap", "gone"
	kindCall, kindReply                      = "call", "reply"
	kindNeedToken, kindToken                 = "needToken", "token"

	callCreate, callJob, callTrack, callCancel = "create", "job", "track", "cancel"
	callForget, callRetry, callGet             = "forget", "retry", "get"
)

// CodeLeaderClosed is the errorCode of a create or job run that a follower forwarded to a
// leader whose tab closed before it answered.
const CodeLeaderClosed = "LeaderClosed"

// New returns a member; call [Member.Start] to join the group.
func New(opts Options) *Member {
	return &Member{
		opts:   opts,
		snaps:  map[string]*entry{},
		ready:  make(chan struct{}),
		tokens: map[int]chan string{},
	}
}

// Start joins the group: it says hello (the leader answers with its list) and asks for the
// lock. Alone (no Channel or Lock), it leads at once.
func (m *Member) Start() {
	if m.opts.Channel == nil || m.opts.Lock == nil {
		m.lead()
		return
	}
	m.mu.Lock()
	m.post(message{Kind: kindHello})
	m.mu.Unlock()
	m.opts.Lock.Request(m.lead)
}

// Ready is closed once the member knows the list: it leads, or it saw the leader's state.
func (m *Member) Ready() <-chan struct{} { return m.ready }

// post sends msg from this member; m.mu is held (so that posts keep their order).
func (m *Member) post(msg message) {
	if m.opts.Channel == nil {
		return
	}
	msg.From = m.opts.ID
	b, _ := json.Marshal(msg) // strings, snapshots and errors: cannot fail
	m.opts.Channel.Post(b)
}

// setReady closes ready once; m.mu is held.
func (m *Member) setReady() {
	if !m.isReady {
		m.isReady = true
		close(m.ready)
	}
}

// lead makes this member the leader: it starts the engine on what the group showed, takes
// over the list and broadcasts it, and settles its own calls the old leader left unanswered.
func (m *Member) lead() {
	m.mu.Lock()
	if m.leader != nil {
		m.mu.Unlock()
		return
	}
	resume := make([]dashboard.Snapshot, 0, len(m.order))
	for _, id := range m.order {
		resume = append(resume, m.snaps[id].snap)
	}
	m.mu.Unlock()
	l := m.opts.Lead(resume)
	l.Subscribe(m.fromLeader)
	m.mu.Lock()
	m.leader, m.leaderID = l, m.opts.ID
	m.mu.Unlock()
	for _, s := range l.Operations() {
		m.apply(s, false)
	}
	m.mu.Lock()
	m.post(m.stateLocked())
	m.setReady()
	orphans := m.takeCalls()
	m.mu.Unlock()
	for _, c := range orphans {
		m.resend(c)
	}
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

func notTracked(id string) *lro.Error {
	return &lro.Error{ErrorCode: string(lro.CodeOperationNotTracked), Message: "no operation with id \"" + id + "\" is being watched; track it first"}
}

func leaderClosed() *lro.Error {
	return &lro.Error{ErrorCode: CodeLeaderClosed, Message: "The tab that was sending this request to Fabric closed before Fabric answered. " +
		"If Fabric accepted it, the operation shows in the list within a few seconds; otherwise start it again."}
}

// stateLocked is the state message of the whole list; m.mu is held.
func (m *Member) stateLocked() message {
	msg := message{Kind: kindState, Snaps: make([]json.RawMessage, 0, len(m.order))}
	for _, id := range m.order {
		msg.Snaps = append(msg.Snaps, m.snaps[id].raw)
	}
	return msg
}

// fromLeader takes a snapshot the engine published: into the list, to local subscribers,
// and to the group (one message each: the engine publishes a few a second, as its request
// budget allows).
func (m *Member) fromLeader(s dashboard.Snapshot) {
	m.apply(s, true)
}

func encode(s dashboard.Snapshot) json.RawMessage {
	b, _ := json.Marshal(wire{Snapshot: s, Done: s.Done, Stalled: s.Stalled, Resume: s.ResumeToken})
	return b
}

func decode(raw json.RawMessage) (dashboard.Snapshot, bool) {
	var w wire
	if err := json.Unmarshal(raw, &w); err != nil || w.ID == "" {
		return dashboard.Snapshot{}, false
	}
	s := w.Snapshot
	s.Done, s.Stalled, s.ResumeToken = w.Done, w.Stalled, w.Resume
	return s, true
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

// Receive takes one message from the channel. It never blocks: messages are handled in
// order on a goroutine of their own.
func (m *Member) Receive(b []byte) {
	m.inMu.Lock()
	m.inbox = append(m.inbox, b)
	start := !m.draining
	m.draining = true
	m.inMu.Unlock()
	if start {
		go m.drain()
	}
}

func (m *Member) drain() {
	for {
		m.inMu.Lock()
		if len(m.inbox) == 0 {
			m.draining = false
			m.inMu.Unlock()
			return
		}
		b := m.inbox[0]
		m.inbox = m.inbox[1:]
		m.inMu.Unlock()
		var msg message
		if json.Unmarshal(b, &msg) == nil && msg.From != m.opts.ID {
			m.handle(msg)
		}
	}
}

// handle acts on one message (see the package doc).
func (m *Member) handle(msg message) {
	m.mu.Lock()
	leading := m.leader != nil
	switch msg.Kind {
	case kindHello:
		if leading {
			m.post(m.stateLocked())
		}
		m.mu.Unlock()
	case kindState:
		if leading {
			m.mu.Unlock()
			return
		}
		var resend []*call
		if m.leaderID != msg.From {
			if m.leaderID != "" { // a new leader: the old one's tab closed
				resend = m.takeCalls()
			}
			m.leaderID = msg.From
		}
		listed := map[string]bool{}
		var gone []string
		for _, raw := range msg.Snaps {
			if s, ok := decode(raw); ok {
				listed[s.ID] = true
			}
		}
		for _, id := range m.order {
			if !listed[id] {
				gone = append(gone, id)
			}
		}
		m.mu.Unlock()
		m.take(msg.Snaps, gone)
		m.mu.Lock()
		m.setReady()
		m.mu.Unlock()
		for _, c := range resend {
			m.resend(c)
		}
	case kindSnap, kindGone:
		if leading || msg.From != m.leaderID {
			m.mu.Unlock()
			return
		}
		m.mu.Unlock()
		m.take(msg.Snaps, msg.IDs)
	case kindCall:
		m.mu.Unlock()
		if leading && msg.To == m.opts.ID {
			go func() {
				r := m.serve(msg)
				r.Kind, r.To, r.N = kindReply, msg.From, msg.N
				m.mu.Lock()
				m.post(r)
				m.mu.Unlock()
			}()
		}
	case kindReply:
		if msg.To == m.opts.ID {
			if c := m.takeCall(msg.N); c != nil {
				c.reply <- msg
			}
		}
		m.mu.Unlock()
	case kindNeedToken:
		m.mu.Unlock()
		if m.opts.Token != nil {
			go m.giveToken(msg)
		}
	case kindToken:
		if ch := m.tokens[msg.N]; msg.To == m.opts.ID && ch != nil {
			delete(m.tokens, msg.N)
			ch <- msg.Token
		}
		m.mu.Unlock()
	default:
		m.mu.Unlock()
	}
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

// serve runs a call on this member's engine (it leads) and returns the reply.
func (m *Member) serve(msg message) message {
	ctx := context.Background()
	m.mu.Lock()
	l := m.leader
	m.mu.Unlock()
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
	var r message
	if err != nil {
		r.Err = asError(err)
	} else if s.ID != "" {
		m.mu.Lock()
		if e := m.snaps[s.ID]; e != nil {
			r.Snaps = []json.RawMessage{e.raw} // the list's, never older than what was broadcast
		} else {
			r.Snaps = []json.RawMessage{encode(s)}
		}
		m.mu.Unlock()
	}
	return r
}

// asError is err as the lro.Error a follower's caller gets.
func asError(err error) *lro.Error {
	if e, ok := err.(*lro.Error); ok {
		return e
	}
	info := dashboard.ErrorOf(err)
	return &lro.Error{ErrorCode: info.ErrorCode, Message: info.Message}
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
	if r.Err != nil {
		return dashboard.Snapshot{}, r.Err
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

// engine returns the engine when this member leads.
func (m *Member) engine() Leader {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.leader
}

// CreateItem starts Create Item, in the leader's engine.
func (m *Member) CreateItem(ctx context.Context, workspaceID string, item dashboard.ItemRequest) (dashboard.Snapshot, error) {
	if l := m.engine(); l != nil {
		return l.CreateItem(ctx, workspaceID, item)
	}
	return m.forward(ctx, message{Call: callCreate, WS: workspaceID, Req: &item})
}

// RunJob starts an item job, in the leader's engine.
func (m *Member) RunJob(ctx context.Context, workspaceID, itemID, jobType, label string) (dashboard.Snapshot, error) {
	if l := m.engine(); l != nil {
		return l.RunJob(ctx, workspaceID, itemID, jobType, label)
	}
	return m.forward(ctx, message{Call: callJob, WS: workspaceID, Item: itemID, JobType: jobType, Label: label})
}

// Track watches an existing operation, in the leader's engine.
func (m *Member) Track(ctx context.Context, idOrLocation string) (dashboard.Snapshot, error) {
	if l := m.engine(); l != nil {
		return l.Track(ctx, idOrLocation)
	}
	return m.forward(ctx, message{Call: callTrack, Ref: idOrLocation})
}

// Cancel cancels a job (or stops watching an operation), in the leader's engine.
func (m *Member) Cancel(ctx context.Context, id string) error {
	if l := m.engine(); l != nil {
		return l.Cancel(ctx, id)
	}
	_, err := m.forward(ctx, message{Call: callCancel, Ref: id})
	return err
}

// Forget drops operations from every member's list (and from storage).
func (m *Member) Forget(ids ...string) {
	l := m.engine()
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
	if l := m.engine(); l != nil {
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
	if l := m.engine(); l != nil {
		return l.StorageError()
	}
	return nil
}

// Workspaces lists workspaces: the engine's when leading, else Options.Workspaces.
func (m *Member) Workspaces(ctx context.Context, continuationToken string) (dashboard.WorkspacePage, error) {
	if l := m.engine(); l != nil {
		return l.Workspaces(ctx, continuationToken)
	}
	return m.opts.Workspaces(ctx, continuationToken)
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

// TokenSource wraps this member's own token source: when it has no token (an error, or
// none), the member asks the group, and the first member that has one answers. The token
// crosses only the BroadcastChannel (same origin, in memory), and only on demand.
func (m *Member) TokenSource(own lro.TokenFunc) lro.TokenFunc {
	return func(ctx context.Context, refresh bool) (string, error) {
		tok, err := own(ctx, refresh)
		if err == nil && tok != "" || m.opts.Channel == nil {
			return tok, err
		}
		ch := make(chan string, 1)
		m.mu.Lock()
		m.seq++
		n := m.seq
		m.tokens[n] = ch
		m.post(message{Kind: kindNeedToken, N: n, Refresh: refresh})
		m.mu.Unlock()
		wait := m.opts.TokenWait
		if wait <= 0 {
			wait = DefaultTokenWait
		}
		select {
		case t := <-ch: // handle removed n
			return t, nil
		case <-time.After(wait):
		case <-ctx.Done():
		}
		m.mu.Lock()
		delete(m.tokens, n)
		m.mu.Unlock()
		if err == nil {
			err = errNoToken
		}
		return "", err
	}
}

var errNoToken = &lro.Error{ErrorCode: string(lro.CodeTokenUnavailable), Message: "getToken returned no token, and no other tab has one"}

// giveToken answers another member's needToken with this member's own token, if it has one.
func (m *Member) giveToken(ask message) {
	tok, err := m.opts.Token(context.Background(), ask.Refresh)
	if err != nil || tok == "" {
		return
	}
	m.mu.Lock()
	m.post(message{Kind: kindToken, To: ask.From, N: ask.N, Token: tok})
	m.mu.Unlock()
}
