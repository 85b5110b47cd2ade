package lro

import (
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// operationVariant follows a long-running operation: GET the state URL until Succeeded or
// Failed, then GET .../result once if (and only if) the final Location points there.
type operationVariant struct{}

func (operationVariant) kind() Kind { return KindOperation }

func (operationVariant) applies(resp *Response, location string) bool {
	return location != "" || resp.Header.Get("x-ms-operation-id") != ""
}

func (operationVariant) canResume(st pollState) bool { return st.Kind == KindOperation }

func (operationVariant) build(c *Client, resp *Response, location string) (pollState, error) {
	id := strings.TrimSpace(resp.Header.Get("x-ms-operation-id"))
	st := pollState{Kind: KindOperation, ID: id, URL: location}
	if st.URL == "" {
		st.URL = c.opts.BaseURL + "/v1/operations/" + id
	}
	if st.ID == "" {
		st.ID = operationIDFromURL(st.URL)
	}
	return st, nil
}

// operationIDFromURL returns the {id} of .../operations/{id}[/result], or the last segment.
func operationIDFromURL(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	parts := strings.Split(strings.TrimRight(u, "/"), "/")
	for i := len(parts) - 2; i >= 0; i-- {
		if strings.EqualFold(parts[i], "operations") {
			return parts[i+1]
		}
	}
	return parts[len(parts)-1]
}

func (operationVariant) update(p *Poller, req *Request, resp *Response, now time.Time) (pollState, time.Duration, error) {
	st := p.st
	if req.URL == st.ResultURL && st.Status == StatusSucceeded {
		// The result fetch: one request, then done.
		if err := malformedState(p.c, req, resp, true); err != nil {
			return st, 0, err
		}
		setResult(&st, resp.Body)
		st.Done = true
		return st, 0, nil
	}
	if err := malformedState(p.c, req, resp, false); err != nil {
		return st, 0, err
	}
	body := gjson.ParseBytes(resp.Body)
	st.Status = body.Get("status").String()
	readPercent(&st, body.Get("percentComplete"))
	if v := body.Get("createdTimeUtc"); v.Exists() {
		st.CreatedTimeUtc = v.String()
	}
	if v := body.Get("lastUpdatedTimeUtc"); v.Exists() {
		st.LastUpdatedTimeUtc = v.String()
	}
	if id := resp.Header.Get("x-ms-operation-id"); id != "" && st.ID == "" {
		st.ID = id
	}
	loc := ""
	if h := resp.Header.Get("Location"); strings.TrimSpace(h) != "" {
		var err error
		if loc, err = resolveLocation(req.URL, h); err != nil {
			return st, 0, err
		}
	}
	switch st.Status {
	case StatusSucceeded:
		if loc != "" && loc != req.URL {
			st.ResultURL = loc // fetch it next, right away: no Retry-After applies
			return st, 0, nil
		}
		st.Done = true
		return st, 0, nil
	case StatusFailed:
		st.Done = true
		st.Error = failure(body.Get("error"), resp.StatusCode, StatusFailed, string(CodeOperationFailed), "the operation failed and Fabric gave no error")
		return st, 0, nil
	case StatusNotStarted, StatusRunning, StatusUndefined:
	default:
		p.c.warn(st.ID, WarnUnknownStatus, "unknown operation status "+quoteStatus(st.Status)+"; still polling")
	}
	if loc != "" && !strings.HasSuffix(strings.SplitN(loc, "?", 2)[0], "/result") {
		st.URL = loc // the operation moved (a regional host); a result URL is no state to poll
	}
	return st, nextWait(p.c, &st, resp), nil
}

// readPercent stores percentComplete: a number, or nothing when absent or null.
func readPercent(st *pollState, v gjson.Result) {
	if v.Type == gjson.Number {
		f := v.Float()
		st.PercentComplete = &f
	} else if v.Exists() {
		st.PercentComplete = nil
	}
}

// failure builds the *Error of a failed operation or job from its ErrorResponse (if any).
func failure(v gjson.Result, httpStatus int, status, defCode, defMsg string) *Error {
	e, ok := parseErrorBody([]byte(v.Raw))
	if !ok {
		e = Error{ErrorCode: defCode, Message: defMsg}
	}
	if e.ErrorCode == "" {
		e.ErrorCode = defCode
	}
	e.StatusCode = httpStatus
	e.Status = status
	return &e
}

func quoteStatus(s string) string {
	if s == "" {
		return "(none)"
	}
	return `"` + s + `"`
}
