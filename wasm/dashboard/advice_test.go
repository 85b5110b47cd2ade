package dashboard

import (
	"context"
	"errors"
	"testing"

	"github.com/fabric-lro/fabric-lro/lro"
)

// What a person reads about each kind of error: the facts package lro states, then what to do
// in the dashboard's words, said once.
func TestWorded(t *testing.T) {
	const (
		signIn       = "sign in again (Sign in, above)"
		notSentAgain = " Check the workspace before trying again."
	)
	tests := []struct {
		name string
		err  error
		how  string // how the page's user gets a new token
		want string // the message
	}{
		{name: "no token, Settings", how: pasteTokenAdvice,
			err:  &lro.Error{ErrorCode: string(lro.CodeTokenUnavailable), Message: "could not get an access token: getToken failed"},
			want: "could not get an access token: getToken failed. Paste a new token in Settings and Apply."},
		{name: "no token, sign-in", how: signIn,
			err:  &lro.Error{ErrorCode: string(lro.CodeTokenUnavailable), Message: "could not get an access token: interaction required"},
			want: "could not get an access token: interaction required. Sign in again (Sign in, above)."},
		{name: "no token, embedded: the page supplies tokens",
			err:  &lro.Error{ErrorCode: string(lro.CodeTokenUnavailable), Message: "could not get an access token: getToken failed"},
			want: "could not get an access token: getToken failed"},
		{name: "token expired", how: pasteTokenAdvice,
			err:  &lro.Error{StatusCode: 401, ErrorCode: string(lro.CodeTokenExpired), Message: "Access token has expired, resubmit with a new access token"},
			want: "Access token has expired, resubmit with a new access token. Paste a new token in Settings and Apply."},
		{name: "invalid token", how: signIn,
			err:  &lro.Error{StatusCode: 401, ErrorCode: codeInvalidToken, Message: "The token is not valid."},
			want: "The token is not valid. Sign in again (Sign in, above)."},
		{name: "any other 401", how: pasteTokenAdvice,
			err:  &lro.Error{StatusCode: 401, ErrorCode: "Unauthorized", Message: "Not authorized."},
			want: "Not authorized. Paste a new token in Settings and Apply."},
		{name: "no answer to a create, wrapped in lro's StartNotRetried",
			err: &lro.Error{ErrorCode: string(lro.CodeStartNotRetried), Message: "the POST was not retried: it may have taken effect (fabric: NetworkError: could not reach 127.0.0.1:8787)",
				Err: &lro.Error{ErrorCode: string(lro.CodeNetworkError), Message: "could not reach 127.0.0.1:8787", Retryable: true}},
			want: "the POST was not retried: it may have taken effect (fabric: NetworkError: could not reach 127.0.0.1:8787). Check the network and any proxy." + notSentAgain},
		{name: "a 5xx to a create, wrapped in lro's StartNotRetried",
			err: &lro.Error{StatusCode: 503, ErrorCode: string(lro.CodeStartNotRetried), Message: "the POST was not retried: it may have taken effect (fabric: 503 ServiceUnavailable: busy)",
				Err: &lro.Error{StatusCode: 503, ErrorCode: "ServiceUnavailable", Message: "busy", Retryable: true}},
			want: "the POST was not retried: it may have taken effect (fabric: 503 ServiceUnavailable: busy)." + notSentAgain},
		{name: "no answer",
			err:  &lro.Error{ErrorCode: string(lro.CodeNetworkError), Message: "could not reach 127.0.0.1:8787", Retryable: true},
			want: "could not reach 127.0.0.1:8787. Check the network and any proxy."},
		{name: "a 5xx: Fabric's message says it",
			err:  &lro.Error{StatusCode: 503, ErrorCode: "ServiceUnavailable", Message: "The service is unavailable.", RequestID: "rq-1", Retryable: true},
			want: "The service is unavailable."},
		{name: "gave up after failures",
			err:  &lro.Error{ErrorCode: string(lro.CodeRetriesExhausted), Message: "gave up after 4 consecutive failed attempts (last: fabric: 503 ServiceUnavailable)"},
			want: "gave up after 4 consecutive failed attempts (last: fabric: 503 ServiceUnavailable). Fabric or the network is unavailable: try again later, or track it again by its id to see how it ended."},
		{name: "gave up after 5xx, wrapping the last: not a start that was not sent again",
			err: &lro.Error{StatusCode: 503, ErrorCode: string(lro.CodeRetriesExhausted), Message: "gave up after 4 consecutive failed attempts (the last: fabric: 503 ServiceUnavailable: busy)",
				Err: &lro.Error{StatusCode: 503, ErrorCode: "ServiceUnavailable", Message: "busy", Retryable: true}},
			want: "gave up after 4 consecutive failed attempts (the last: fabric: 503 ServiceUnavailable: busy). Fabric or the network is unavailable: try again later, or track it again by its id to see how it ended."},
		{name: "job cancelled",
			err:  &lro.Error{ErrorCode: string(lro.CodeJobCancelled), Message: "the job was cancelled", Status: lro.StatusCancelled},
			want: "the job was cancelled. Run it again if it is still needed."},
		{name: "the tab sending the create closed",
			err:  &lro.Error{ErrorCode: CodeLeaderClosed, Message: "The tab that was sending this request to Fabric closed before Fabric answered."},
			want: "The tab that was sending this request to Fabric closed before Fabric answered. If Fabric accepted it, the operation shows in the list within a few seconds; otherwise start it again."},
		{name: "job deduped",
			err:  &lro.Error{ErrorCode: string(lro.CodeJobDeduped), Message: "the job was skipped because the same job was already running"},
			want: "the job was skipped because the same job was already running. Watch that run instead."},
		{name: "deadline passed",
			err:  &lro.Error{ErrorCode: string(lro.CodeOperationDeadlineExceeded), Message: "the operation did not finish by its deadline 2000-01-01T00:10:00Z"},
			want: "the operation did not finish by its deadline 2000-01-01T00:10:00Z. It may still be running in Fabric: track it again by its operation id or Location URL."},
		{name: "unexpected response",
			err:  &lro.Error{StatusCode: 302, ErrorCode: string(lro.CodeUnexpectedResponse), Message: "unexpected HTTP 302 from http://proxy/v1/operations/1"},
			want: "unexpected HTTP 302 from http://proxy/v1/operations/1. Fabric does not answer like this: check the API base and any proxy in between."},
		{name: "cancel before the job's instance is known",
			err:  &lro.Error{ErrorCode: string(lro.CodeJobInstanceNotKnownYet), Message: "the job's instance is not known yet", Retryable: true},
			want: "the job's instance is not known yet. Cancel again once the first check has found the run."},
		{name: "watching stopped",
			err:  &lro.Error{ErrorCode: string(lro.CodeWatchCancelled), Message: "stopped watching"},
			want: "stopped watching. Track it again by its id to see how it ended."},
		{name: "not a resume token",
			err:  &lro.Error{ErrorCode: string(lro.CodeInvalidResumeToken), Message: "cannot resume: not JSON"},
			want: "cannot resume: not JSON. Paste an operation id, a Location URL or a resume token."},
		{name: "untrusted host",
			err:  &lro.Error{ErrorCode: string(lro.CodeUntrustedHost), Message: "refusing to send a request to https://evil.example"},
			want: "refusing to send a request to https://evil.example. Track the operation by its id: the dashboard calls Fabric only through its API base."},
		{name: "throttled",
			err:  &lro.Error{StatusCode: 429, ErrorCode: string(lro.CodeRequestBlocked), Message: "Request is blocked by the upstream service until: 1/1/2000 12:01:00 AM", Retryable: true},
			want: "Request is blocked by the upstream service until: 1/1/2000 12:01:00 AM. Fabric asked for fewer calls: try again in a minute."},
		{name: "Fabric's own code: its message says it",
			err:  &lro.Error{StatusCode: 400, ErrorCode: "ItemDisplayNameAlreadyInUse", Message: "Requested 'Sales' is already in use. Choose another displayName."},
			want: "Requested 'Sales' is already in use. Choose another displayName."},
		{name: "cancelled by the page", err: context.Canceled, want: "The request was cancelled."},
		{name: "an error of the page's own", err: errors.New("QuotaExceededError"), want: "QuotaExceededError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := worded(tt.err, tt.how)
			if got.Message != tt.want {
				t.Errorf("message\n got %q\nwant %q", got.Message, tt.want)
			}
			if facts := errorFacts(tt.err); got.ErrorCode != facts.ErrorCode || got.RequestID != facts.RequestID {
				t.Errorf("code %q request id %q, want lro's %q and %q", got.ErrorCode, got.RequestID, facts.ErrorCode, facts.RequestID)
			}
			var fe *lro.Error
			if errors.As(tt.err, &fe) { // worded again, it says nothing twice
				again := *fe
				again.Message = got.Message
				if twice := worded(&again, tt.how).Message; twice != got.Message {
					t.Errorf("worded twice: %q", twice)
				}
			}
		})
	}
}

// The status of an operation waiting for a token, and the workspace picker without one, say
// how the user of this page gets a token.
func TestTokenWords(t *testing.T) {
	tests := []struct {
		how, code     string
		wait, noToken string
	}{
		{how: pasteTokenAdvice, code: "TokenExpired",
			wait: "Token expired: paste a new token in Settings and Apply", noToken: "No token yet: paste a bearer token in Settings, then Apply."},
		{how: pasteTokenAdvice, code: "TokenUnavailable",
			wait: "Not authorized (TokenUnavailable): paste a new token in Settings and Apply", noToken: "No token yet: paste a bearer token in Settings, then Apply."},
		{how: "sign in again (Sign in, above)", code: "InvalidToken",
			wait: "Not authorized (InvalidToken): sign in again (Sign in, above)", noToken: "No token yet: sign in (above), or paste a bearer token in Settings and Apply."},
		{how: "sign in again (Sign in, above)", code: "TokenUnavailable",
			wait: "Waiting for sign-in: sign in again (Sign in, above)", noToken: "No token yet: sign in (above), or paste a bearer token in Settings and Apply."},
		{how: "", code: "TokenExpired",
			wait: "Token expired: waiting for a new token from this page", noToken: "No token yet: this page has not given the dashboard a token."},
		{how: "", code: "InvalidToken",
			wait: "Not authorized (InvalidToken): waiting for a new token from this page", noToken: "No token yet: this page has not given the dashboard a token."},
	}
	for _, tt := range tests {
		if got := tokenWaitWords(tt.code, tt.how); got != tt.wait {
			t.Errorf("tokenWaitWords(%q, %q) = %q, want %q", tt.code, tt.how, got, tt.wait)
		}
		if got := noTokenWords(tt.how); got != tt.noToken {
			t.Errorf("noTokenWords(%q) = %q, want %q", tt.how, got, tt.noToken)
		}
	}
}
