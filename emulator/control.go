package emulator

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// ControlConfig is the run-time tunable configuration, as GET/PUT /_emulator/config read
// and write it. In a PUT, absent fields keep their value.
type ControlConfig struct {
	// RetryAfter is Config.RetryAfter; it applies to operations started afterwards.
	RetryAfter *Duration `json:"retryAfter,omitempty"`
	// JobRetryAfter is Config.JobRetryAfter; it applies to jobs started afterwards.
	JobRetryAfter *Duration `json:"jobRetryAfter,omitempty"`
	// CancelDuration is Config.CancelDuration, for cancels accepted afterwards.
	CancelDuration *Duration `json:"cancelDuration,omitempty"`
	// JobLocation is Config.JobLocation.
	JobLocation *JobLocation `json:"jobLocation,omitempty"`
	// OperationDuration is Config.OperationDuration, for operations started afterwards.
	OperationDuration *Duration `json:"operationDuration,omitempty"`
	// JobDuration is Config.JobDuration, for jobs started afterwards.
	JobDuration *Duration `json:"jobDuration,omitempty"`
	// CreateMode is Config.CreateMode.
	CreateMode *CreateMode `json:"createMode,omitempty"`
	// FailPattern is Config.FailPattern.
	FailPattern *string `json:"failPattern,omitempty"`
	// TokenTTL is Config.TokenTTL.
	TokenTTL *Duration `json:"tokenTTL,omitempty"`
	// ThrottleLimit is Config.ThrottleLimit.
	ThrottleLimit *int `json:"throttleLimit,omitempty"`
	// ThrottleWindow is Config.ThrottleWindow.
	ThrottleWindow *Duration `json:"throttleWindow,omitempty"`
	// PageSize is Config.PageSize.
	PageSize *int `json:"pageSize,omitempty"`
	// RegionalBaseURL is Config.RegionalBaseURL.
	RegionalBaseURL *string `json:"regionalBaseUrl,omitempty"`
	// StrictRetryAfter is Config.StrictRetryAfter.
	StrictRetryAfter *bool `json:"strictRetryAfter,omitempty"`
}

// faultList is the body of GET/PUT/POST /_emulator/faults.
type faultList struct {
	Rules []FaultRule `json:"rules"`
}

func ptr[T any](v T) *T { return &v }

// Reset puts the server back in its start state, as POST /_emulator/reset does: the Config
// given to New, the default workspace only, no items, operations, jobs or token history,
// the Config's fault rules.
func (s *Server) Reset() { s.reset() }

// SetFaults replaces the active fault rules (none: remove all), as PUT /_emulator/faults
// does. An invalid rule changes nothing and is reported.
func (s *Server) SetFaults(rules ...FaultRule) error { return s.setFaults(true, rules) }

// AddFaults appends fault rules, as POST /_emulator/faults does.
func (s *Server) AddFaults(rules ...FaultRule) error { return s.setFaults(false, rules) }

// Faults lists the active fault rules with their counters, as GET /_emulator/faults does.
func (s *Server) Faults() []FaultStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faultStatuses()
}

func (s *Server) setFaults(replace bool, rules []FaultRule) error {
	for i, f := range rules {
		if err := f.validate(); err != nil {
			return fmt.Errorf("rules[%d]: %w", i, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if replace {
		s.faults = nil
	}
	for _, f := range rules {
		s.faults = append(s.faults, &faultState{FaultRule: f})
	}
	return nil
}

// controlConfig renders the current settings. Call with s.mu held.
func (s *Server) controlConfig() ControlConfig {
	st := s.set
	return ControlConfig{
		RetryAfter:        ptr(Duration(st.RetryAfter)),
		JobRetryAfter:     ptr(Duration(st.jobRetryAfter())),
		CancelDuration:    ptr(Duration(st.CancelDuration)),
		JobLocation:       ptr(st.JobLocation),
		OperationDuration: ptr(Duration(st.OperationDuration)),
		JobDuration:       ptr(Duration(st.JobDuration)),
		CreateMode:        ptr(st.CreateMode),
		FailPattern:       ptr(st.FailPattern.String()),
		TokenTTL:          ptr(Duration(st.TokenTTL)),
		ThrottleLimit:     ptr(st.ThrottleLimit),
		ThrottleWindow:    ptr(Duration(st.ThrottleWindow)),
		PageSize:          ptr(st.PageSize),
		RegionalBaseURL:   ptr(st.RegionalBaseURL),
		StrictRetryAfter:  ptr(st.StrictRetryAfter),
	}
}

// applyControlConfig validates a partial configuration and applies it, all or nothing: the
// error is the first invalid field's, in the order of ControlConfig. Call with s.mu held.
func (s *Server) applyControlConfig(c ControlConfig) *apiError {
	next := s.set
	dur := func(d *Duration) *time.Duration { return (*time.Duration)(d) }
	for _, e := range []*apiError{
		setNumber(&next.RetryAfter, dur(c.RetryAfter), `retryAfter must be positive, like "2s"`),
		setNumber(&next.JobRetryAfter, dur(c.JobRetryAfter), `jobRetryAfter must be positive, like "60s"`),
		setNumber(&next.CancelDuration, dur(c.CancelDuration), ""),
		setChecked(&next.JobLocation, c.JobLocation, validJobLocation, "jobLocation %q is unknown; use instance, list or alternate"),
		setNumber(&next.OperationDuration, dur(c.OperationDuration), ""),
		setNumber(&next.JobDuration, dur(c.JobDuration), ""),
		setChecked(&next.CreateMode, c.CreateMode, validCreateMode, "createMode %q is unknown; use alternate, sync, async or definition"),
		setFailPattern(&next.FailPattern, c.FailPattern),
		setNumber(&next.TokenTTL, dur(c.TokenTTL), ""),
		setNumber(&next.ThrottleLimit, c.ThrottleLimit, ""),
		setNumber(&next.ThrottleWindow, dur(c.ThrottleWindow), `throttleWindow must be positive, like "1m"`),
		setNumber(&next.PageSize, c.PageSize, "pageSize must be positive"),
		setChecked(&next.RegionalBaseURL, c.RegionalBaseURL, nil, ""),
		setChecked(&next.StrictRetryAfter, c.StrictRetryAfter, nil, ""),
	} {
		if e != nil {
			return e
		}
	}
	s.set = next
	return nil
}

// setNumber sets *dst to the field v when it is present (nil keeps *dst): a negative value
// means zero, unless mustBePositive is set, which is then the error for a value below one.
func setNumber[T ~int | ~int64](dst, v *T, mustBePositive string) *apiError {
	switch {
	case v == nil:
	case mustBePositive != "" && *v <= 0:
		return invalidControl(mustBePositive)
	default:
		*dst = max(*v, 0)
	}
	return nil
}

// setChecked sets *dst to the field v when it is present and valid (nil: any value) accepts
// it; else the error is why, formatted with the value.
func setChecked[T any](dst, v *T, valid func(T) bool, why string) *apiError {
	if v == nil {
		return nil
	}
	if valid != nil && !valid(*v) {
		return invalidControl(fmt.Sprintf(why, *v))
	}
	*dst = *v
	return nil
}

// setFailPattern compiles the failPattern field when it is present.
func setFailPattern(dst **regexp.Regexp, v *string) *apiError {
	if v == nil {
		return nil
	}
	re, err := regexp.Compile(*v)
	if err != nil {
		return invalidControl(fmt.Sprintf("failPattern does not compile: %v", err))
	}
	*dst = re
	return nil
}

func invalidControl(msg string) *apiError {
	return newAPIError(http.StatusBadRequest, "InvalidInput", msg)
}

// control serves /_emulator/: the JSON control endpoint described in the package doc.
func (s *Server) control(w http.ResponseWriter, r *http.Request) {
	route := r.Method + " " + r.URL.Path
	if r.URL.Path == "/_emulator/identity" || strings.HasPrefix(r.URL.Path, "/_emulator/identity/") {
		s.identityControl(w, r, route)
		return
	}
	switch route {
	case "GET /_emulator", "GET /_emulator/":
		writeJSON(w, http.StatusOK, map[string]any{"defaultWorkspaceId": DefaultWorkspaceID, "endpoints": controlEndpoints})
	case "GET /_emulator/config":
		s.mu.Lock()
		c := s.controlConfig()
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, c)
	case "PUT /_emulator/config", "PATCH /_emulator/config":
		s.putControlConfig(w, r)
	case "GET /_emulator/faults":
		s.mu.Lock()
		out := s.faultStatuses()
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"rules": out})
	case "PUT /_emulator/faults", "POST /_emulator/faults":
		s.putFaults(w, r)
	case "DELETE /_emulator/faults":
		s.SetFaults()
		writeJSON(w, http.StatusOK, map[string]any{"rules": s.Faults()})
	case "POST /_emulator/reset":
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	default:
		fail(w, r, newAPIError(http.StatusNotFound, "EntityNotFound",
			fmt.Sprintf("The emulator control endpoint has no %s; GET /_emulator/ lists what it has.", route)))
	}
}

// controlEndpoints is what GET /_emulator/ lists.
var controlEndpoints = []string{
	"GET /_emulator/config", "PUT /_emulator/config",
	"GET /_emulator/faults", "PUT /_emulator/faults", "POST /_emulator/faults", "DELETE /_emulator/faults",
	"POST /_emulator/reset",
	"GET /_emulator/identity", "PUT /_emulator/identity", "POST /_emulator/identity/revoke", "POST /_emulator/identity/expire",
}

// putControlConfig serves PUT (and PATCH) /_emulator/config: the fields sent change, and the
// answer is the whole configuration.
func (s *Server) putControlConfig(w http.ResponseWriter, r *http.Request) {
	var c ControlConfig
	if e := decodeBody(r, &c, true); e != nil {
		fail(w, r, e)
		return
	}
	s.mu.Lock()
	e := s.applyControlConfig(c)
	out := s.controlConfig()
	s.mu.Unlock()
	if e != nil {
		fail(w, r, e)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// putFaults serves PUT /_emulator/faults (replace the rules) and POST (add to them).
func (s *Server) putFaults(w http.ResponseWriter, r *http.Request) {
	var fl faultList
	if e := decodeBody(r, &fl, true); e != nil {
		fail(w, r, e)
		return
	}
	if err := s.setFaults(r.Method == http.MethodPut, fl.Rules); err != nil {
		fail(w, r, newAPIError(http.StatusBadRequest, "InvalidInput", err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"rules": s.Faults()})
}
