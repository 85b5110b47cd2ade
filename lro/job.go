package lro

import (
	"context"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/fabric-lro/fabric-lro/internal/urlpath"
)

// jobVariant follows an item job instance: GET the job-instance URL (kept exactly as the
// start's Location gave it) until Completed, Failed, Cancelled or Deduped. A Completed job's
// result is the job instance itself. When the Location is the list form
// (.../jobs/instances?jobType=X), the first poll finds the instance in that list (see
// findListedJob) and the next ones follow the instance's URL.
type jobVariant struct{}

func (jobVariant) kind() Kind { return KindJob }

func (jobVariant) applies(_ *Response, location string) bool { return isJobURL(location) }

func (jobVariant) canResume(st pollState) bool { return st.Kind == KindJob }

func (jobVariant) build(_ *Client, _ *Response, location string) (pollState, error) {
	return jobState(location), nil
}

// jobState is the initial state of a job followed at u: a job instance URL, whose last
// segment is the instance id, or the list form, whose instance is not known yet.
func jobState(u string) pollState {
	st := pollState{Kind: KindJob, URL: u}
	if !isJobListURL(u) {
		st.ID = lastSegment(u)
	}
	return st
}

// isJobListURL reports whether u is the list form of a job's Location,
// .../jobs/instances?jobType=X (Fabric's RunOnDemandItemJob3 example): the item's job
// instances of that type, with no instance id.
func isJobListURL(u string) bool {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	return strings.HasSuffix(strings.ToLower(strings.TrimRight(u, "/")), "/jobs/instances")
}

// findListedJob picks the started job in the answer to a list-form Location: among the
// instances of the URL's jobType (all, when it names none), the newest: one not started yet
// (no startTimeUtc), else the latest startTimeUtc; between equals, the one listed last.
// Fabric gives no instance id in this form, so this is the best guess a client can make:
// another run of the same job type started right after this one could be taken for it.
// Only the first page of the list is read. It returns the instance and its URL (the list
// URL's path plus the id), or false when no instance is listed yet.
func findListedJob(listURL string, body gjson.Result) (gjson.Result, string, bool) {
	base, query, _ := strings.Cut(listURL, "?")
	if i := strings.IndexByte(query, '#'); i >= 0 {
		query = query[:i]
	}
	jobType := ""
	for _, kv := range strings.Split(query, "&") {
		if k, v, _ := strings.Cut(kv, "="); strings.EqualFold(k, "jobType") {
			jobType = unescapeQuery(v)
		}
	}
	var best gjson.Result
	var bestStart time.Time
	found := false
	for _, j := range body.Get("value").Array() {
		if j.Get("id").String() == "" || (jobType != "" && !strings.EqualFold(j.Get("jobType").String(), jobType)) {
			continue
		}
		start := latest
		if v := j.Get("startTimeUtc"); v.Type == gjson.String {
			start = parseFabricTime(v.String())
		}
		if !found || !start.Before(bestStart) {
			best, bestStart, found = j, start, true
		}
	}
	if !found {
		return gjson.Result{}, "", false
	}
	return best, strings.TrimRight(base, "/") + "/" + urlpath.Segment(best.Get("id").String()), true
}

// unescapeQuery decodes a query value ("+" and %XX); a malformed escape is kept as written.
// (net/url would do it, but the package keeps net/url out of WebAssembly builds.)
func unescapeQuery(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b.WriteByte(' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// latest stands for "not started yet": later than any start time.
var latest = time.Unix(1<<62, 0)

// parseFabricTime reads Fabric's times, with or without a zone (UTC either way); an
// unreadable one counts as the oldest.
func parseFabricTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
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
	raw := resp.Body
	body := gjson.ParseBytes(raw)
	if isJobListURL(req.URL) {
		inst, instURL, ok := findListedJob(req.URL, body)
		if !ok {
			// Not listed yet: ask the list again after Retry-After.
			return st, nextWait(p.c, &st, resp), nil
		}
		// Follow the instance from now on: its own URL, for polls, cancel and resume.
		st.URL, st.ID = instURL, inst.Get("id").String()
		raw, body = []byte(inst.Raw), inst
	}
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
		setResult(&st, raw)
		return st, 0, nil
	case StatusFailed:
		st.Done = true
		st.Error = failure(body.Get("failureReason"), resp.StatusCode, StatusFailed, string(CodeJobFailed), "the job failed and Fabric gave no failureReason")
		return st, 0, nil
	case StatusCancelled:
		st.Done = true
		st.Error = &Error{StatusCode: resp.StatusCode, ErrorCode: string(CodeJobCancelled), Message: "the job was cancelled", Status: StatusCancelled}
		return st, 0, nil
	case StatusDeduped:
		st.Done = true
		st.Error = &Error{StatusCode: resp.StatusCode, ErrorCode: string(CodeJobDeduped), Message: "the job was skipped: the same job was already running", Status: StatusDeduped}
		return st, 0, nil
	case StatusNotStarted, StatusInProgress:
	default:
		p.c.warn(st.ID, WarnUnknownStatus, "unknown job status "+quoteStatus(st.Status)+"; still polling")
	}
	return st, nextWait(p.c, &st, resp), nil
}

// cancelJob sends POST {jobURL}/cancel and returns how many requests were sent.
func (c *Client) cancelJob(ctx context.Context, jobURL string) (int, error) {
	if isJobListURL(jobURL) {
		return 0, &Error{ErrorCode: string(CodeJobInstanceNotKnownYet), Message: "the job's instance is not known yet: Fabric answered its start with the list of the item's job instances, and no poll has found the instance in it yet", Retryable: true}
	}
	u := jobURL
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	if err := c.waitGate(ctx, u); err != nil {
		return 0, err
	}
	_, sent, err := c.exchange(ctx, &Request{Method: "POST", URL: u + "/cancel"})
	return sent, err
}
