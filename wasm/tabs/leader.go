package tabs

import (
	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/wasm/dashboard"
)

// lead makes this member the leader: it starts the engine on what the group showed, takes
// over the list and broadcasts it, and settles its own calls the old leader left unanswered.
func (m *Member) lead() {
	m.mu.Lock()
	if m.leader != nil {
		m.mu.Unlock()
		return
	}
	shown := make([]dashboard.Snapshot, 0, len(m.order))
	for _, id := range m.order {
		shown = append(shown, m.snaps[id].snap)
	}
	m.mu.Unlock()
	l := m.opts.lead(shown)
	l.Subscribe(m.fromLeader)
	m.mu.Lock()
	m.leader, m.leaderID = l, m.opts.id
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

// fromLeader takes a snapshot the engine published: into the list, to local subscribers,
// and to the group (one message each: the engine publishes a few a second, as its request
// budget allows).
func (m *Member) fromLeader(s dashboard.Snapshot) {
	m.apply(s, true)
}

// resume makes a new leader's engine: a [dashboard.Tracker] on sched (the caller runs it)
// that resumes what opts.Storage saved, then every operation of shown (what the group showed
// until now) that it does not watch yet, from its resume token. Resuming sends no request
// by itself and never starts anything again: the operations are polled when they are due.
//
// A 429 pause the group was shown (an operation waiting, throttled, until a time still to
// come) holds for the new engine too: every request to the API base's host waits for it.
func resume(sched *lro.Scheduler, opts dashboard.TrackerOptions, shown []dashboard.Snapshot) *dashboard.Tracker {
	for _, s := range shown {
		if w := s.Waiting; w != nil && w.Reason == lro.WaitThrottled {
			sched.Client().PauseUntil(opts.APIBase, w.Until)
		}
	}
	tr := dashboard.NewTracker(sched, opts)
	for _, s := range shown {
		if s.ResumeToken == "" {
			continue // a saved operation that could not be resumed: the saved list keeps it
		}
		if _, ok := sched.Snapshot(s.ID); !ok {
			sched.Track(s.ResumeToken, s.Label) // a token the old leader resumed from cannot fail here
		}
	}
	return tr
}
