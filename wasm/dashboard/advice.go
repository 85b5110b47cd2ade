package dashboard

import (
	"context"
	"errors"
	"strings"

	"github.com/fabric-lro/fabric-lro/lro"
)

// The words a person reads about an error are decided here. Package lro's errors state facts:
// what failed, Fabric's errorCode, message and requestId, and an lro.Code for each situation of
// the engine's own. The dashboard adds, by code, what to do.

// advice is what to do about an error, in the dashboard's words.
type advice struct {
	words string // one or two sentences
}

// adviceByCode is what to do about an error of a code. Fabric's own codes are not listed (their
// message is Fabric's, and says it); neither are the token codes, whose words depend on the page
// (see tokenAdvice), nor the codes of errors the dashboard makes with their words in them.
var adviceByCode = map[string]advice{
	string(lro.CodeNetworkError):              {words: "Check the network and any proxy."},
	string(lro.CodeStartNotRetried):           notRetriedAdvice,
	string(lro.CodeRetriesExhausted):          {words: "Fabric or the network is unavailable: try again later, or track it again by its id to see how it ended."},
	string(lro.CodeOperationDeadlineExceeded): {words: "It may still be running in Fabric: track it again by its operation id or Location URL."},
	string(lro.CodeUnexpectedResponse):        {words: "Fabric does not answer like this: check the API base and any proxy in between."},
	string(lro.CodeJobInstanceNotKnownYet):    {words: "Cancel again once the first check has found the run."},
	string(lro.CodeJobCancelled):              {words: "Run it again if it is still needed."},
	string(lro.CodeJobDeduped):                {words: "Watch that run instead."},
	string(lro.CodeWatchCancelled):            {words: "Track it again by its id to see how it ended."},
	string(lro.CodeOperationNotTracked):       {words: "Track it again by its id."},
	string(lro.CodeOperationNotCancellable):   {words: "Only a job can be cancelled: dismiss the operation to stop watching it."},
	string(lro.CodeInvalidResumeToken):        {words: "Paste an operation id, a Location URL or a resume token."},
	string(lro.CodeUntrustedHost):             {words: "Track the operation by its id: the dashboard calls Fabric only through its API base."},
	string(lro.CodeRequestBlocked):            {words: "Fabric asked for fewer calls: try again in a minute."},
	CodeLeaderClosed:                          {words: "If Fabric accepted it, the operation shows in the list within a few seconds; otherwise start it again."},
}

// CodeLeaderClosed is the errorCode of a create or job run that another tab of the page
// (wasm/tabs) was sending for this one when it closed, before Fabric answered.
const CodeLeaderClosed = "LeaderClosed"

// notRetriedAdvice is what to do about a start that was not sent again.
var notRetriedAdvice = advice{words: "Check the workspace before trying again."}

// codeInvalidToken is Fabric's errorCode for a bearer token it does not take (401).
const codeInvalidToken = "InvalidToken"

// pasteTokenAdvice is how the user of a page with Settings gets a new token.
const pasteTokenAdvice = "paste a new token in Settings and Apply"

// signInAgain is how a caller of the JS API gets a new token, as far as the dashboard knows.
const signInAgain = "sign in again to get a new token"

// isTokenCode reports whether errorCode says the token was missing or refused.
func isTokenCode(errorCode string) bool {
	switch errorCode {
	case string(lro.CodeTokenUnavailable), string(lro.CodeTokenExpired), codeInvalidToken:
		return true
	}
	return false
}

// tokenAdvice is what to do about a missing or refused token on a page where the user gets a
// new one as how says ("" when the embedding page supplies tokens: nothing to do here).
func tokenAdvice(how string) advice {
	a := advice{}
	if how != "" {
		a.words = strings.ToUpper(how[:1]) + how[1:] + "."
	}
	return a
}

// tokenWaitWords is the status of an operation waiting for a new token after a 401 (or a token
// source with none to give) with errorCode, on a page where the user gets one as how says.
func tokenWaitWords(errorCode, how string) string {
	switch {
	case how == "" && errorCode == string(lro.CodeTokenExpired):
		return "Token expired: waiting for a new token from this page"
	case how == "":
		return "Not authorized (" + errorCode + "): waiting for a new token from this page"
	case errorCode == string(lro.CodeTokenUnavailable) && how != pasteTokenAdvice:
		return "Waiting for sign-in: " + how // the page's sign-in had no token to give
	case errorCode == string(lro.CodeTokenExpired):
		return "Token expired: " + how
	}
	return "Not authorized (" + errorCode + "): " + how
}

// noTokenWords is what the workspace picker says before there is a token.
func noTokenWords(how string) string {
	switch how {
	case "":
		return "No token yet: this page has not given the dashboard a token."
	case pasteTokenAdvice:
		return "No token yet: paste a bearer token in Settings, then Apply."
	}
	return "No token yet: sign in (above), or paste a bearer token in Settings and Apply."
}

// ErrorOf returns err in Fabric's ErrorResponse shape (see errorFacts), its message followed by
// what to do in the dashboard's words: what the JS API rejects a call with.
func ErrorOf(err error) ErrorInfo { return worded(err, signInAgain) }

// worded is err as a person reads it: its facts (see errorFacts), then what to do about its
// code and the code of the failure it wraps, and about a missing or refused token (how the
// user gets a new one: see tokenAdvice).
func worded(err error, how string) ErrorInfo {
	e := errorFacts(err)
	token := false
	for _, fe := range chain(err) {
		e.Message = withAdvice(e.Message, adviceByCode[fe.ErrorCode])
		token = token || isTokenCode(fe.ErrorCode) || fe.StatusCode == 401
	}
	if token {
		e.Message = withAdvice(e.Message, tokenAdvice(how))
	}
	return e
}

// chain is the *lro.Error err is, and the ones it wraps, innermost first (what to do about a
// failure comes before what to do about what came of it): package lro wraps a failure in the
// error of a start it did not send again, or of retries it gave up.
func chain(err error) []*lro.Error {
	var out []*lro.Error
	for fe := (*lro.Error)(nil); errors.As(err, &fe); err = fe.Err {
		out = append([]*lro.Error{fe}, out...)
	}
	return out
}

// errorFacts returns err in Fabric's ErrorResponse shape, with the facts alone: the Fabric
// error it wraps, or one with errorCode "ClientError" and err's text as its message.
func errorFacts(err error) ErrorInfo {
	var fe *lro.Error
	switch {
	case errors.As(err, &fe):
		md := fe.MoreDetails
		if md == nil {
			md = []lro.ErrorDetail{}
		}
		return ErrorInfo{ErrorCode: fe.ErrorCode, Message: fe.Message, RequestID: fe.RequestID, MoreDetails: md}
	case errors.Is(err, context.Canceled):
		return ErrorInfo{ErrorCode: "Cancelled", Message: "The request was cancelled.", MoreDetails: []lro.ErrorDetail{}}
	}
	return ErrorInfo{ErrorCode: string(lro.CodeClientError), Message: err.Error(), MoreDetails: []lro.ErrorDetail{}}
}

// withAdvice is message followed by a's words, unless message already says them.
func withAdvice(message string, a advice) string {
	lower := strings.ToLower(message)
	switch {
	case a.words == "",
		strings.Contains(lower, strings.ToLower(strings.TrimSuffix(a.words, "."))):
		return message
	}
	message = strings.TrimSpace(message)
	switch {
	case message == "":
		return a.words
	case !strings.HasSuffix(message, ".") && !strings.HasSuffix(message, "!") && !strings.HasSuffix(message, "?"):
		message += "."
	}
	return message + " " + a.words
}

// workspaceHint adds what to do to Fabric's refusal of a workspace the caller cannot see or
// use (404 WorkspaceNotFound, 403): Fabric's own message does not say.
func workspaceHint(err error, workspaceID string) error {
	var e *lro.Error
	if !errors.As(err, &e) || e.ErrorCode != "WorkspaceNotFound" && e.StatusCode != 403 {
		return err
	}
	c := *e
	c.Message = strings.TrimSpace(c.Message) + " Check the workspace id " + workspaceID +
		": pick a workspace from the dashboard's list (those this token can see), or ask the workspace's admin for a role in it."
	return &c
}

// describe writes an ErrorResponse on one line: "errorCode: message (requestId …)".
func describe(e ErrorInfo) string {
	s := e.ErrorCode + ": " + e.Message
	if e.RequestID != "" {
		s += " (requestId " + e.RequestID + ")"
	}
	return s
}
