package emulator

// The long running operation routes: state and result.

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// tooSoon is the 429 of StrictRetryAfter for a poll before notBefore. Call with s.mu held.
func (s *Server) tooSoon(now, notBefore time.Time) *apiError {
	if !s.set.StrictRetryAfter || !now.Before(notBefore) {
		return nil
	}
	return newAPIError(http.StatusTooManyRequests, "RequestBlocked",
		fmt.Sprintf("Request is blocked by the upstream service until: %s (UTC): it polled sooner than the Retry-After of the previous answer (the emulator runs with StrictRetryAfter). Wait Retry-After seconds between polls.",
			notBefore.UTC().Format("1/2/2006 3:04:05 PM"))).
		withRetryAfter(retryAfterSeconds(notBefore.Sub(now)))
}

func (s *Server) lookupOperation(r *http.Request) (*operation, *apiError) {
	id := r.PathValue("op")
	op := s.ops[strings.ToLower(id)]
	if op == nil {
		return nil, newAPIError(http.StatusNotFound, "OperationNotFound",
			fmt.Sprintf("The operation %s was not found. Use the Location or x-ms-operation-id of the 202 that started it; the emulator forgets operations when it restarts or is reset.", id)).
			about(id, "Operation")
	}
	return op, nil
}

func (s *Server) getOperation(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(now)
	op, e := s.lookupOperation(r)
	if e != nil {
		fail(w, r, e)
		return
	}
	if e := s.tooSoon(now, op.notBefore); e != nil {
		fail(w, r, e)
		return
	}
	st := op.state(now)
	self := callOf(r).base + "/v1/operations/" + op.id
	w.Header().Set("x-ms-operation-id", op.id)
	switch st.Status {
	case statusSucceeded:
		if op.hasResult {
			w.Header().Set("Location", self+"/result")
		}
	case statusFailed:
	default:
		ra := retryAfterSeconds(op.retryAfter)
		w.Header().Set("Location", self)
		w.Header().Set("Retry-After", strconv.Itoa(ra))
		op.notBefore = now.Add(time.Duration(ra) * time.Second)
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) getOperationResult(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(now)
	op, e := s.lookupOperation(r)
	if e != nil {
		fail(w, r, e)
		return
	}
	switch {
	case !op.done:
		fail(w, r, newAPIError(http.StatusBadRequest, "OperationNotCompleted",
			fmt.Sprintf("The operation %s is %s; poll GET /v1/operations/%s until it has Succeeded, then fetch its result.", op.id, op.state(now).Status, op.id)).
			about(op.id, "Operation"))
	case op.err != nil:
		e := newAPIError(http.StatusBadRequest, "OperationFailed",
			fmt.Sprintf("The operation %s failed (%s), so it has no result; its error is in GET /v1/operations/%s.", op.id, op.err.ErrorCode, op.id)).
			about(op.id, "Operation")
		e.body.MoreDetails = []ErrorResponseDetails{{ErrorCode: op.err.ErrorCode, Message: op.err.Message, RelatedResource: op.err.RelatedResource}}
		fail(w, r, e)
	case !op.hasResult:
		fail(w, r, newAPIError(http.StatusBadRequest, "OperationHasNoResult",
			fmt.Sprintf("The operation %s succeeded but has no result; it answered without a Location header, so there is nothing to fetch.", op.id)).
			about(op.id, "Operation"))
	default:
		writeJSON(w, http.StatusOK, op.result)
	}
}
