package emulator

// The job routes: run, get, cancel and list job instances.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// jobTypesByItem lists the on-demand job types the emulator runs for an item type, lower
// case; DefaultJob runs on every item (the spec's examples run it on notebooks and
// lakehouses). Any other job type answers 400 InvalidJobType.
var jobTypesByItem = map[string][]string{
	"Notebook":           {"runnotebook", "execute"},
	"Lakehouse":          {"tablemaintenance", "refreshmaterializedlakeviews"},
	"DataPipeline":       {"pipeline"},
	"SparkJobDefinition": {"sparkjob"},
}

// jobTypeKnown reports whether items of itemType run jobs of jobType (case-insensitive).
func jobTypeKnown(itemType, jobType string) bool {
	jt := strings.ToLower(jobType)
	return jt == "defaultjob" || slices.Contains(jobTypesByItem[itemType], jt)
}

// jobTypesOf names the job types an item type runs, for error messages.
func jobTypesOf(itemType string) string {
	names := map[string]string{"runnotebook": "RunNotebook", "execute": "Execute", "tablemaintenance": "TableMaintenance",
		"refreshmaterializedlakeviews": "RefreshMaterializedLakeViews", "pipeline": "Pipeline", "sparkjob": "sparkjob"}
	out := []string{"DefaultJob"}
	for _, jt := range jobTypesByItem[itemType] {
		out = append(out, names[jt])
	}
	return strings.Join(out, ", ")
}

func (s *Server) jobFailure(it *item, jobType string) *ErrorResponse {
	return &ErrorResponse{
		ErrorCode: "JobInstanceFailed",
		Message: fmt.Sprintf("The %s job of %s '%s' failed. The Fabric emulator fails the jobs of items whose displayName or description matches %s.",
			jobType, it.Type, it.DisplayName, s.set.FailPattern),
		RelatedResource: &ErrorRelatedResource{ResourceID: it.ID, ResourceType: it.Type},
	}
}

func (s *Server) runJob(w http.ResponseWriter, r *http.Request, itemType, jobType string) {
	var req struct {
		ExecutionData json.RawMessage `json:"executionData"`
		Parameters    json.RawMessage `json:"parameters"`
	}
	if e := decodeBody(r, &req, false); e != nil {
		fail(w, r, e)
		return
	}
	if strings.TrimSpace(jobType) == "" {
		fail(w, r, newAPIError(http.StatusBadRequest, "InvalidJobType",
			"The job type is missing: use POST .../items/{itemId}/jobs/{jobType}/instances (or the older .../jobs/instances?jobType=X), for example jobType DefaultJob or RunNotebook."))
		return
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	it, e := s.currentItem(r, itemType, now)
	if e != nil {
		fail(w, r, e)
		return
	}
	if !jobTypeKnown(it.Type, jobType) {
		fail(w, r, newAPIError(http.StatusBadRequest, "InvalidJobType",
			fmt.Sprintf("The requested job type %q is invalid for a %s. Job types a %s runs in the emulator: %s.", jobType, it.Type, it.Type, jobTypesOf(it.Type))).
			about(it.ID, it.Type))
		return
	}
	j := &jobInstance{id: s.newID(), itemID: it.ID, workspaceID: it.WorkspaceID, jobType: jobType,
		rootActivityID: s.newID(), created: now, duration: s.set.JobDuration, retryAfter: s.set.jobRetryAfter()}
	for _, other := range s.jobs {
		if other.itemID == it.ID && strings.EqualFold(other.jobType, jobType) && !terminalJob(other.status(now)) {
			j.deduped = true
			break
		}
	}
	if !j.deduped && (s.set.FailPattern.MatchString(it.DisplayName) || s.set.FailPattern.MatchString(it.Description)) {
		j.fail = s.jobFailure(it, jobType)
	}
	s.jobs = append(s.jobs, j)
	s.jobCount++
	loc := s.jobURL(r, j)
	if s.set.JobLocation == JobLocationList || (s.set.JobLocation == JobLocationAlternate && s.jobCount%2 == 0) {
		// RunOnDemandItemJob3.json: the item's job list filtered by the job type.
		loc = callOf(r).base + "/v1/workspaces/" + j.workspaceID + "/items/" + j.itemID + "/jobs/instances?jobType=" + url.QueryEscape(jobType)
	}
	w.Header().Set("Location", loc)
	s.setJobRetryAfter(w, j, now)
	w.WriteHeader(http.StatusAccepted)
}

// setJobRetryAfter sends the job's Retry-After and remembers when it ends (StrictRetryAfter).
func (s *Server) setJobRetryAfter(w http.ResponseWriter, j *jobInstance, now time.Time) {
	ra := retryAfterSeconds(j.retryAfter)
	j.notBefore = now.Add(time.Duration(ra) * time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(ra))
}

func (s *Server) jobURL(r *http.Request, j *jobInstance) string {
	return callOf(r).base + "/v1/workspaces/" + j.workspaceID + "/items/" + j.itemID + "/jobs/instances/" + j.id
}

func (s *Server) lookupJob(r *http.Request, itemType string) (*jobInstance, *apiError) {
	it, e := s.lookupItem(r, itemType)
	if e != nil {
		return nil, e
	}
	id := r.PathValue("job")
	for _, j := range s.jobs {
		if strings.EqualFold(j.id, id) && j.itemID == it.ID {
			return j, nil
		}
	}
	return nil, newAPIError(http.StatusNotFound, "JobInstanceNotFound",
		fmt.Sprintf("The job instance %s of item %s was not found. Use the Location of the 202 that started it.", id, it.ID)).
		about(id, "JobInstance")
}

// getJob answers Get Item Job Instance; while the job has not ended the answer carries
// Retry-After, as the spec documents for its 200.
func (s *Server) getJob(w http.ResponseWriter, r *http.Request, itemType string) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	j, e := s.lookupJob(r, itemType)
	if e == nil {
		e = s.tooSoon(now, j.notBefore)
	}
	if e != nil {
		fail(w, r, e)
		return
	}
	v := j.view(now)
	if !terminalJob(v.Status) {
		s.setJobRetryAfter(w, j, now)
	}
	writeJSON(w, http.StatusOK, v)
}

// cancelJob accepts a cancel (202) of a job that has not ended; the job stays InProgress
// for CancelDuration, then is Cancelled. A second cancel while the first is pending is
// accepted again and changes nothing.
func (s *Server) cancelJob(w http.ResponseWriter, r *http.Request, itemType string) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	j, e := s.lookupJob(r, itemType)
	if e != nil {
		fail(w, r, e)
		return
	}
	if st := j.status(now); terminalJob(st) {
		fail(w, r, newAPIError(http.StatusBadRequest, "JobAlreadyCompleted",
			fmt.Sprintf("Requested cancellation can not be processed as the job instance %s has already ended with status %s.", j.id, st)).
			about(j.id, "JobInstance"))
		return
	}
	if j.cancelAt == nil {
		t := now.Add(s.set.CancelDuration)
		j.cancelAt = &t
	}
	w.Header().Set("Location", s.jobURL(r, j))
	s.setJobRetryAfter(w, j, now)
	w.WriteHeader(http.StatusAccepted)
}

// listJobs answers List Item Job Instances, oldest first; ?jobType=X keeps the instances of
// that job type (case-insensitive): the list-form Location of a job's 202 asks for it.
func (s *Server) listJobs(w http.ResponseWriter, r *http.Request, itemType string) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	it, e := s.lookupItem(r, itemType)
	if e != nil {
		fail(w, r, e)
		return
	}
	all := []jobInstanceJSON{}
	jobType := r.URL.Query().Get("jobType")
	for _, j := range s.jobs {
		if j.itemID == it.ID && (jobType == "" || strings.EqualFold(j.jobType, jobType)) {
			all = append(all, j.view(now))
		}
	}
	p, e := paginate(s, r, all)
	if e != nil {
		fail(w, r, e)
		return
	}
	writeJSON(w, http.StatusOK, p)
}
