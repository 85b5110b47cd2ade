// Package tabs lets every member of a group (the browser tabs of one origin, and every load()
// of the JS API in them, that use the same API base) share one engine: one request budget and
// one 429 pause. One member, the leader, runs the engine and polls Fabric; the others,
// followers, show the snapshots it broadcasts and forward what their user starts to it.
// [Open] makes a member for one load(); the [Member] it returns is the page's engine.
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

	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/wasm/dashboard"
)

// Channel posts messages to every other member of the group (a BroadcastChannel: never
// back to the member that posted). Post must not block.
type Channel interface {
	Post(msg []byte)
}

// Lock is the group's leadership (the Web Locks API): Request asks for it and calls granted
// once this member holds it, which it does until its tab goes away.
type Lock interface {
	Request(granted func())
}

// engine is what a member runs while it leads: a [dashboard.Tracker] in the page.
type engine interface {
	dashboard.Engine
	// Wait blocks until the operation ends and returns its final snapshot.
	Wait(ctx context.Context, id string) (dashboard.Snapshot, error)
}

// options configures a member.
type options struct {
	// id names this member in messages; unique in the group (a random string).
	id string
	// channel and lock connect the member to its group; with either nil the member leads
	// alone (a browser without BroadcastChannel or Web Locks: one engine per load()).
	channel Channel
	lock    Lock
	// lead starts the engine once this member leads. resume lists what the group showed
	// until then (with resume tokens): the engine must watch those too.
	lead func(resume []dashboard.Snapshot) engine
	// workspaces lists workspaces for a follower, with its own token: it is not polling and
	// is charged to no budget. A leader uses its engine's. Required with channel and lock.
	workspaces func(ctx context.Context, continuationToken string) (dashboard.WorkspacePage, error)
	// token is this member's own token source (the page's getToken), asked when another
	// member needs a token; nil: this member never gives one.
	token lro.TokenFunc
}

// Member is one member of a group: it implements [dashboard.Engine] (and Wait, Snapshot and
// OnRemove), leading or following, and can change from follower to leader at any time. Its
// methods are safe for concurrent use.
type Member struct {
	opts options

	mu       sync.Mutex
	leader   engine // set once this member leads
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

// newMember returns a member; start joins the group.
func newMember(opts options) *Member {
	return &Member{
		opts:   opts,
		snaps:  map[string]*entry{},
		ready:  make(chan struct{}),
		tokens: map[int]chan string{},
	}
}

// start joins the group: it says hello (the leader answers with its list) and asks for the
// lock. Alone (no channel or lock), it leads at once. m.ready is closed once the member
// knows the list.
func (m *Member) start() {
	if m.opts.channel == nil || m.opts.lock == nil {
		m.lead()
		return
	}
	m.mu.Lock()
	m.post(message{Kind: kindHello})
	m.mu.Unlock()
	m.opts.lock.Request(m.lead)
}

// post sends msg from this member; m.mu is held (so that posts keep their order).
func (m *Member) post(msg message) {
	if m.opts.channel == nil {
		return
	}
	msg.From = m.opts.id
	b, _ := json.Marshal(msg) // strings, snapshots and errors: cannot fail
	m.opts.channel.Post(b)
}

// setReady closes ready once; m.mu is held.
func (m *Member) setReady() {
	if !m.isReady {
		m.isReady = true
		close(m.ready)
	}
}

// leading returns the engine when this member leads, else nil.
func (m *Member) leading() engine {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.leader
}
