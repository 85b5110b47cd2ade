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
// errors.As to get at it, and errors.Is with [ErrJobCancelled], [ErrJobDeduped],
// [ErrThrottled], [ErrRetriesExhausted] and friends to classify it.
//
// Errors made by the engine itself (not by Fabric) use the same shape, with an ErrorCode that
// names the situation and a Message that says what to do.
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

// Error codes the engine itself produces (Fabric's own codes pass through unchanged).
const (
	CodeJobCancelled      = "JobCancelled"
	CodeJobDeduped        = "JobDeduped"
	CodeThrottled         = "RequestBlocked"
	CodeNetworkError      = "NetworkError"
	CodeRetriesExhausted  = "RetriesExhausted"
	CodeDeadlineExceeded  = "OperationDeadlineExceeded"
	CodeNotDone           = "OperationNotDone"
	CodeInvalidResume     = "InvalidResumeToken"
	CodeUnexpected        = "UnexpectedResponse"
	CodeMalformed         = "MalformedResponse"
	CodeNotCancellable    = "OperationNotCancellable"
	CodeWatchCancelled    = "WatchCancelled"
	CodeOperationNotFound = "OperationNotTracked"
	CodeUntrustedHost     = "UntrustedHost"
	CodeTokenUnavailable  = "TokenUnavailable"
	// CodeJobInstanceUnknown: a job started with a list-form Location cannot be cancelled
	// before the first poll has found its instance.
	CodeJobInstanceUnknown = "JobInstanceNotKnownYet"
)

// Sentinel errors for errors.Is. An *Error matches the sentinel of its ErrorCode.
var (
	// ErrJobCancelled: the job ended with status Cancelled.
	ErrJobCancelled = errors.New("lro: job was cancelled")
	// ErrJobDeduped: the job ended with status Deduped (the same job was already running).
	ErrJobDeduped = errors.New("lro: job was deduped")
	// ErrThrottled: Fabric answered 429, or the host is paused after a 429.
	ErrThrottled = errors.New("lro: throttled")
	// ErrRetriesExhausted: 5xx or network errors persisted after the configured retries.
	ErrRetriesExhausted = errors.New("lro: retries exhausted")
	// ErrDeadlineExceeded: the overall deadline configured in Options.Timeout passed.
	ErrDeadlineExceeded = errors.New("lro: operation deadline exceeded")
	// ErrNotDone: Result was called before the operation finished.
	ErrNotDone = errors.New("lro: operation not done")
	// ErrInvalidResumeToken: the text given to Resume is neither a token, an id nor a URL.
	ErrInvalidResumeToken = errors.New("lro: invalid resume token")
	// ErrUntrustedHost: a request would have gone to a host outside Options.TrustedHosts and
	// the BaseURL's host; it was not sent.
	ErrUntrustedHost = errors.New("lro: untrusted host")
)

var sentinelByCode = map[string]error{
	CodeJobCancelled:     ErrJobCancelled,
	CodeJobDeduped:       ErrJobDeduped,
	CodeRetriesExhausted: ErrRetriesExhausted,
	CodeDeadlineExceeded: ErrDeadlineExceeded,
	CodeNotDone:          ErrNotDone,
	CodeInvalidResume:    ErrInvalidResumeToken,
	CodeUntrustedHost:    ErrUntrustedHost,
}

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
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel error for e's ErrorCode (or [ErrThrottled] for a 429).
func (e *Error) Is(target error) bool {
	if target == ErrThrottled {
		return e.StatusCode == 429 || e.ErrorCode == CodeThrottled
	}
	s, ok := sentinelByCode[e.ErrorCode]
	return ok && s == target
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
		e.ErrorCode = CodeUnexpected
	}
	if e.RequestID == "" {
		e.RequestID = resp.Header.Get("RequestId")
	}
	e.StatusCode = resp.StatusCode
	e.Retryable = resp.StatusCode == 429 || resp.StatusCode >= 500
	return &e
}
