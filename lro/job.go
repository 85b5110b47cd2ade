package lro

import (
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// jobVariant follows an item job instance: GET the job-instance URL (kept exactly as the
// start's Location gave it) until Completed, Failed, Cancelled or Deduped. A Completed job's
// result is the job instance itself.
type jobVariant struct{}

func (jobVariant) kind() Kind { return KindJob }

func (jobVariant) applies(_ *Response, location string) bool { return isJobURL(location) }

func (jobVariant) canResume(st pollState) bool { return st.Kind == KindJob }

func (jobVariant) build(_ *Client, _ *Response, location string) (pollState, error) {
	return pollState{Kind: KindJob, ID: lastSegment(location), URL: location}, nil
}

// isJobURL reports whether u looks like .../jobs/instances/{id} (or the older ...?jobType=X).
func isJobURL(u string) bool {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	return strings.Contains(strings.ToLower(u), "/jobs/instances")
}

func (jobVariant) update(p *Poller, req *Request, resp *Response, now time.Time) (pollState, time.Duration, error) {
	st := p.st
	if err := malformedState(p.c, req, resp, false); err != nil {
		return st, 0, err
	}
	body := gjson.ParseBytes(resp.Body)
	st.Status = body.Get("status").String()
	if v := body.Get("startTimeUtc"); v.Exists() {
		st.CreatedTimeUtc = v.String()
	}
	if v := body.Get("endTimeUtc"); v.Exists() {
		st.LastUpdatedTimeUtc = v.String()
	}
	if id := body.Get("id").String(); id != "" {
		st.ID = id
	}
	switch st.Status {
	case StatusCompleted:
		st.Done = true
		setResult(&st, resp.Body)
		return st, 0, nil
	case StatusFailed:
		st.Done = true
		st.Error = failure(body.Get("failureReason"), resp.StatusCode, StatusFailed, "JobFailed", "the job failed and Fabric gave no reason; open the item's run history in Fabric")
		return st, 0, nil
	case StatusCancelled:
		st.Done = true
		st.Error = &Error{StatusCode: resp.StatusCode, ErrorCode: CodeJobCancelled, Message: "the job was cancelled; run it again if it is still needed", Status: StatusCancelled}
		return st, 0, nil
	case StatusDeduped:
		st.Done = true
		st.Error = &Error{StatusCode: resp.StatusCode, ErrorCode: CodeJobDeduped, Message: "the job was skipped because the same job was already running; watch that run instead", Status: StatusDeduped}
		return st, 0, nil
	case StatusNotStarted, StatusInProgress:
	default:
		p.c.warn(st.ID, WarnUnknownStatus, "unknown job status "+quoteStatus(st.Status)+"; still polling")
	}
	return st, nextWait(p.c, &st, resp), nil
}
