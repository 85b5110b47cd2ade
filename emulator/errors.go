package emulator

import (
	"net/http"
	"strconv"
)

// ErrorResponse is Fabric's error body (common/definitions.json#/definitions/ErrorResponse).
type ErrorResponse struct {
	// ErrorCode is Fabric's stable machine-readable code, e.g. "ItemNotFound";
	// the same value is sent in the x-ms-public-api-error-code header.
	ErrorCode string `json:"errorCode"`
	// Message says what went wrong and what to do, for a person.
	Message string `json:"message"`
	// RequestID identifies the request; also sent in the requestId header.
	RequestID string `json:"requestId,omitempty"`
	// MoreDetails lists further errors behind this one, if any.
	MoreDetails []ErrorResponseDetails `json:"moreDetails,omitempty"`
	// RelatedResource names the resource the error is about, if any.
	RelatedResource *ErrorRelatedResource `json:"relatedResource,omitempty"`
	// IsRetriable is true when the same request may succeed later (throttling,
	// 503), usually with a Retry-After header; nil when not said.
	IsRetriable *bool `json:"isRetriable,omitempty"`
}

// ErrorResponseDetails is one entry of ErrorResponse.MoreDetails.
type ErrorResponseDetails struct {
	// ErrorCode is the detail's machine-readable code.
	ErrorCode string `json:"errorCode"`
	// Message describes the detail for a person.
	Message string `json:"message"`
	// RelatedResource names the resource the detail is about, if any.
	RelatedResource *ErrorRelatedResource `json:"relatedResource,omitempty"`
}

// ErrorRelatedResource names the resource an error is about.
type ErrorRelatedResource struct {
	// ResourceID is the resource's ID, e.g. an item or operation GUID.
	ResourceID string `json:"resourceId"`
	// ResourceType is its kind, e.g. "Notebook", "Operation" or "JobInstance".
	ResourceType string `json:"resourceType"`
}

// apiError is an error answer under construction: status, body and extra headers.
type apiError struct {
	status  int
	body    ErrorResponse
	headers http.Header
}

func newAPIError(status int, code, message string) *apiError {
	return &apiError{status: status, body: ErrorResponse{ErrorCode: code, Message: message}}
}

func (e *apiError) withRetryAfter(seconds int) *apiError {
	if e.headers == nil {
		e.headers = http.Header{}
	}
	e.headers.Set("Retry-After", strconv.Itoa(seconds))
	t := true
	e.body.IsRetriable = &t
	return e
}

func (e *apiError) about(resourceID, resourceType string) *apiError {
	e.body.RelatedResource = &ErrorRelatedResource{ResourceID: resourceID, ResourceType: resourceType}
	return e
}

// writeError writes e as Fabric does: the ErrorResponse body, the error code in
// x-ms-public-api-error-code, and the request ID in the body and the requestId header.
func writeError(w http.ResponseWriter, requestID string, e *apiError) {
	for k, v := range e.headers {
		w.Header()[k] = v
	}
	e.body.RequestID = requestID
	w.Header().Set("x-ms-public-api-error-code", e.body.ErrorCode)
	writeJSON(w, e.status, e.body)
}
