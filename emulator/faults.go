package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// FaultKind names a fault the emulator can inject.
type FaultKind string

// The fault kinds. Those marked "instead" answer in place of the API; the others let the
// API answer and then change or delay that answer.
const (
	// FaultThrottle answers 429 with Retry-After and an ErrorResponse (instead).
	FaultThrottle FaultKind = "429"
	// FaultInternalError answers 500 UnknownError (instead).
	FaultInternalError FaultKind = "500"
	// FaultUnavailable answers 503 ServiceUnavailable with Retry-After (instead).
	FaultUnavailable FaultKind = "503"
	// FaultDrop closes the connection without an answer and without doing anything (instead).
	FaultDrop FaultKind = "drop"
	// FaultDropAfter does what the request asks (an item may be created) and then closes the
	// connection without an answer.
	FaultDropAfter FaultKind = "dropAfter"
	// FaultSlow waits Delay (default 5 s) before answering, or until the client leaves.
	FaultSlow FaultKind = "slow"
	// FaultMalformedJSON cuts the answer's body in half (or sends a broken one when empty),
	// keeping its status and headers.
	FaultMalformedJSON FaultKind = "malformed"
	// FaultNoRetryAfter removes the Retry-After header from the answer.
	FaultNoRetryAfter FaultKind = "noRetryAfter"
	// FaultRetryAfterDate sends Retry-After as an HTTP date instead of seconds.
	FaultRetryAfterDate FaultKind = "httpDateRetryAfter"
	// FaultTokenExpired answers 401 TokenExpired, as Fabric does when a token expires in
	// the middle of a long poll (instead).
	FaultTokenExpired FaultKind = "tokenExpired"
	// FaultNoLocation removes the Location header (clients fall back to x-ms-operation-id).
	FaultNoLocation FaultKind = "noLocation"
	// FaultLocationWithoutV1 drops the /v1 prefix from the Location path, as the spec's
	// operation examples write it; the emulator serves /operations/... too.
	FaultLocationWithoutV1 FaultKind = "locationWithoutV1"
	// FaultUndefinedStatus replaces the "status" of a JSON answer by Status (default
	// "Undefined", a status of the spec's enum that clients must poll through).
	FaultUndefinedStatus FaultKind = "undefinedStatus"
	// FaultRegionalLocation points the answer's Location at Config.RegionalBaseURL (scheme
	// and host replaced, path kept), like Fabric's regional redirect hosts.
	FaultRegionalLocation FaultKind = "regionalLocation"
)

var faultKinds = []FaultKind{FaultThrottle, FaultInternalError, FaultUnavailable, FaultTokenExpired, FaultDrop, FaultDropAfter,
	FaultSlow, FaultMalformedJSON, FaultNoRetryAfter, FaultRetryAfterDate, FaultNoLocation, FaultLocationWithoutV1,
	FaultUndefinedStatus, FaultRegionalLocation}

// Duration is a time.Duration that reads and writes JSON as a Go duration string ("1.5s");
// it also reads a JSON number as seconds.
type Duration time.Duration

// MarshalJSON writes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string ("250ms", "2s") or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case float64:
		*d = Duration(v * float64(time.Second))
	case string:
		p, err := time.ParseDuration(v)
		if err != nil {
			return err
		}
		*d = Duration(p)
	default:
		return fmt.Errorf("duration must be a string like \"2s\" or a number of seconds, not %s", b)
	}
	return nil
}

// FaultRule injects one kind of fault into the requests it matches. Every rule that matches
// a request fires (and counts), so rules combine: a 429 rule and a noRetryAfter rule give a
// 429 without Retry-After. Of the rules that answer instead of the API, the first wins.
// The control endpoint (/_emulator/) is never faulted.
type FaultRule struct {
	// Kind is the fault to inject.
	Kind FaultKind `json:"kind"`
	// Method matches the request method (case-insensitive); "" matches any.
	Method string `json:"method,omitempty"`
	// PathPrefix matches requests whose path starts with it; "" matches any.
	PathPrefix string `json:"pathPrefix,omitempty"`
	// After lets this many matching requests pass before the rule starts firing.
	After int `json:"after,omitempty"`
	// Count is how many times the rule fires; 0 means without end.
	Count int `json:"count,omitempty"`
	// Probability in (0,1) makes the rule fire on that share of matching requests, drawn
	// from the generator seeded by Config.Seed; 0 or 1 means always.
	Probability float64 `json:"probability,omitempty"`
	// Delay is the wait of FaultSlow; 0 means DefaultSlowDelay.
	Delay Duration `json:"delay,omitempty"`
	// RetryAfterSeconds is the Retry-After of FaultThrottle and FaultUnavailable; 0 means
	// the configured Retry-After.
	RetryAfterSeconds int `json:"retryAfterSeconds,omitempty"`
	// Status is the status FaultUndefinedStatus reports; "" means "Undefined".
	Status string `json:"status,omitempty"`
}

func (f FaultRule) validate() error {
	known := false
	for _, k := range faultKinds {
		if f.Kind == k {
			known = true
		}
	}
	switch {
	case !known:
		return fmt.Errorf("unknown fault kind %q (want one of %v)", f.Kind, faultKinds)
	case f.After < 0 || f.Count < 0 || f.RetryAfterSeconds < 0 || f.Delay < 0:
		return fmt.Errorf("fault %q: after, count, delay and retryAfterSeconds must not be negative", f.Kind)
	case f.Probability < 0 || f.Probability > 1:
		return fmt.Errorf("fault %q: probability %v is not between 0 and 1", f.Kind, f.Probability)
	}
	return nil
}

// ParseFaultRule reads the flag form of a rule: comma-separated key=value pairs with keys
// kind, method, path, after, count, p (probability), delay (Go duration), retryAfter
// (seconds) and status, for example "kind=429,path=/v1/operations,count=3".
func ParseFaultRule(spec string) (FaultRule, error) {
	var f FaultRule
	for _, kv := range strings.Split(spec, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return f, fmt.Errorf("fault %q: %q is not key=value", spec, kv)
		}
		var err error
		switch strings.TrimSpace(k) {
		case "kind":
			f.Kind = FaultKind(v)
		case "method":
			f.Method = v
		case "path", "pathPrefix":
			f.PathPrefix = v
		case "after":
			f.After, err = strconv.Atoi(v)
		case "count":
			f.Count, err = strconv.Atoi(v)
		case "p", "probability":
			f.Probability, err = strconv.ParseFloat(v, 64)
		case "delay":
			var d time.Duration
			d, err = time.ParseDuration(v)
			f.Delay = Duration(d)
		case "retryAfter", "retryAfterSeconds":
			f.RetryAfterSeconds, err = strconv.Atoi(v)
		case "status":
			f.Status = v
		default:
			return f, fmt.Errorf("fault %q: unknown key %q (want kind, method, path, after, count, p, delay, retryAfter, status)", spec, k)
		}
		if err != nil {
			return f, fmt.Errorf("fault %q: %s: %w", spec, k, err)
		}
	}
	if err := f.validate(); err != nil {
		return f, err
	}
	return f, nil
}

// faultState is a rule with its counters.
type faultState struct {
	FaultRule
	seen  int // matching requests
	fired int // times the rule applied
}

// FaultStatus is a rule as the control endpoint lists it, with its counters.
type FaultStatus struct {
	FaultRule
	// Seen counts the requests the rule matched.
	Seen int `json:"seen"`
	// Fired counts the times it applied.
	Fired int `json:"fired"`
	// Remaining is how many more times it will fire; -1 means without end.
	Remaining int `json:"remaining"`
}

// matchFaults returns the rules that fire for r, in order, counting them.
func (s *Server) matchFaults(r *http.Request) []*FaultRule {
	s.mu.Lock()
	defer s.mu.Unlock()
	var fired []*FaultRule
	for _, f := range s.faults {
		if f.Method != "" && !strings.EqualFold(f.Method, r.Method) {
			continue
		}
		if !strings.HasPrefix(r.URL.Path, f.PathPrefix) {
			continue
		}
		f.seen++
		if f.seen <= f.After {
			continue
		}
		if f.Count > 0 && f.fired >= f.Count {
			continue
		}
		if f.Probability > 0 && f.Probability < 1 && s.faultRand.Float64() >= f.Probability {
			continue
		}
		f.fired++
		rule := f.FaultRule
		fired = append(fired, &rule)
	}
	return fired
}

// faultNote is how the log names the fired rules: " (fault 429, slow)", or "" for none.
func faultNote(fired []*FaultRule) string {
	if len(fired) == 0 {
		return ""
	}
	kinds := make([]string, len(fired))
	for i, f := range fired {
		kinds[i] = string(f.Kind)
	}
	return " (fault " + strings.Join(kinds, ", ") + ")"
}

// beforeAPI is what the fired rules decided before the API is called.
type beforeAPI struct {
	drop       bool       // close the connection without an answer; nothing happens
	clientGone bool       // the client left during a slow rule's wait
	instead    *FaultRule // the first rule that answers instead of the API
	dropAfter  bool       // let the API do its work, then close the connection
}

// faultsBefore runs the part of the fired rules that comes before the API: a drop ends
// everything; a slow rule waits (until ctx ends); the first rule that answers instead of the
// API (429, 500, 503, 401) is kept.
func faultsBefore(ctx context.Context, fired []*FaultRule) beforeAPI {
	var pre beforeAPI
	for _, f := range fired {
		switch f.Kind {
		case FaultDrop:
			pre.drop = true
			return pre
		case FaultSlow:
			d := time.Duration(f.Delay)
			if d <= 0 {
				d = DefaultSlowDelay
			}
			if err := timerSleep(ctx, d); err != nil {
				pre.clientGone = true
				return pre
			}
		case FaultThrottle, FaultInternalError, FaultUnavailable, FaultTokenExpired:
			if pre.instead == nil {
				pre.instead = f
			}
		case FaultDropAfter:
			pre.dropAfter = true
		}
	}
	return pre
}

// timerSleep waits d or until ctx is done: the wait of a slow rule.
func timerSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// faultError is the answer of the faults that replace the API's answer.
func (s *Server) faultError(f *FaultRule) *apiError {
	s.mu.Lock()
	ra := retryAfterSeconds(s.set.RetryAfter)
	s.mu.Unlock()
	if f.RetryAfterSeconds > 0 {
		ra = f.RetryAfterSeconds
	}
	switch f.Kind {
	case FaultThrottle:
		until := time.Now().Add(time.Duration(ra) * time.Second)
		return newAPIError(http.StatusTooManyRequests, "RequestBlocked",
			fmt.Sprintf("Request is blocked by the upstream service until: %s (UTC). Wait the Retry-After seconds before calling again.",
				until.UTC().Format("1/2/2006 3:04:05 PM"))).withRetryAfter(ra)
	case FaultTokenExpired:
		e := newAPIError(http.StatusUnauthorized, "TokenExpired",
			"Access token has expired, resubmit with a new access token (a 401 injected by the emulator).")
		e.headers = http.Header{"Www-Authenticate": {`Bearer error="invalid_token"`}}
		return e
	case FaultUnavailable:
		return newAPIError(http.StatusServiceUnavailable, "ServiceUnavailable",
			"The service is temporarily unavailable (injected by the emulator). Retry after the Retry-After seconds.").withRetryAfter(ra)
	default:
		return newAPIError(http.StatusInternalServerError, "UnknownError",
			"An error occurred (a 500 injected by the emulator). Retry the request; if it keeps failing, check the emulator's fault rules at /_emulator/faults.")
	}
}

// applyFault changes a captured answer for the faults that modify one.
func (s *Server) applyFault(f *FaultRule, rec *capture) {
	switch f.Kind {
	case FaultMalformedJSON:
		rec.breakJSON()
	case FaultNoRetryAfter:
		rec.header.Del("Retry-After")
	case FaultNoLocation:
		rec.header.Del("Location")
	case FaultLocationWithoutV1:
		if lu, err := url.Parse(rec.header.Get("Location")); err == nil && strings.HasPrefix(lu.Path, "/v1/") {
			lu.Path = strings.TrimPrefix(lu.Path, "/v1")
			rec.header.Set("Location", lu.String())
		}
	case FaultUndefinedStatus:
		status := f.Status
		if status == "" {
			status = "Undefined"
		}
		rec.setStatusField(status)
	case FaultRetryAfterDate:
		if v := rec.header.Get("Retry-After"); v != "" {
			secs, err := strconv.Atoi(v)
			if err != nil {
				secs = 0
			}
			rec.header.Set("Retry-After", time.Now().Add(time.Duration(secs)*time.Second).UTC().Format(http.TimeFormat))
		}
	case FaultRegionalLocation:
		s.mu.Lock()
		regional := s.set.RegionalBaseURL
		s.mu.Unlock()
		rec.moveLocation(regional)
	}
}

// breakJSON cuts the body in half (or sends a cut state when there is none), keeping the
// status and saying JSON.
func (c *capture) breakJSON() {
	b := c.body.Bytes()
	var broken []byte
	if len(b) < 2 {
		broken = []byte(`{"status": "Runn`)
	} else {
		broken = append([]byte(nil), b[:len(b)/2]...)
	}
	c.body.Reset()
	c.body.Write(broken)
	c.header.Set("Content-Type", "application/json; charset=utf-8")
	if c.status == 0 {
		c.status = http.StatusOK
	}
}

// setStatusField replaces the "status" of a JSON object body; other bodies stay.
func (c *capture) setStatusField(status string) {
	var body map[string]json.RawMessage
	if json.Unmarshal(c.body.Bytes(), &body) != nil || body["status"] == nil {
		return
	}
	body["status"], _ = json.Marshal(status)
	b, err := json.Marshal(body)
	if err != nil {
		return
	}
	c.body.Reset()
	c.body.Write(append(b, '\n'))
}

// moveLocation moves the Location header, path kept, to the scheme and host of base (the
// regional host); nothing changes without a Location or a base.
func (c *capture) moveLocation(base string) {
	loc := c.header.Get("Location")
	if loc == "" || base == "" {
		return
	}
	lu, err1 := url.Parse(loc)
	ru, err2 := url.Parse(base)
	if err1 != nil || err2 != nil || ru.Host == "" {
		return
	}
	lu.Scheme, lu.Host = ru.Scheme, ru.Host
	c.header.Set("Location", lu.String())
}

// faultStatuses lists the active rules with their counters. Call with s.mu held.
func (s *Server) faultStatuses() []FaultStatus {
	out := make([]FaultStatus, 0, len(s.faults))
	for _, f := range s.faults {
		rem := -1
		if f.Count > 0 {
			rem = max(f.Count-f.fired, 0)
		}
		out = append(out, FaultStatus{FaultRule: f.FaultRule, Seen: f.seen, Fired: f.fired, Remaining: rem})
	}
	return out
}
