package emulator

import (
	"encoding/base64"
	"encoding/json"
	"time"
)

// workspace is a Fabric workspace (platform.json#/definitions/Workspace).
type workspace struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Description string `json:"description"`
	Type        string `json:"type"`
	CapacityID  string `json:"capacityId,omitempty"`
}

// item is a Fabric item with its stored definition.
type item struct {
	ID          string
	Type        string
	DisplayName string
	Description string
	WorkspaceID string
	FolderID    string
	Definition  *definition
}

// itemJSON is the Item of common/definitions.json.
type itemJSON struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	DisplayName string          `json:"displayName"`
	Description string          `json:"description"`
	WorkspaceID string          `json:"workspaceId"`
	FolderID    string          `json:"folderId,omitempty"`
	Properties  *lakehouseProps `json:"properties,omitempty"`
}

type lakehouseProps struct {
	OneLakeTablesPath     string         `json:"oneLakeTablesPath"`
	OneLakeFilesPath      string         `json:"oneLakeFilesPath"`
	SQLEndpointProperties sqlEndpointObj `json:"sqlEndpointProperties"`
}

type sqlEndpointObj struct {
	ConnectionString   string `json:"connectionString"`
	ID                 string `json:"id"`
	ProvisioningStatus string `json:"provisioningStatus"`
}

// view renders the item; typed lakehouse routes add the lakehouse properties.
func (it *item) view(withProperties bool) itemJSON {
	v := itemJSON{ID: it.ID, Type: it.Type, DisplayName: it.DisplayName, Description: it.Description,
		WorkspaceID: it.WorkspaceID, FolderID: it.FolderID}
	if withProperties && it.Type == "Lakehouse" {
		base := "https://onelake.dfs.fabric.microsoft.com/" + it.WorkspaceID + "/" + it.ID
		v.Properties = &lakehouseProps{
			OneLakeTablesPath: base + "/Tables",
			OneLakeFilesPath:  base + "/Files",
			SQLEndpointProperties: sqlEndpointObj{
				ConnectionString:   "emulator-" + it.ID[:8] + ".datawarehouse.fabric.microsoft.com",
				ID:                 it.ID,
				ProvisioningStatus: "Success",
			},
		}
	}
	return v
}

// definition is an item definition (platform.json#/definitions/ItemDefinition).
type definition struct {
	Format string           `json:"format,omitempty"`
	Parts  []definitionPart `json:"parts"`
}

type definitionPart struct {
	Path        string `json:"path"`
	Payload     string `json:"payload"`
	PayloadType string `json:"payloadType"`
}

// defaultDefinition is what getDefinition returns for an item created without one.
func defaultDefinition(it *item) *definition {
	platform, _ := json.Marshal(map[string]any{
		"$schema":  "https://developer.microsoft.com/json-schemas/fabric/gitIntegration/platformProperties/2.0.0/schema.json",
		"metadata": map[string]string{"type": it.Type, "displayName": it.DisplayName},
		"config":   map[string]string{"version": "2.0", "logicalId": it.ID},
	})
	b64 := base64.StdEncoding.EncodeToString
	var parts []definitionPart
	switch it.Type {
	case "Notebook":
		parts = append(parts, definitionPart{Path: "notebook-content.py", PayloadType: "InlineBase64",
			Payload: b64([]byte("# Fabric notebook source\n\n# CELL ********************\n\nprint(\"hello from the Fabric emulator\")\n"))})
	case "Lakehouse":
		parts = append(parts, definitionPart{Path: "lakehouse.metadata.json", PayloadType: "InlineBase64",
			Payload: b64([]byte("{}"))})
	}
	parts = append(parts, definitionPart{Path: ".platform", PayloadType: "InlineBase64", Payload: b64(platform)})
	return &definition{Parts: parts}
}

// Operation statuses (platform.json#/definitions/OperationState).
const (
	statusNotStarted = "NotStarted"
	statusRunning    = "Running"
	statusSucceeded  = "Succeeded"
	statusFailed     = "Failed"
)

// operation is a long running operation. Its state is derived from the clock: NotStarted
// for the first sixth of its duration, then Running with a rising percentComplete, then at
// created+duration it completes: complete runs once (under s.mu) and decides the outcome.
type operation struct {
	id         string
	created    time.Time
	duration   time.Duration
	retryAfter time.Duration
	notBefore  time.Time // the last Retry-After given ends here (StrictRetryAfter)
	hasResult  bool
	// complete makes the operation's effect happen and returns its result or its error.
	complete func() (result any, fail *ErrorResponse)

	done   bool
	result any
	err    *ErrorResponse
}

func (op *operation) end() time.Time { return op.created.Add(op.duration) }

// operationState is the body of GET /v1/operations/{id}.
type operationState struct {
	Status             string         `json:"status"`
	CreatedTimeUtc     string         `json:"createdTimeUtc"`
	LastUpdatedTimeUtc string         `json:"lastUpdatedTimeUtc"`
	PercentComplete    *int           `json:"percentComplete"`
	Error              *ErrorResponse `json:"error,omitempty"`
}

// Fabric writes operation times in two forms (the seed article shows both): with
// milliseconds and a Z while the operation runs, and with seven fractional digits and no
// zone once it has ended.
const (
	opTimeFormat     = "2006-01-02T15:04:05.000Z"
	opDoneTimeFormat = "2006-01-02T15:04:05.0000000"
)

// percentAt is the percentComplete of a running operation at now (1 to 99).
func (op *operation) percentAt(now time.Time) int {
	elapsed := max(now.Sub(op.created), 0)
	return min(max(int(elapsed*100/op.duration), 1), 99)
}

// state is the operation's state at now; call advance first. lastUpdatedTimeUtc is when
// the state last changed (status or percentComplete), so two polls between changes see
// the same value.
func (op *operation) state(now time.Time) operationState {
	pct := func(p int) *int { return &p }
	if op.done {
		st := operationState{Status: statusSucceeded, PercentComplete: pct(100),
			CreatedTimeUtc:     op.created.UTC().Format(opDoneTimeFormat),
			LastUpdatedTimeUtc: op.end().UTC().Format(opDoneTimeFormat)}
		if op.err != nil {
			st.Status, st.Error = statusFailed, op.err
		}
		return st
	}
	st := operationState{CreatedTimeUtc: op.created.UTC().Format(opTimeFormat)}
	changed := op.created
	if elapsed := max(now.Sub(op.created), 0); op.duration <= 0 || elapsed < op.duration/6 {
		st.Status = statusNotStarted // percentComplete null, as seen in real answers
	} else {
		p := op.percentAt(now)
		st.Status, st.PercentComplete = statusRunning, pct(p)
		changed = op.created.Add(max(op.duration*time.Duration(p)/100, op.duration/6))
	}
	st.LastUpdatedTimeUtc = changed.UTC().Format(opTimeFormat)
	return st
}

// advance completes, in order of their end, the operations whose time has come. Call with
// s.mu held.
func (s *Server) advance(now time.Time) {
	for {
		var next *operation
		idx := -1
		for i, op := range s.pending {
			if !op.end().After(now) && (next == nil || op.end().Before(next.end())) {
				next, idx = op, i
			}
		}
		if next == nil {
			return
		}
		s.pending = append(s.pending[:idx], s.pending[idx+1:]...)
		next.result, next.err = next.complete()
		next.done = true
	}
}

// startOperation registers an operation that completes after the configured duration.
// Call with s.mu held.
func (s *Server) startOperation(now time.Time, hasResult bool, complete func() (any, *ErrorResponse)) *operation {
	op := &operation{id: s.newID(), created: now, duration: s.set.OperationDuration,
		retryAfter: s.set.RetryAfter, hasResult: hasResult, complete: complete}
	op.notBefore = now.Add(time.Duration(retryAfterSeconds(op.retryAfter)) * time.Second)
	s.ops[op.id] = op
	s.pending = append(s.pending, op)
	s.advance(now) // a zero duration completes at once
	return op
}

// Job statuses (platform.json#/definitions/ItemJobInstance).
const (
	jobNotStarted = "NotStarted"
	jobInProgress = "InProgress"
	jobCompleted  = "Completed"
	jobFailed     = "Failed"
	jobCancelled  = "Cancelled"
	jobDeduped    = "Deduped"
)

// jobInstance is an item job instance; like operations its status follows the clock.
type jobInstance struct {
	id             string
	itemID         string
	workspaceID    string
	jobType        string
	rootActivityID string
	created        time.Time
	duration       time.Duration
	fail           *ErrorResponse // set when the job is going to fail
	deduped        bool
	retryAfter     time.Duration // of its 202, its cancel and its GETs while it runs
	// cancelAt is when an accepted cancel takes effect (nil: never cancelled); until then
	// the job shows InProgress (cancelling is in progress), then it is Cancelled.
	cancelAt  *time.Time
	notBefore time.Time // the last Retry-After given ends here (StrictRetryAfter)
}

// jobInstanceJSON is the ItemJobInstance body.
type jobInstanceJSON struct {
	ID             string         `json:"id"`
	ItemID         string         `json:"itemId"`
	JobType        string         `json:"jobType"`
	InvokeType     string         `json:"invokeType"`
	Status         string         `json:"status"`
	RootActivityID string         `json:"rootActivityId"`
	StartTimeUtc   *string        `json:"startTimeUtc"`
	EndTimeUtc     *string        `json:"endTimeUtc"`
	FailureReason  *ErrorResponse `json:"failureReason"`
}

const jobTimeFormat = "2006-01-02T15:04:05.0000000"

func (j *jobInstance) end() time.Time { return j.created.Add(j.duration) }

func (j *jobInstance) status(now time.Time) string {
	switch {
	case j.deduped:
		return jobDeduped
	case j.cancelAt != nil && !now.Before(*j.cancelAt):
		return jobCancelled
	case j.cancelAt != nil:
		return jobInProgress // accepted: cancelling is in progress, the run no longer ends on its own
	case !now.Before(j.end()):
		if j.fail != nil {
			return jobFailed
		}
		return jobCompleted
	case now.Sub(j.created) < j.duration/6:
		return jobNotStarted
	default:
		return jobInProgress
	}
}

func terminalJob(status string) bool {
	return status != jobNotStarted && status != jobInProgress
}

func (j *jobInstance) view(now time.Time) jobInstanceJSON {
	st := j.status(now)
	ts := func(t time.Time) *string { s := t.UTC().Format(jobTimeFormat); return &s }
	v := jobInstanceJSON{ID: j.id, ItemID: j.itemID, JobType: j.jobType, InvokeType: "Manual",
		Status: st, RootActivityID: j.rootActivityID}
	if st != jobNotStarted {
		v.StartTimeUtc = ts(j.created)
	}
	switch st {
	case jobDeduped:
		v.EndTimeUtc = ts(j.created)
	case jobCancelled:
		v.EndTimeUtc = ts(*j.cancelAt)
	case jobCompleted:
		v.EndTimeUtc = ts(j.created.Add(j.duration))
	case jobFailed:
		v.EndTimeUtc = ts(j.created.Add(j.duration))
		v.FailureReason = j.fail
	}
	return v
}

// itemTypes is the ItemType enum of common/definitions.json.
var itemTypes = func() map[string]bool {
	m := map[string]bool{}
	for _, t := range []string{"Dashboard", "Report", "SemanticModel", "PaginatedReport", "Datamart", "Lakehouse",
		"Eventhouse", "Environment", "KQLDatabase", "KQLQueryset", "KQLDashboard", "DataPipeline", "Notebook",
		"SparkJobDefinition", "MLExperiment", "MLModel", "Warehouse", "Eventstream", "SQLEndpoint",
		"MirroredWarehouse", "MirroredDatabase", "Reflex", "GraphQLApi", "MountedDataFactory", "SQLDatabase",
		"CopyJob", "VariableLibrary", "Dataflow", "ApacheAirflowJob", "WarehouseSnapshot", "DigitalTwinBuilder",
		"DigitalTwinBuilderFlow", "MirroredAzureDatabricksCatalog", "Map", "AnomalyDetector", "UserDataFunction",
		"GraphModel", "GraphQuerySet", "SnowflakeDatabase", "OperationsAgent", "CosmosDBDatabase", "Ontology",
		"EventSchemaSet", "DataAgent", "MirroredCatalog", "AppBackend", "OrgApp", "OrgAppAudience",
		"DataBuildToolJob", "AzureDatabricksStorage", "Plan"} {
		m[t] = true
	}
	return m
}()
