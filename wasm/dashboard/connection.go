package dashboard

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fabric-lro/fabric-lro/lro"
)

// Probe is what the browser found out about an API base, for "Test connection" and to name
// the likely cause of a call that never got an answer. The browser hides why a cross-origin
// request failed, so the page asks three questions (see wasm/probe_js.go):
//
//  1. GET {apiBase}/workspaces with the token, as the dashboard calls it (CORS, preflighted);
//  2. does anything answer at the API base's origin at all (a no-cors request, which needs
//     no permission from the server and tells only "something answered")?
//  3. GET {apiBase}/workspaces without the token (a simple request, not preflighted): does
//     the server let this page read its answer?
type Probe struct {
	APIBase    string // the API base probed, e.g. "http://127.0.0.1:8787/v1"
	PageOrigin string // the origin the page runs on, e.g. "http://127.0.0.1:8080"

	Answered  bool   // request 1 got an answer the page could read
	Status    int    // its HTTP status
	ErrorCode string // its errorCode (Fabric's, or the proxy's)
	Message   string // its message
	RequestID string // its requestId
	Count     int    // how many workspaces it listed (on 200)

	Listening bool // request 2: something answers at the API base's origin

	PlainAnswered bool   // request 3 got an answer the page could read
	PlainStatus   int    // its HTTP status
	PlainCode     string // its errorCode
}

// Causes a verdict names.
const (
	causeReachable       = "reachable"         // Fabric answered through the proxy with the token
	causeNothingListens  = "nothing-listening" // nothing answers at the API base's host and port
	causeNotProxyPath    = "not-proxy-path"    // something answers, but not the proxy's /v1 path
	causeOriginRefused   = "origin-not-allowed"
	causeTokenRejected   = "token-rejected" // Fabric (through the proxy) refused the token: 401
	causeFabricError     = "fabric-error"   // Fabric answered with another error
	causePreflightFailed = "preflight-failed"
	causeNotAURL         = "not-a-url" // the API base typed is empty or not an http(s) URL: nothing is sent
)

// verdict is what a [Probe] means for the user.
type verdict struct {
	Cause string // one of the Cause* constants
	Words string // what it means and what to do, for people
	// Reached reports whether a request of the dashboard could have reached Fabric: when it
	// could not (nothing listens, the origin or the preflight is refused), a create that
	// failed without an answer did not take effect.
	Reached bool
}

// judge names what a probe found.
func judge(p Probe) verdict {
	apiBase := strings.TrimRight(p.APIBase, "/")
	origin := originOf(apiBase)
	noV1 := !strings.HasSuffix(strings.TrimRight(apiBase, "/"), "/v1")
	switch {
	case p.Answered && p.Status >= 200 && p.Status < 300:
		return verdict{Cause: causeReachable, Reached: true,
			Words: fmt.Sprintf("Connected: Fabric answered through %s and lists %s for this token.", apiBase, plural(p.Count, "workspace"))}
	case p.Answered && p.Status == 401:
		return verdict{Cause: causeTokenRejected, Reached: true,
			Words: "The proxy answers, but Fabric refused the token (" + codeAndMessage(p.ErrorCode, p.Message) +
				"): paste a new token (az account get-access-token --resource https://api.fabric.microsoft.com) and Apply."}
	case p.Answered && p.Status == 404 && (noV1 || p.ErrorCode == "NotFound"):
		return notProxyPath(apiBase, origin)
	case p.Answered:
		return verdict{Cause: causeFabricError, Reached: true,
			Words: fmt.Sprintf("The proxy answers, but the request failed: %d %s%s.", p.Status, codeAndMessage(p.ErrorCode, p.Message), requestIDWords(p.RequestID))}
	case !p.Listening:
		return verdict{Cause: causeNothingListens,
			Words: "Nothing answers at " + origin + ": start the proxy there (./build.sh serve starts one on 127.0.0.1:8787) or correct the API base."}
	case p.PlainAnswered && (p.PlainStatus == 404 || noV1):
		return notProxyPath(apiBase, origin)
	case p.PlainAnswered:
		return verdict{Cause: causePreflightFailed,
			Words: origin + " answers this page, but refused the preflight of an authorized request: is it a fabric-lro proxy? Check that the API base is the proxy's /v1 URL."}
	case noV1:
		return notProxyPath(apiBase, origin)
	}
	return verdict{Cause: causeOriginRefused,
		Words: "Something answers at " + origin + ", but it does not let this page (" + orUnknown(p.PageOrigin) +
			") read its answers: add " + orUnknown(p.PageOrigin) + " to the proxy's ALLOWED_ORIGINS and restart or redeploy it (or the API base is not a fabric-lro proxy)."}
}

// checkAPIBase judges an API base as typed in Settings before anything is sent: an empty
// one, or one that is not an absolute http(s) URL, gets a verdict that says what to type;
// ok is true when apiBase can be probed.
func checkAPIBase(apiBase string) (v verdict, ok bool) {
	apiBase = strings.TrimSpace(apiBase)
	lower := strings.ToLower(apiBase)
	const what = "the API base is the proxy's URL ending in /v1, such as http://127.0.0.1:8787/v1 (./build.sh serve) or https://fabric-lro.example.workers.dev/v1."
	switch {
	case apiBase == "":
		return verdict{Cause: causeNotAURL, Words: "The API base is empty: type it, then Test connection; " + what}, false
	case !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") || len(originOf(apiBase)) <= len("https://"):
		return verdict{Cause: causeNotAURL, Words: quoteText(apiBase) + " is not an http(s) URL: " + what}, false
	}
	return verdict{}, true
}

func notProxyPath(apiBase, origin string) verdict {
	return verdict{Cause: causeNotProxyPath,
		Words: origin + " answers, but " + apiBase + " is not the proxy's path: the API base is the proxy's URL ending in /v1, such as " + origin + "/v1."}
}

func codeAndMessage(code, msg string) string {
	switch {
	case code == "":
		return msg
	case msg == "":
		return code
	}
	return code + ": " + msg
}

func requestIDWords(id string) string {
	if id == "" {
		return ""
	}
	return " (requestId " + id + ")"
}

func orUnknown(s string) string {
	if s == "" {
		return "this page's origin"
	}
	return s
}

// originOf is the scheme and host of a URL ("http://127.0.0.1:8787" of ".../v1").
func originOf(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	return scheme + "://" + rest
}

// unanswered reports whether a call failed without any answer from the server (the browser's
// fetch rejected), also when package lro wraps that failure: only then does a probe say more
// than the error does.
func unanswered(err error) bool { return errors.Is(err, lro.CodeNetworkError) }

// explainStart rewrites the error of a start that got no answer once a probe has named the
// likely cause. A request that could have reached Fabric keeps what it says (it may have taken
// effect) and gains the cause. One that could not have did not take effect: its message is
// built anew from that fact and the cause, without the warning that it may have.
func explainStart(e ErrorInfo, v verdict) ErrorInfo {
	if v.Reached {
		e.Message += " Likely cause: " + v.Words
		return e
	}
	e.Message = "No answer: the request did not reach Fabric, so nothing was created or started. Likely cause: " + v.Words
	return e
}

// ProbeToken is the token Test connection may send to typedBase: the typed token, unless it
// is the one shown for the API base in use (shown) and typedBase is on another origin. A link
// can propose any API base; the token of the one in use never goes to another origin unless
// the user typed it for that one.
func ProbeToken(inUse, typedBase, typed, shown string) string {
	if typed == shown && originOf(strings.TrimSpace(typedBase)) != originOf(inUse) {
		return ""
	}
	return typed
}

// plural writes n things: "1 workspace", "3 workspaces".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
