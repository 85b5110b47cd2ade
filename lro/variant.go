package lro

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// variant is one of Fabric's long-running protocols. Like the Azure SDK's pollers, every variant
// answers three questions: does this start response apply to me, can I resume from this
// token or URL, and build me from this response. It also interprets the answers to its polls.
type variant interface {
	kind() Kind
	// applies reports whether a 202 start response (with its resolved Location, maybe "")
	// begins this kind of call.
	applies(resp *Response, location string) bool
	// canResume reports whether st (decoded from a token, or guessed from a URL) is this kind.
	canResume(st pollState) bool
	// build returns the initial state for a 202 start response that applies.
	build(c *Client, resp *Response, location string) (pollState, error)
	// update interprets the answer to the poller's next request; it returns the new state and
	// how long to wait before the next request (see nextWait). It must not modify p.
	update(p *Poller, req *Request, resp *Response, now time.Time) (pollState, time.Duration, error)
}

// variants in the order they are tried. Jobs come first: a job's 202 carries a Location to the
// job instance and no x-ms-operation-id, and the operation variant, tried last, accepts any 202
// that has a Location or an x-ms-operation-id, so it would otherwise claim jobs too.
var variants = []variant{jobVariant{}, operationVariant{}}

func variantOf(k Kind) variant {
	for _, v := range variants {
		if v.kind() == k {
			return v
		}
	}
	return operationVariant{}
}

// fromStartResponse builds a poller from the answer to the starting call.
func (c *Client) fromStartResponse(reqURL string, resp *Response) (*Poller, error) {
	switch {
	case resp.StatusCode == 200 || resp.StatusCode == 201:
		st := pollState{Kind: KindOperation, Status: StatusSucceeded, Done: true}
		setResult(&st, resp.Body)
		return c.newPoller(st), nil
	case resp.StatusCode == 202:
		loc := ""
		if h := resp.Header.Get("Location"); strings.TrimSpace(h) != "" {
			var err error
			if loc, err = resolveLocation(reqURL, h); err != nil {
				return nil, err
			}
		}
		for _, v := range variants {
			if v.applies(resp, loc) {
				st, err := v.build(c, resp, loc)
				if err != nil {
					return nil, err
				}
				wait, given := c.retryAfterOr(resp.Header, 0)
				if given {
					st.RetryAfterSeconds = int((wait + time.Second - 1) / time.Second)
				}
				p := c.newPoller(st)
				p.next = time.Now().Add(wait)
				p.why = waitCause{d: wait}
				return p, nil
			}
		}
		return nil, &Error{StatusCode: 202, ErrorCode: string(CodeUnexpectedResponse), Message: "Fabric answered 202 Accepted without a Location or an x-ms-operation-id header: there is nothing to poll"}
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return c.newPoller(pollState{Kind: KindOperation, Status: StatusSucceeded, Done: true}), nil
	default:
		return nil, &Error{StatusCode: resp.StatusCode, ErrorCode: string(CodeUnexpectedResponse), Message: "unexpected HTTP " + itoa(resp.StatusCode) + " to the starting call (Location " + resp.Header.Get("Location") + "): Fabric does not redirect it"}
	}
}

// malformedState returns the retryable error of a state or job instance answer whose body is
// not a JSON object (cut short by the network or a proxy), and of a result declared JSON that
// is not valid JSON; nil when the body is fine. The same GET is sent again after a backoff,
// never sooner than the answer's Retry-After, and the poller's state stays as it was.
func malformedState(c *Client, req *Request, resp *Response, result bool) error {
	body := resp.Body
	switch {
	case result && (len(strings.TrimSpace(string(body))) == 0 || !strings.Contains(strings.ToLower(resp.Header.Get("Content-Type")), "json")):
		return nil // no result, or one that is not JSON: kept as bytes
	case json.Valid(body) && (result || gjson.ParseBytes(body).IsObject()):
		return nil
	}
	ra, _ := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	return &Error{StatusCode: resp.StatusCode, ErrorCode: string(CodeMalformedResponse), Retryable: true, RetryAfter: ra,
		RequestID: resp.Header.Get("requestId"),
		Message:   "the answer to GET " + req.URL + " is not valid JSON (" + itoa(len(body)) + " bytes)"}
}

// setResult stores a result body: JSON as is, anything else as bytes; empty means no result.
func setResult(st *pollState, body []byte) {
	st.Result, st.ResultBytes = nil, nil
	switch {
	case len(strings.TrimSpace(string(body))) == 0:
	case json.Valid(body):
		st.Result = append(json.RawMessage(nil), body...)
	default:
		st.ResultBytes = append([]byte(nil), body...)
	}
}

// lastSegment returns the last path segment of a URL (without query), for ids.
func lastSegment(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	u = strings.TrimRight(u, "/")
	return u[strings.LastIndexByte(u, '/')+1:]
}

// nextWait returns how long to wait before the next poll after resp, and records in st the
// Retry-After it gave. Without one, the call's previous Retry-After applies (a job instance
// GET carries none, but the job's 202 did), else Options.DefaultRetryAfter.
func nextWait(c *Client, st *pollState, resp *Response) time.Duration {
	d, given := c.retryAfterOr(resp.Header, time.Duration(st.RetryAfterSeconds)*time.Second)
	if given {
		st.RetryAfterSeconds = int((d + time.Second - 1) / time.Second)
	}
	return d
}
