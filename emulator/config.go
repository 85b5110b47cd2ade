package emulator

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// CreateMode decides whether a create item call answers 201 (done) or 202 (long running).
type CreateMode string

// The create modes. The zero value behaves as CreateAlternate.
const (
	// CreateAlternate answers the 1st, 3rd, 5th... create with 201 and the item, and the
	// 2nd, 4th... with 202 and an operation: the seed article's two notebooks.
	CreateAlternate CreateMode = "alternate"
	// CreateSync always answers 201 with the item.
	CreateSync CreateMode = "sync"
	// CreateAsync always answers 202 with an operation.
	CreateAsync CreateMode = "async"
	// CreateDefinition answers 202 when the request carries a definition, else 201.
	CreateDefinition CreateMode = "definition"
)

// JobLocation decides the form of the Location header of a job's 202.
type JobLocation string

// The job Location forms. The zero value behaves as JobLocationInstance.
const (
	// JobLocationInstance points at the job instance, .../jobs/instances/{jobInstanceId}
	// (RunOnDemandItemJob.json, RunOnDemandItemJob2.json).
	JobLocationInstance JobLocation = "instance"
	// JobLocationList points at the item's job list filtered by the job type,
	// .../jobs/instances?jobType=X, with no instance id (RunOnDemandItemJob3.json,
	// RunOnDemandItemJob4.json): the client finds its instance in the list.
	JobLocationList JobLocation = "list"
	// JobLocationAlternate gives the 1st, 3rd... job the instance form and the 2nd, 4th...
	// the list form, so one client meets both.
	JobLocationAlternate JobLocation = "alternate"
)

// Demo-friendly defaults used where a Config field is zero.
const (
	// DefaultRetryAfter is the Retry-After of 202 answers and running operations.
	DefaultRetryAfter = 2 * time.Second
	// DefaultOperationDuration is how long an operation runs: a few polls.
	DefaultOperationDuration = 6 * time.Second
	// DefaultJobDuration is how long a job instance runs.
	DefaultJobDuration = 6 * time.Second
	// DefaultCancelDuration is how long a cancelled job stays InProgress before Cancelled.
	DefaultCancelDuration = 2 * time.Second
	// DefaultThrottleWindow is the window of Config.ThrottleLimit.
	DefaultThrottleWindow = time.Minute
	// DefaultPageSize is the number of entries per list page.
	DefaultPageSize = 100
	// DefaultFailPattern matches the display names whose create operation fails.
	DefaultFailPattern = `(?i)fail`
	// DefaultSlowDelay is the wait of a FaultSlow rule without Delay.
	DefaultSlowDelay = 5 * time.Second
)

// DefaultWorkspaceID is the ID of the workspace that exists from the start, so a new user
// can create items at once.
const DefaultWorkspaceID = "6f1c0a51-3e2d-4c8b-9a57-0de1f2a3b4c5"

// DefaultWorkspaceName is the display name of the default workspace.
const DefaultWorkspaceName = "Emulator workspace"

// Config configures a Server. The zero value gives demo-friendly defaults: Retry-After 2 s,
// operations and jobs that take 6 s, alternating 201/202 creates, no throttling, no token
// expiry, no faults.
type Config struct {
	// Logf, when set, receives one line per request (method, path, status, fault). Tokens
	// are never logged.
	Logf func(format string, args ...any)

	// Scheme of the absolute Location URLs built from the request's Host; "" means "http".
	Scheme string
	// RegionalBaseURL (for example "http://127.0.0.1:9999") is where the "regionalLocation"
	// fault points Location headers, like Fabric's regional redirect hosts.
	RegionalBaseURL string

	// RetryAfter is the Retry-After of 202 answers and running operations, sent in whole
	// seconds (rounded up). Zero means DefaultRetryAfter.
	RetryAfter time.Duration
	// JobRetryAfter is the Retry-After of a job's 202, of its cancel's 202 and of the GET of
	// a job instance that has not ended (Fabric's examples: 60 s). Zero means RetryAfter.
	JobRetryAfter time.Duration
	// OperationDuration is how long an operation takes from NotStarted to Succeeded/Failed.
	// Zero means DefaultOperationDuration; a negative value means instantly.
	OperationDuration time.Duration
	// JobDuration is how long a job instance runs. Zero means DefaultJobDuration; a negative
	// value means instantly.
	JobDuration time.Duration
	// CancelDuration is how long a job instance stays InProgress after its cancel was
	// accepted (202) before it is Cancelled, even past the end its run would have had.
	// Zero means DefaultCancelDuration; a negative value means at once.
	CancelDuration time.Duration
	// JobLocation is the form of the Location of a job's 202. "" means JobLocationInstance.
	JobLocation JobLocation
	// CreateMode picks 201 or 202 for create item calls, and 200 or 202 for getDefinition
	// and updateDefinition (see the package documentation). "" means CreateAlternate.
	CreateMode CreateMode
	// FailPattern is a regular expression; items whose displayName matches it end in a
	// Failed create operation, and jobs of an item whose displayName or description matches it
	// end Failed (a description is not checked at create, so such an item exists).
	// "" means DefaultFailPattern.
	FailPattern string
	// TokenTTL makes a bearer token expire that long after its first use (401 TokenExpired).
	// Zero means tokens never expire.
	TokenTTL time.Duration
	// ThrottleLimit is the number of requests one caller (bearer token) may make to one API
	// (method and route, for example GET /v1/operations/{operationId}) per ThrottleWindow
	// before that API answers it 429; its other APIs and other callers are not affected.
	// Zero means no throttling.
	ThrottleLimit int
	// ThrottleWindow is the throttling window. Zero means DefaultThrottleWindow.
	ThrottleWindow time.Duration
	// PageSize is the number of entries per page of every list. Zero means DefaultPageSize.
	PageSize int
	// StrictRetryAfter makes polling sooner than the last Retry-After an error: a GET of an
	// operation state or of a job instance earlier than the last Retry-After given for it
	// (by its 202, its cancel or its previous GET) answers 429 RequestBlocked. Real Fabric throttles such clients sooner
	// or later; this makes it certain, for tests.
	StrictRetryAfter bool
	// Seed seeds the generator of IDs and of probabilistic faults, so runs are reproducible.
	// Zero means a new random seed at every start and reset, so IDs never repeat.
	Seed uint64
	// Faults are the fault rules active at start and after a reset.
	Faults []FaultRule
	// Identity, when set, turns on the identity-provider mode: Server.IdentityProvider serves
	// an OpenID Connect authority like Entra ID's, and the Fabric API accepts only the access
	// tokens it signed (401 InvalidToken or TokenExpired, 403 InsufficientScopes). Nil keeps
	// the default: any non-empty bearer token is accepted.
	Identity *IdentityConfig
}

// settings is the run-time tunable, normalised part of Config.
type settings struct {
	RetryAfter        time.Duration
	JobRetryAfter     time.Duration
	CancelDuration    time.Duration
	JobLocation       JobLocation
	OperationDuration time.Duration
	JobDuration       time.Duration
	CreateMode        CreateMode
	FailPattern       *regexp.Regexp
	TokenTTL          time.Duration
	ThrottleLimit     int
	ThrottleWindow    time.Duration
	PageSize          int
	RegionalBaseURL   string
	StrictRetryAfter  bool
}

// normalise turns c into settings: zero fields get their defaults, negative durations and
// counts mean zero, and an invalid choice falls back to its default and is reported.
func normalise(c Config) (settings, error) {
	s := settings{
		RetryAfter:        c.RetryAfter,
		JobRetryAfter:     max(c.JobRetryAfter, 0),
		CancelDuration:    durationOr(c.CancelDuration, DefaultCancelDuration),
		JobLocation:       c.JobLocation,
		OperationDuration: durationOr(c.OperationDuration, DefaultOperationDuration),
		JobDuration:       durationOr(c.JobDuration, DefaultJobDuration),
		CreateMode:        c.CreateMode,
		TokenTTL:          max(c.TokenTTL, 0),
		ThrottleLimit:     max(c.ThrottleLimit, 0),
		ThrottleWindow:    c.ThrottleWindow,
		PageSize:          c.PageSize,
		RegionalBaseURL:   c.RegionalBaseURL,
		StrictRetryAfter:  c.StrictRetryAfter,
	}
	if s.RetryAfter <= 0 {
		s.RetryAfter = DefaultRetryAfter
	}
	if s.ThrottleWindow <= 0 {
		s.ThrottleWindow = DefaultThrottleWindow
	}
	if s.PageSize <= 0 {
		s.PageSize = DefaultPageSize
	}
	errs := s.normaliseChoices(c.FailPattern)
	for i, f := range c.Faults {
		if err := f.validate(); err != nil {
			errs = append(errs, fmt.Errorf("fault %d: %w", i, err))
		}
	}
	if len(errs) > 0 {
		return s, fmt.Errorf("emulator: invalid config: %w", errors.Join(errs...))
	}
	return s, nil
}

// normaliseChoices defaults and checks the create mode, the job location and the fail
// pattern: an invalid one falls back to its default and is in the errors.
func (s *settings) normaliseChoices(failPattern string) []error {
	var errs []error
	if s.CreateMode == "" {
		s.CreateMode = CreateAlternate
	}
	if !validCreateMode(s.CreateMode) {
		errs = append(errs, fmt.Errorf("unknown create mode %q (want alternate, sync, async or definition)", s.CreateMode))
		s.CreateMode = CreateAlternate
	}
	if s.JobLocation == "" {
		s.JobLocation = JobLocationInstance
	}
	if !validJobLocation(s.JobLocation) {
		errs = append(errs, fmt.Errorf("unknown job location %q (want instance, list or alternate)", s.JobLocation))
		s.JobLocation = JobLocationInstance
	}
	if failPattern == "" {
		failPattern = DefaultFailPattern
	}
	re, err := regexp.Compile(failPattern)
	if err != nil {
		errs = append(errs, fmt.Errorf("fail pattern: %w", err))
		re = regexp.MustCompile(DefaultFailPattern)
	}
	s.FailPattern = re
	return errs
}

// durationOr is d, def when d is zero, and zero (at once) when d is negative.
func durationOr(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

// jobRetryAfter is the Retry-After of jobs: JobRetryAfter, or RetryAfter when it is zero.
func (s settings) jobRetryAfter() time.Duration {
	if s.JobRetryAfter > 0 {
		return s.JobRetryAfter
	}
	return s.RetryAfter
}

func validJobLocation(l JobLocation) bool {
	return l == JobLocationInstance || l == JobLocationList || l == JobLocationAlternate
}

func validCreateMode(m CreateMode) bool {
	return m == CreateAlternate || m == CreateSync || m == CreateAsync || m == CreateDefinition
}

// FabricTimings returns c with the timings of Fabric's examples and article where c leaves
// them zero: Retry-After 30 s for operations and 60 s for jobs, operations that take a
// minute, jobs two minutes, cancels 30 s. The defaults are shortened for demos and tests.
func FabricTimings(c Config) Config {
	set := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	set(&c.RetryAfter, 30*time.Second)
	set(&c.JobRetryAfter, 60*time.Second)
	set(&c.OperationDuration, time.Minute)
	set(&c.JobDuration, 2*time.Minute)
	set(&c.CancelDuration, 30*time.Second)
	return c
}

// Validate reports what New would replace by a default: an unknown CreateMode or
// JobLocation, a FailPattern that does not compile, or an invalid fault rule.
func (c Config) Validate() error {
	_, err := normalise(c)
	return err
}

// retryAfterSeconds renders d as whole seconds, rounded up, at least 1.
func retryAfterSeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}
