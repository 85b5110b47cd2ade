package lro

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// Error is a Fabric ErrorResponse plus the HTTP status that carried it. A failed operation, a
// failed, cancelled or deduped job, and every non-success HTTP answer surface as *Error; use
// errors.As to get at it, and errors.Is with a [Code] ([CodeJobCancelled],
// [CodeRequestBlocked], any of Fabric's) to classify it.
//
// Errors made by the engine itself (not by Fabric) use the same shape, with a [Code] that
// names the situation and a Message that states the facts.
type Error struct {
	// StatusCode is the HTTP status of the response that carried the error; 0 when no response
	// was received (a network error) or when the engine made the error itself.
	StatusCode int `json:"statusCode,omitempty"`
	// ErrorCode is Fabric's errorCode, for example "ItemDisplayNameAlreadyInUse".
	ErrorCode string `json:"errorCode"`
	// Message is Fabric's human-readable message.
	Message string `json:"message"`
	// RequestID is Fabric's requestId, the value to quote to Microsoft support.
	RequestID string `json:"requestId,omitempty"`
	// MoreDetails lists the detailed errors Fabric attached, if any.
	MoreDetails []ErrorDetail `json:"moreDetails,omitempty"`
	// RelatedResource names the resource the error is about, if Fabric said.
	RelatedResource *RelatedResource `json:"relatedResource,omitempty"`
	// Status is the final Fabric status of a failed operation or job ("Failed", "Cancelled",
	// "Deduped"); empty for errors of a single HTTP call.
	Status string `json:"status,omitempty"`
	// Retryable reports whether repeating the call later may succeed (429, 5xx, network).
	Retryable bool `json:"retryable,omitempty"`
	// RetryAfter is how long to wait before repeating the call, from Retry-After or the
	// engine's backoff; meaningful only when Retryable.
	RetryAfter time.Duration `json:"-"`
	// Err is the underlying cause, such as a network error; nil for Fabric errors.
	Err error `json:"-"`
}

// ErrorDetail is one entry of an ErrorResponse's moreDetails.
type ErrorDetail struct {
	// ErrorCode is the detail's errorCode.
	ErrorCode string `json:"errorCode"`
	// Message is the detail's message.
	Message string `json:"message"`
	// RelatedResource is what the detail is about, if Fabric said.
	RelatedResource *RelatedResource `json:"relatedResource,omitempty"`
}

// RelatedResource is the resource an error refers to.
type RelatedResource struct {
	// ResourceID is the resource's id.
	ResourceID string `json:"resourceId"`
	// ResourceType is the resource's type, for example "Notebook".
	ResourceType string `json:"resourceType"`
}

// Code is an errorCode: one of Fabric's, or one the engine makes for a situation of its own.
// A Code is an error, so that callers branch with errors.Is: errors.Is(err, CodeJobCancelled)
// is true when err is (or wraps) an *Error whose ErrorCode is "JobCancelled". Each constant's
// name is "Code" and its value.
type Code string

// Error returns the code itself.
func (c Code) Error() string { return string(c) }

// Codes the engine makes (Fabric's own codes pass through unchanged in Error.ErrorCode).
const (
	// CodeJobCancelled: the job ended with status Cancelled.
	CodeJobCancelled Code = "JobCancelled"
	// CodeJobDeduped: the job ended with status Deduped (the same job was already running).
	CodeJobDeduped Code = "JobDeduped"
	// CodeNetworkError: no HTTP answer came (the connection failed or dropped).
	CodeNetworkError Code = "NetworkError"
	// CodeRetriesExhausted: 5xx or network errors persisted after the configured retries.
	// The error wraps the last failure (errors.Is matches its code too).
	CodeRetriesExhausted Code = "RetriesExhausted"
	// CodeStartNotRetried: a start that is not idempotent (a POST) failed with a 5xx or a
	// network error and was not retried, because it may have taken effect (the item may
	// exist, the job may run). The error wraps the failure (errors.Is matches its code too).
	CodeStartNotRetried Code = "StartNotRetried"
	// CodeOperationDeadlineExceeded: the overall deadline of Options.Timeout passed.
	CodeOperationDeadlineExceeded Code = "OperationDeadlineExceeded"
	// CodeOperationNotDone: Result was called before the operation finished.
	CodeOperationNotDone Code = "OperationNotDone"
	// CodeInvalidResumeToken: the text given to Resume is neither a token, an id nor a URL.
	CodeInvalidResumeToken Code = "InvalidResumeToken"
	// CodeUnexpectedResponse: an answer the protocol does not allow (a status, a Location).
	CodeUnexpectedResponse Code = "UnexpectedResponse"
	// CodeMalformedResponse: a body that is not the JSON Fabric sends.
	CodeMalformedResponse Code = "MalformedResponse"
	// CodeOperationNotCancellable: only jobs can be cancelled, not operations.
	CodeOperationNotCancellable Code = "OperationNotCancellable"
	// CodeWatchCancelled: the caller stopped watching (its context ended) before the end.
	CodeWatchCancelled Code = "WatchCancelled"
	// CodeOperationNotTracked: no operation with that id is tracked by the Scheduler.
	CodeOperationNotTracked Code = "OperationNotTracked"
	// CodeUntrustedHost: a request would have gone to a host outside Options.TrustedHosts
	// and the BaseURL's host; it was not sent.
	CodeUntrustedHost Code = "UntrustedHost"
	// CodeTokenUnavailable: the TokenSource gave no token.
	CodeTokenUnavailable Code = "TokenUnavailable"
	// CodeJobInstanceNotKnownYet: a job started with a list-form Location cannot be cancelled
	// before the first poll has found its instance.
	CodeJobInstanceNotKnownYet Code = "JobInstanceNotKnownYet"
	// CodeJobFailed: the job failed and Fabric gave no failureReason.
	CodeJobFailed Code = "JobFailed"
	// CodeOperationFailed: the operation failed and Fabric gave no error.
	CodeOperationFailed Code = "OperationFailed"
	// CodeJobAlreadyCompleted: a cancel came after the job had ended.
	CodeJobAlreadyCompleted Code = "JobAlreadyCompleted"
	// CodeClientError: an error of the caller's own (a TokenSource's, a Transport's) with no
	// code of its own.
	CodeClientError Code = "ClientError"
)

// Codes of Fabric's that the engine acts on.
const (
	// CodeRequestBlocked: Fabric throttled the call (429); errors.Is matches any 429 too.
	CodeRequestBlocked Code = "RequestBlocked"
	// CodeTokenExpired: the bearer token expired; the engine asks its TokenSource for a new one.
	CodeTokenExpired Code = "TokenExpired"
	// CodeOperationHasNoResult: the operation succeeded and has no result to fetch.
	CodeOperationHasNoResult Code = "OperationHasNoResult"
)

// Error formats the error as "<status> <errorCode>: <message> (requestId <id>)".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("fabric: ")
	if e.StatusCode != 0 {
		b.WriteString(strconv.Itoa(e.StatusCode))
		b.WriteByte(' ')
	}
	b.WriteString(e.ErrorCode)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (requestId ")
		b.WriteString(e.RequestID)
		b.WriteByte(')')
	}
	if e.Err != nil && !strings.Contains(e.Message, e.Err.Error()) { // the engine's messages often say it already
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the [Code] of e (or [CodeRequestBlocked] and e is a 429).
func (e *Error) Is(target error) bool {
	c, ok := target.(Code)
	if !ok {
		return false
	}
	return e.ErrorCode == string(c) || c == CodeRequestBlocked && e.StatusCode == 429
}

// IsRetryable reports whether err is worth retrying later: a 429, a 5xx or a network error.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable
}

// parseErrorBody reads a Fabric ErrorResponse from body. ok is false when body holds none.
func parseErrorBody(body []byte) (e Error, ok bool) {
	r := gjson.ParseBytes(body)
	if !r.IsObject() {
		return e, false
	}
	e.ErrorCode = r.Get("errorCode").String()
	e.Message = r.Get("message").String()
	e.RequestID = r.Get("requestId").String()
	r.Get("moreDetails").ForEach(func(_, d gjson.Result) bool {
		e.MoreDetails = append(e.MoreDetails, ErrorDetail{
			ErrorCode:       d.Get("errorCode").String(),
			Message:         d.Get("message").String(),
			RelatedResource: parseRelated(d.Get("relatedResource")),
		})
		return true
	})
	e.RelatedResource = parseRelated(r.Get("relatedResource"))
	return e, e.ErrorCode != "" || e.Message != ""
}

func parseRelated(r gjson.Result) *RelatedResource {
	if !r.IsObject() {
		return nil
	}
	return &RelatedResource{ResourceID: r.Get("resourceId").String(), ResourceType: r.Get("resourceType").String()}
}

// responseError builds the *Error for a non-success HTTP response.
func responseError(resp *Response) *Error {
	e, ok := parseErrorBody(resp.Body)
	if !ok {
		e = Error{ErrorCode: resp.Header.Get("x-ms-public-api-error-code"), Message: fmt.Sprintf("Fabric answered HTTP %d with no ErrorResponse body", resp.StatusCode)}
	}
	if e.ErrorCode == "" {
		e.ErrorCode = resp.Header.Get("x-ms-public-api-error-code")
	}
	if e.ErrorCode == "" {
		e.ErrorCode = string(CodeUnexpectedResponse)
	}
	if e.RequestID == "" {
		e.RequestID = resp.Header.Get("RequestId")
	}
	e.StatusCode = resp.StatusCode
	e.Retryable = resp.StatusCode == 429 || resp.StatusCode >= 500
	return &e
}
