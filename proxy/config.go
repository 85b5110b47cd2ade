package proxy

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fabric-lro/fabric-lro/internal/hostpolicy"
)

// Defaults used when a Config field is left at its zero value.
const (
	// DefaultUpstream is the Fabric REST API the proxy forwards /v1/... to.
	DefaultUpstream = "https://api.fabric.microsoft.com"
	// DefaultRedirectHosts are the hosts, comma-separated, Fabric's Location headers
	// may point at: its API host and their workspace-level subdomains, and the
	// regional redirect hosts (for example
	// wabi-west-europe-d-primary-redirect.analysis.windows.net), https only. The
	// engine trusts the same list (lro.DefaultTrustedHosts) and the dashboard
	// tracks the same hosts: package hostpolicy is their one rule.
	DefaultRedirectHosts = hostpolicy.FabricHosts
	// DefaultMaxBodyBytes is the largest request body the proxy forwards (8 MiB).
	DefaultMaxBodyBytes int64 = 8 << 20
	// DefaultUpstreamTimeout is how long the proxy waits for the upstream's
	// response headers before it answers 504.
	DefaultUpstreamTimeout = 60 * time.Second
	// DefaultPreflightMaxAge is the Access-Control-Max-Age of a preflight answer
	// (Chromium caps it at two hours).
	DefaultPreflightMaxAge = 2 * time.Hour
)

// Names of the configuration variables. They are the same as environment
// variables natively (go run ./worker) and as Worker variables on Cloudflare.
const (
	EnvUpstream        = "FABRIC_API_BASE"       // Config.Upstream
	EnvAllowedOrigins  = "ALLOWED_ORIGINS"       // Config.AllowedOrigins, comma-separated
	EnvRedirectHosts   = "FABRIC_REDIRECT_HOSTS" // Config.RedirectHosts, comma-separated
	EnvMaxBodyBytes    = "MAX_BODY_BYTES"        // Config.MaxBodyBytes, bytes
	EnvUpstreamTimeout = "UPSTREAM_TIMEOUT"      // Config.UpstreamTimeout, "90s" or seconds
	EnvPreflightMaxAge = "CORS_MAX_AGE"          // Config.PreflightMaxAge, "2h" or seconds
	EnvPublicURL       = "PROXY_PUBLIC_URL"      // Config.PublicURL
)

// Config configures a Proxy. The zero value is safe: it forwards to
// DefaultUpstream, allows no cross-origin caller, follows regional Locations on
// DefaultRedirectHosts only and limits bodies to DefaultMaxBodyBytes.
type Config struct {
	// Upstream is the base URL of the Fabric REST API, scheme and host with an
	// optional path prefix, e.g. "https://api.fabric.microsoft.com" or the local
	// emulator "http://127.0.0.1:8790". Requests for /v1/... go to Upstream+/v1/...
	// and nowhere else. Empty means DefaultUpstream.
	Upstream string

	// AllowedOrigins lists the browser origins that may call the proxy:
	// exact origins ("https://app.contoso.com", "http://127.0.0.1:8080") and
	// patterns with a leading label wildcard ("https://*.contoso.com", which
	// matches any subdomain but not contoso.com itself) or a port wildcard
	// ("http://localhost:*"). A lone "*" is refused: the proxy is never open.
	// Empty allows no cross-origin caller. Requests without an Origin (curl,
	// servers) are allowed, and so are requests from the proxy's own origin:
	// PublicURL when set, else the request's own origin only on a loopback
	// host (localhost, 127.0.0.1), since a Host-derived origin elsewhere could
	// be a DNS-rebinding page's. A page served from the proxy's own origin on
	// any other host needs PublicURL or an entry here.
	AllowedOrigins []string

	// RedirectHosts lists the hosts, besides Upstream, that a Location header may
	// point at and that the proxy will then forward to, as patterns
	// "[scheme://]host[:port]" with the same wildcards as AllowedOrigins; the
	// scheme defaults to https. Hosts are DNS names or dotted-decimal IPv4
	// addresses (no empty label, trailing dot, IPv6 or non-ASCII). Empty means
	// DefaultRedirectHosts.
	RedirectHosts []string

	// MaxBodyBytes is the largest request body forwarded; larger ones get 413.
	// Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64

	// UpstreamTimeout bounds the wait for the upstream's response headers;
	// when it passes the proxy answers 504. The body then streams without a
	// deadline. Zero means DefaultUpstreamTimeout.
	UpstreamTimeout time.Duration

	// PreflightMaxAge is sent as Access-Control-Max-Age on preflight answers.
	// Zero means DefaultPreflightMaxAge.
	PreflightMaxAge time.Duration

	// PublicURL is the proxy's own origin as browsers see it
	// ("https://fabric-proxy.example.workers.dev"), used when rewriting Location
	// and, as a page's Origin, allowed without an AllowedOrigins entry (the
	// dashboard served by the same Worker). Empty means: derived from each
	// request (its URL or Host, and TLS), and trusted as a page's Origin only
	// on a loopback host.
	PublicURL string

	// Transport reaches the upstream. Redirects are never followed: the
	// RoundTripper's answer is passed back as it is. Nil means
	// http.DefaultTransport. The Worker passes its fetch-based RoundTripper.
	Transport http.RoundTripper

	// Logger receives one line per request: method, path (without query),
	// status, duration, upstream host and request id. It never receives
	// headers, so never the Authorization token. Nil means slog.Default();
	// use slog.New(slog.DiscardHandler) for silence.
	Logger *slog.Logger
}

// ConfigFromEnv reads a Config from the variables named by the Env* constants,
// using getenv (os.Getenv natively, the Worker's variables on Cloudflare).
// Unset or empty variables keep the zero value, that is the default.
// Comma-separated lists may contain spaces. Malformed numbers and durations are
// reported with the variable's name.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var cfg Config
	var errs []error
	cfg.Upstream = strings.TrimSpace(getenv(EnvUpstream))
	cfg.AllowedOrigins = hostpolicy.SplitList(getenv(EnvAllowedOrigins))
	cfg.RedirectHosts = hostpolicy.SplitList(getenv(EnvRedirectHosts))
	cfg.PublicURL = strings.TrimSpace(getenv(EnvPublicURL))
	if v := strings.TrimSpace(getenv(EnvMaxBodyBytes)); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a positive number of bytes, e.g. 8388608", EnvMaxBodyBytes, v))
		}
		cfg.MaxBodyBytes = n
	}
	var err error
	if cfg.UpstreamTimeout, err = envDuration(getenv, EnvUpstreamTimeout); err != nil {
		errs = append(errs, err)
	}
	if cfg.PreflightMaxAge, err = envDuration(getenv, EnvPreflightMaxAge); err != nil {
		errs = append(errs, err)
	}
	return cfg, errors.Join(errs...)
}

func envDuration(getenv func(string) string, name string) (time.Duration, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 && n < 1<<31 {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive duration such as 90s or a number of seconds", name, v)
	}
	return d, nil
}

// endpoint is a normalised scheme, host and port (see package hostpolicy, the one parser of
// hosts the engine, the proxy and the dashboard share).
type endpoint = hostpolicy.Endpoint

// parseHostport parses a "host[:port]" written by a caller; it returns false
// for anything but a plain host name or dotted-decimal IPv4 address and a decimal port.
func parseHostport(scheme, s string) (endpoint, bool) { return hostpolicy.ParseHostPort(scheme, s) }

// settings is a Config normalised once by New.
type settings struct {
	upstream      endpoint
	basePath      string // upstream path prefix without trailing slash
	origins       hostpolicy.Policy
	redirectHosts hostpolicy.Policy
	maxBody       int64
	timeout       time.Duration
	maxAge        string
	publicOrigin  string // "" when derived per request
	transport     http.RoundTripper
	logger        *slog.Logger
}

// normalise checks cfg once and fills in its defaults; the error names the variable to fix
// for every invalid field.
func normalise(cfg Config) (settings, error) {
	var s settings
	var errs []error
	var err error
	if s.upstream, s.basePath, err = parseUpstream(cfg.Upstream); err != nil {
		errs = append(errs, err)
	}
	var perrs []error
	s.origins, perrs = parsePolicy(cfg.AllowedOrigins, "", EnvAllowedOrigins)
	errs = append(errs, perrs...)
	hosts := cfg.RedirectHosts
	if len(hosts) == 0 {
		hosts = hostpolicy.SplitList(DefaultRedirectHosts)
	}
	s.redirectHosts, perrs = parsePolicy(hosts, "https", EnvRedirectHosts)
	errs = append(errs, perrs...)
	switch {
	case cfg.MaxBodyBytes < 0:
		errs = append(errs, fmt.Errorf("%s: MaxBodyBytes %d is negative", EnvMaxBodyBytes, cfg.MaxBodyBytes))
	case cfg.MaxBodyBytes == 0:
		s.maxBody = DefaultMaxBodyBytes
	default:
		s.maxBody = cfg.MaxBodyBytes
	}
	s.timeout = cfg.UpstreamTimeout
	if s.timeout <= 0 {
		s.timeout = DefaultUpstreamTimeout
	}
	maxAge := cfg.PreflightMaxAge
	if maxAge <= 0 {
		maxAge = DefaultPreflightMaxAge
	}
	s.maxAge = strconv.FormatInt(int64(maxAge/time.Second), 10)
	if cfg.PublicURL != "" {
		if s.publicOrigin, err = parsePublicURL(cfg.PublicURL); err != nil {
			errs = append(errs, err)
		}
	}
	s.transport = cfg.Transport
	if s.transport == nil {
		s.transport = defaultTransport()
	}
	s.logger = cfg.Logger
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if len(errs) > 0 {
		return settings{}, fmt.Errorf("proxy configuration: %w", errors.Join(errs...))
	}
	return s, nil
}

// parseUpstream parses Config.Upstream ("" means DefaultUpstream): http(s)://host[:port] and
// an optional path prefix, returned without its trailing slash.
func parseUpstream(up string) (e endpoint, basePath string, err error) {
	if up == "" {
		up = DefaultUpstream
	}
	u, err := url.Parse(up)
	switch {
	case err != nil:
		return e, "", fmt.Errorf("%s=%q: %v", EnvUpstream, up, err)
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "", u.User != nil, u.RawQuery != "", u.Fragment != "", u.Opaque != "":
		return e, "", fmt.Errorf("%s=%q: want http(s)://host[:port][/prefix], e.g. %s", EnvUpstream, up, DefaultUpstream)
	}
	e, ok := parseHostport(u.Scheme, u.Host)
	if !ok {
		return e, "", fmt.Errorf("%s=%q: bad host %q", EnvUpstream, up, u.Host)
	}
	return e, strings.TrimSuffix(u.EscapedPath(), "/"), nil
}

// parsePolicy parses host patterns (a pattern without a scheme gets defaultScheme; with
// defaultScheme "" a scheme is required); each bad one is an error naming env, the variable
// they come from.
func parsePolicy(patterns []string, defaultScheme, env string) (hostpolicy.Policy, []error) {
	var policy hostpolicy.Policy
	var errs []error
	for _, o := range patterns {
		p, err := hostpolicy.ParsePattern(o, defaultScheme)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", env, err))
			continue
		}
		policy = append(policy, p)
	}
	return policy, errs
}

// parsePublicURL checks Config.PublicURL, the proxy's own origin scheme://host[:port] (a
// trailing slash is fine), and returns it normalised.
func parsePublicURL(v string) (string, error) {
	pu, err := url.Parse(strings.TrimSuffix(v, "/"))
	ok := err == nil && (pu.Scheme == "http" || pu.Scheme == "https") && pu.Path == "" && pu.User == nil && pu.RawQuery == ""
	var e endpoint
	if ok {
		e, ok = parseHostport(pu.Scheme, pu.Host)
	}
	if !ok {
		return "", fmt.Errorf("%s=%q: want the proxy's origin, scheme://host[:port]", EnvPublicURL, v)
	}
	return e.Origin(), nil
}
