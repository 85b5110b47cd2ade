package tabs

import (
	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/wasm/dashboard"
)

// Resume makes a new leader's engine: a [dashboard.Tracker] on sched (the caller runs it)
// that resumes what opts.Storage saved, then every operation of resume (what the group showed
// until now) that it does not watch yet, from its resume token. Resuming sends no request
// by itself and never starts anything again: the operations are polled when they are due.
//
// A 429 pause the group was shown (an operation waiting, throttled, until a time still to
// come) holds for the new engine too: every request to the API base's host waits for it.
func Resume(sched *lro.Scheduler, opts dashboard.TrackerOptions, resume []dashboard.Snapshot) *dashboard.Tracker {
	for _, s := range resume {
		if w := s.Waiting; w != nil && w.Reason == lro.WaitThrottled {
			sched.Client().PauseUntil(opts.APIBase, w.Until)
		}
	}
	tr := dashboard.NewTracker(sched, opts)
	for _, s := range resume {
		if s.ResumeToken == "" {
			continue // a saved operation that could not be resumed: the saved list keeps it
		}
		if _, ok := sched.Snapshot(s.ID); !ok {
			sched.Track(s.ResumeToken, s.Label) // a token the old leader resumed from cannot fail here
		}
	}
	return tr
}
