package dashboard

import (
	"encoding/json"
	"time"
)

// Kinds of snapshot.
const (
	KindOperation = "operation" // a Fabric long running operation (/v1/operations/{id})
	KindJob       = "job"       // an item job instance
)

// Snapshot is one operation as the dashboard and the JS API show it; it marshals to the
// snapshot JSON of the JS API.
type Snapshot struct {
	ID                 string          `json:"id"`
	Kind               string          `json:"kind"`
	Label              string          `json:"label"`
	Status             string          `json:"status"`
	PercentComplete    *float64        `json:"percentComplete"`
	CreatedTimeUTC     time.Time       `json:"createdTimeUtc"`
	LastUpdatedTimeUTC time.Time       `json:"lastUpdatedTimeUtc"`
	NextPollAt         *time.Time      `json:"nextPollAt"`
	Attempts           int             `json:"attempts"`
	Result             json.RawMessage `json:"result"`
	Error              *ErrorInfo      `json:"error"`
}

// ErrorInfo is Fabric's ErrorResponse as a snapshot carries it.
type ErrorInfo struct {
	ErrorCode   string       `json:"errorCode"`
	Message     string       `json:"message"`
	RequestID   string       `json:"requestId"`
	MoreDetails []ErrorInfo0 `json:"moreDetails"`
}

// ErrorInfo0 is one entry of ErrorInfo.MoreDetails.
type ErrorInfo0 struct {
	ErrorCode string `json:"errorCode"`
	Message   string `json:"message"`
}
