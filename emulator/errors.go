package emulator

import (
	"net/http"
	"strconv"
)

// ErrorResponse is Fabric's error body (common/definitions.json#/definitions/ErrorResponse).
type ErrorResponse struct {
	ErrorCode       string                 `json:"errorCode"`
	Message         string                 `json:"message"`
	RequestID       string                 `json:"requestId,omitempty"`
	MoreDetails     []ErrorResponseDetails `json:"moreDetails,omitempty"`
	RelatedResource *ErrorRelatedResource  `json:"relatedResource,omitempty"`
	IsRetriable     *bool                  `json:"isRetriable,omitempty"`
}

// ErrorResponseDetails is one entry of ErrorResponse.MoreDetails.
type ErrorResponseDetails struct {
	ErrorCode       string                `json:"errorCode"`
	Message         string                `json:"message"`
	RelatedResource *ErrorRelatedResource `json:"relatedResource,omitempty"`
}

// ErrorRelatedResource names the resource an error is about.
type ErrorRelatedResource struct {
	ResourceID   string `json:"resourceId"`
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
