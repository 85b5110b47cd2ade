package tabs

import (
	"encoding/json"

	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/wasm/dashboard"
)

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
	Cause   *lro.Error             `json:"cause,omitempty"` // the failure Err wraps (Err.Err is not in Err's JSON)
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

// wire is a snapshot as the group sends it: the JS API's snapshot JSON plus what a Go
// caller needs (Done, Stalled, the resume token; never a bearer token).
type wire struct {
	lro.Snapshot
	Done    bool   `json:"done,omitempty"`
	Stalled bool   `json:"stalled,omitempty"`
	Resume  string `json:"resume,omitempty"`
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

// receive takes one message from the channel. It never blocks: messages are handled in
// order on a goroutine of their own.
func (m *Member) receive(b []byte) {
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
		if json.Unmarshal(b, &msg) == nil && msg.From != m.opts.id {
			m.handle(msg)
		}
	}
}

// handle acts on one message (see the package doc).
func (m *Member) handle(msg message) {
	switch msg.Kind {
	case kindHello:
		m.mu.Lock()
		if m.leader != nil {
			m.post(m.stateLocked())
		}
		m.mu.Unlock()
	case kindState:
		m.takeState(msg)
	case kindSnap, kindGone:
		m.mu.Lock()
		fromLeader := m.leader == nil && msg.From == m.leaderID
		m.mu.Unlock()
		if fromLeader {
			m.take(msg.Snaps, msg.IDs)
		}
	case kindCall:
		if msg.To == m.opts.id && m.leading() != nil {
			go m.answer(msg)
		}
	case kindReply:
		if msg.To == m.opts.id {
			m.mu.Lock()
			c := m.takeCall(msg.N)
			m.mu.Unlock()
			if c != nil {
				c.reply <- msg
			}
		}
	case kindNeedToken:
		if m.opts.token != nil {
			go m.giveToken(msg)
		}
	case kindToken:
		m.takeToken(msg)
	}
}

// takeState replaces a follower's list with the leader's state. A state from another member
// than the one followed until now means a new leader: the old one's tab closed, and the calls
// it left unanswered are sent again (or fail, see resend).
func (m *Member) takeState(msg message) {
	m.mu.Lock()
	if m.leader != nil {
		m.mu.Unlock()
		return
	}
	var orphans []*call
	if m.leaderID != msg.From {
		if m.leaderID != "" {
			orphans = m.takeCalls()
		}
		m.leaderID = msg.From
	}
	listed := map[string]bool{}
	for _, raw := range msg.Snaps {
		if s, ok := decode(raw); ok {
			listed[s.ID] = true
		}
	}
	var gone []string
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
	for _, c := range orphans {
		m.resend(c)
	}
}

// stateLocked is the state message of the whole list; m.mu is held.
func (m *Member) stateLocked() message {
	msg := message{Kind: kindState, Snaps: make([]json.RawMessage, 0, len(m.order))}
	for _, id := range m.order {
		msg.Snaps = append(msg.Snaps, m.snaps[id].raw)
	}
	return msg
}
