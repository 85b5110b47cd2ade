package lro

import (
	"context"
	"sync"
	"time"
)

// refresher makes token refreshes single-flight: when many requests get 401 TokenExpired at
// about the same time (every operation polled with the same expired token), they share one
// call of TokenSource.Token(ctx, true) instead of one each. A request whose stale token was
// already replaced by a finished refresh gets the replacement without refreshing again.
type refresher struct {
	mu       sync.Mutex
	inflight *refreshCall
	replaced map[string]string // stale token -> the token a refresh gave in its place
	failed   failedRefresh     // the last refresh that failed
}

// failedRefresh is a refresh that failed: requests refused with the same stale token within
// failedRefreshShared of it get its error instead of asking the token source again (they
// were refused together; asking again at once would only fail again).
type failedRefresh struct {
	stale string
	at    time.Time
	err   error
}

// failedRefreshShared is how long a failed refresh answers for its stale token.
const failedRefreshShared = time.Second

type refreshCall struct {
	done chan struct{}
	tok  string
	err  error
}

// maxReplaced bounds refresher.replaced: older entries are dropped (their requests then
// refresh once more, which is only slower).
const maxReplaced = 8

// refresh returns a new token for a request that was refused with stale. shared is true when
// the token came from another request's refresh: it may have expired since (a request that
// waited long, a short token lifetime), so a request refused again with it may refresh once
// more, with memo false.
func (r *refresher) refresh(ctx context.Context, src TokenSource, stale string, memo bool) (tok string, shared bool, err error) {
	r.mu.Lock()
	if f := r.failed; f.err != nil && f.stale == stale && time.Now().Sub(f.at) < failedRefreshShared {
		r.mu.Unlock()
		return "", true, f.err
	}
	if tok, ok := r.replaced[stale]; ok && memo {
		// Follow the chain to the newest token (a stale one may have been replaced twice).
		for range maxReplaced {
			next, ok := r.replaced[tok]
			if !ok {
				break
			}
			tok = next
		}
		r.mu.Unlock()
		return tok, true, nil
	}
	call := r.inflight
	leader := call == nil
	if leader {
		call = &refreshCall{done: make(chan struct{})}
		r.inflight = call
	}
	r.mu.Unlock()

	if leader {
		// The refresh outlives the request that started it: the others wait for it too.
		call.tok, call.err = src.Token(context.WithoutCancel(ctx), true)
		r.mu.Lock()
		r.inflight = nil
		if call.err != nil {
			r.failed = failedRefresh{stale: stale, at: time.Now(), err: call.err}
		} else {
			if r.replaced == nil || len(r.replaced) >= maxReplaced {
				r.replaced = map[string]string{}
			}
			r.replaced[stale] = call.tok
		}
		r.mu.Unlock()
		close(call.done)
	}
	select {
	case <-call.done:
		return call.tok, !leader, call.err
	case <-ctx.Done():
		return "", !leader, ctx.Err()
	}
}
