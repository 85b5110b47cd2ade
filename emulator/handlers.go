package emulator

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// collections maps the item route names to the item type they serve ("" = any type).
var collections = []struct{ name, itemType string }{
	{"items", ""},
	{"notebooks", "Notebook"},
	{"lakehouses", "Lakehouse"},
}

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /v1/workspaces", s.listWorkspaces)
	m.HandleFunc("POST /v1/workspaces", s.createWorkspace)
	m.HandleFunc("GET /v1/workspaces/{ws}", s.getWorkspace)
	for _, c := range collections {
		t := c.itemType
		base := "/v1/workspaces/{ws}/" + c.name
		m.HandleFunc("GET "+base, func(w http.ResponseWriter, r *http.Request) { s.listItems(w, r, t) })
		m.HandleFunc("POST "+base, func(w http.ResponseWriter, r *http.Request) { s.createItem(w, r, t) })
		m.HandleFunc("GET "+base+"/{id}", func(w http.ResponseWriter, r *http.Request) { s.getItem(w, r, t) })
		m.HandleFunc("PATCH "+base+"/{id}", func(w http.ResponseWriter, r *http.Request) { s.updateItem(w, r, t) })
		m.HandleFunc("DELETE "+base+"/{id}", func(w http.ResponseWriter, r *http.Request) { s.deleteItem(w, r, t) })
		m.HandleFunc("POST "+base+"/{id}/getDefinition", func(w http.ResponseWriter, r *http.Request) { s.getDefinition(w, r, t) })
		m.HandleFunc("POST "+base+"/{id}/updateDefinition", func(w http.ResponseWriter, r *http.Request) { s.updateDefinition(w, r, t) })
		m.HandleFunc("POST "+base+"/{id}/jobs/instances", func(w http.ResponseWriter, r *http.Request) {
			s.runJob(w, r, t, r.URL.Query().Get("jobType"))
		})
		m.HandleFunc("POST "+base+"/{id}/jobs/{jobType}/instances", func(w http.ResponseWriter, r *http.Request) {
			s.runJob(w, r, t, r.PathValue("jobType"))
		})
		m.HandleFunc("GET "+base+"/{id}/jobs/instances", func(w http.ResponseWriter, r *http.Request) { s.listJobs(w, r, t) })
		m.HandleFunc("GET "+base+"/{id}/jobs/instances/{job}", func(w http.ResponseWriter, r *http.Request) { s.getJob(w, r, t) })
		m.HandleFunc("POST "+base+"/{id}/jobs/instances/{job}/cancel", func(w http.ResponseWriter, r *http.Request) { s.cancelJob(w, r, t) })
	}
	m.HandleFunc("GET /v1/operations/{op}", s.getOperation)
	m.HandleFunc("GET /v1/operations/{op}/result", s.getOperationResult)
	// The spec's operation examples write these URLs without /v1 (see locationWithoutV1).
	m.HandleFunc("GET /operations/{op}", s.getOperation)
	m.HandleFunc("GET /operations/{op}/result", s.getOperationResult)
}

// fail writes an ErrorResponse for the request.
func fail(w http.ResponseWriter, r *http.Request, e *apiError) {
	writeError(w, callOf(r).requestID, e)
}

// decodeBody reads an optional JSON body into v.
func decodeBody(r *http.Request, v any, required bool) *apiError {
	b, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	if err != nil {
		return newAPIError(http.StatusBadRequest, "InvalidInput", "The request body could not be read: "+err.Error())
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		if required {
			return newAPIError(http.StatusBadRequest, "InvalidInput", "The request needs a JSON body.")
		}
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return newAPIError(http.StatusBadRequest, "InvalidInput", "The request body is not valid JSON for this call: "+err.Error())
	}
	return nil
}

// ---- pagination ----

// encodeContinuation makes the raw token for the page starting at offset. Its base64 always
// ends in '=' padding, so a client or proxy that re-encodes the URL-encoded token breaks it,
// as it would with Fabric.
func encodeContinuation(offset, pageSize int) string {
	raw := fmt.Sprintf(",%d,%d,0", offset, pageSize)
	for len(raw)%3 == 0 {
		raw += ","
	}
	return base64.StdEncoding.EncodeToString([]byte(raw))
}

func decodeContinuation(tok string) (int, bool) {
	b, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	fields := strings.FieldsFunc(string(b), func(r rune) bool { return r == ',' })
	if len(fields) < 1 {
		return 0, false
	}
	off, err := strconv.Atoi(fields[0])
	if err != nil || off < 0 {
		return 0, false
	}
	return off, true
}

// page is a list answer (PaginatedResponse).
type page[T any] struct {
	Value             []T    `json:"value"`
	ContinuationToken string `json:"continuationToken,omitempty"`
	ContinuationURI   string `json:"continuationUri,omitempty"`
}

// paginate cuts all into the page the request asks for. Call with s.mu held.
func paginate[T any](s *Server, r *http.Request, all []T) (page[T], *apiError) {
	off := 0
	if tok := r.URL.Query().Get("continuationToken"); tok != "" {
		o, ok := decodeContinuation(tok)
		if !ok {
			return page[T]{}, newAPIError(http.StatusBadRequest, "InvalidContinuationToken",
				"The continuationToken is not one this API issued. Pass the continuationToken (or follow the continuationUri) exactly as the previous page returned it: it is URL-encoded already.")
		}
		off = o
	}
	off = min(off, len(all))
	end := min(off+s.set.PageSize, len(all))
	p := page[T]{Value: append([]T{}, all[off:end]...)}
	if end < len(all) {
		raw := encodeContinuation(end, s.set.PageSize)
		q := r.URL.Query()
		q.Del("continuationToken")
		query := q.Encode()
		if query != "" {
			query += "&"
		}
		p.ContinuationToken = url.QueryEscape(raw)
		p.ContinuationURI = callOf(r).base + r.URL.Path + "?" + query + "continuationToken=" + url.QueryEscape(raw)
	}
	return p, nil
}

// ---- workspaces ----

func (s *Server) findWorkspace(id string) *workspace {
	for _, ws := range s.workspaces {
		if strings.EqualFold(ws.ID, id) {
			return ws
		}
	}
	return nil
}

func workspaceNotFound(id string) *apiError {
	return newAPIError(http.StatusNotFound, "WorkspaceNotFound",
		fmt.Sprintf("The workspace %s was not found. The emulator starts with the workspace %s; list them with GET /v1/workspaces.", id, DefaultWorkspaceID)).
		about(id, "Workspace")
}

func (s *Server) listWorkspaces(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := make([]workspace, 0, len(s.workspaces))
	for _, ws := range s.workspaces {
		all = append(all, *ws)
	}
	p, e := paginate(s, r, all)
	if e != nil {
		fail(w, r, e)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) getWorkspace(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.findWorkspace(r.PathValue("ws"))
	if ws == nil {
		fail(w, r, workspaceNotFound(r.PathValue("ws")))
		return
	}
	writeJSON(w, http.StatusOK, ws)
}

func (s *Server) createWorkspace(w http.ResponseWriter, r *http.Request) {
	var req struct {
		DisplayName string `json:"displayName"`
		Description string `json:"description"`
		CapacityID  string `json:"capacityId"`
	}
	if e := decodeBody(r, &req, true); e != nil {
		fail(w, r, e)
		return
	}
	if strings.TrimSpace(req.DisplayName) == "" {
		fail(w, r, newAPIError(http.StatusBadRequest, "InvalidInput", "displayName is required to create a workspace."))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ws := range s.workspaces {
		if strings.EqualFold(ws.DisplayName, req.DisplayName) {
			fail(w, r, newAPIError(http.StatusConflict, "WorkspaceNameAlreadyExists",
				fmt.Sprintf("A workspace named %q already exists; pick another displayName.", req.DisplayName)).about(ws.ID, "Workspace"))
			return
		}
	}
	ws := &workspace{ID: s.newID(), DisplayName: req.DisplayName, Description: req.Description, Type: "Workspace", CapacityID: req.CapacityID}
	s.workspaces = append(s.workspaces, ws)
	w.Header().Set("Location", callOf(r).base+"/v1/workspaces/"+ws.ID)
	writeJSON(w, http.StatusCreated, ws)
}

// ---- items ----

// currentItem completes the operations due by now, then looks up the request's
// item, so an item created by an operation that has just ended is found.
// Call with s.mu held.
func (s *Server) currentItem(r *http.Request, itemType string, now time.Time) (*item, *apiError) {
	s.advance(now)
	return s.lookupItem(r, itemType)
}

// lookupItem finds the item of the request's path, checking workspace and route type.
// Call with s.mu held.
func (s *Server) lookupItem(r *http.Request, itemType string) (*item, *apiError) {
	wsID, id := r.PathValue("ws"), r.PathValue("id")
	if s.findWorkspace(wsID) == nil {
		return nil, workspaceNotFound(wsID)
	}
	for _, it := range s.items {
		if strings.EqualFold(it.ID, id) && strings.EqualFold(it.WorkspaceID, wsID) && (itemType == "" || it.Type == itemType) {
			return it, nil
		}
	}
	kind := itemType
	if kind == "" {
		kind = "Item"
	}
	return nil, newAPIError(http.StatusNotFound, "ItemNotFound",
		fmt.Sprintf("The requested %s %s was not found in workspace %s. Items created with a 202 exist only once their operation has succeeded.", strings.ToLower(kind), id, wsID)).
		about(id, kind)
}

// nameInUse returns the item of the workspace with that type and display name, if any.
// Call with s.mu held.
func (s *Server) nameInUse(wsID, itemType, name, exceptID string) *item {
	for _, it := range s.items {
		if it.WorkspaceID == wsID && it.Type == itemType && strings.EqualFold(it.DisplayName, name) && it.ID != exceptID {
			return it
		}
	}
	return nil
}

func nameInUseError(it *item) *apiError {
	return newAPIError(http.StatusConflict, "ItemDisplayNameAlreadyInUse",
		fmt.Sprintf("Requested '%s' is already in use: a %s with this display name exists in the workspace. Choose another displayName.", it.DisplayName, it.Type)).
		about(it.ID, it.Type)
}

func (s *Server) listItems(w http.ResponseWriter, r *http.Request, itemType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(time.Now())
	wsID := r.PathValue("ws")
	if s.findWorkspace(wsID) == nil {
		fail(w, r, workspaceNotFound(wsID))
		return
	}
	filter := itemType
	if filter == "" {
		filter = r.URL.Query().Get("type")
	}
	all := []itemJSON{}
	for _, it := range s.items {
		if strings.EqualFold(it.WorkspaceID, wsID) && (filter == "" || strings.EqualFold(it.Type, filter)) {
			all = append(all, it.view(itemType != ""))
		}
	}
	p, e := paginate(s, r, all)
	if e != nil {
		fail(w, r, e)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) getItem(w http.ResponseWriter, r *http.Request, itemType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, e := s.currentItem(r, itemType, time.Now())
	if e != nil {
		fail(w, r, e)
		return
	}
	writeJSON(w, http.StatusOK, it.view(itemType != ""))
}

type createItemRequest struct {
	DisplayName     string          `json:"displayName"`
	Description     string          `json:"description"`
	Type            string          `json:"type"`
	FolderID        string          `json:"folderId"`
	Definition      *definition     `json:"definition"`
	CreationPayload json.RawMessage `json:"creationPayload"`
}

// creationFailure is the error of a create operation whose display name matches the fail
// pattern.
func (s *Server) creationFailure(it *item, requestID string) *ErrorResponse {
	return &ErrorResponse{
		ErrorCode: "ItemCreationFailed",
		Message: fmt.Sprintf("The %s '%s' could not be created. The Fabric emulator fails every item whose displayName matches %s; rename it to create it.",
			it.Type, it.DisplayName, s.set.FailPattern),
		RequestID: requestID,
		MoreDetails: []ErrorResponseDetails{{
			ErrorCode:       "DisplayNameMatchesFailPattern",
			Message:         fmt.Sprintf("displayName %q matches the emulator's fail pattern %s (flag --fail-pattern).", it.DisplayName, s.set.FailPattern),
			RelatedResource: &ErrorRelatedResource{ResourceID: it.WorkspaceID, ResourceType: "Workspace"},
		}},
		RelatedResource: &ErrorRelatedResource{ResourceID: it.ID, ResourceType: it.Type},
	}
}

func (s *Server) createItem(w http.ResponseWriter, r *http.Request, itemType string) {
	var req createItemRequest
	if e := decodeBody(r, &req, true); e != nil {
		fail(w, r, e)
		return
	}
	if itemType != "" {
		if req.Type != "" && req.Type != itemType {
			fail(w, r, newAPIError(http.StatusBadRequest, "InvalidItemType",
				fmt.Sprintf("This route creates %s items; the body asks for type %q. Drop the type or use POST /v1/workspaces/{workspaceId}/items.", itemType, req.Type)))
			return
		}
		req.Type = itemType
	}
	switch {
	case strings.TrimSpace(req.DisplayName) == "":
		fail(w, r, newAPIError(http.StatusBadRequest, "InvalidInput", "displayName is required to create an item."))
		return
	case req.Type == "":
		fail(w, r, newAPIError(http.StatusBadRequest, "InvalidItemType", "type is required to create an item, for example \"Notebook\" or \"Lakehouse\"."))
		return
	case !itemTypes[req.Type]:
		fail(w, r, newAPIError(http.StatusBadRequest, "InvalidItemType",
			fmt.Sprintf("Item type %q is invalid; use one of Fabric's item types, for example Notebook or Lakehouse.", req.Type)))
		return
	}
	if req.Definition != nil {
		if e := checkDefinition(req.Definition); e != nil {
			fail(w, r, e)
			return
		}
	}
	c := callOf(r)
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(now)
	wsID := r.PathValue("ws")
	ws := s.findWorkspace(wsID)
	if ws == nil {
		fail(w, r, workspaceNotFound(wsID))
		return
	}
	if other := s.nameInUse(ws.ID, req.Type, req.DisplayName, ""); other != nil {
		fail(w, r, nameInUseError(other))
		return
	}
	it := &item{ID: s.newID(), Type: req.Type, DisplayName: req.DisplayName, Description: req.Description,
		WorkspaceID: ws.ID, FolderID: req.FolderID, Definition: req.Definition}
	doomed := s.set.FailPattern.MatchString(req.DisplayName)
	s.createCount++
	var async bool
	switch s.set.CreateMode {
	case CreateSync:
		async = false
	case CreateAsync:
		async = true
	case CreateDefinition:
		async = req.Definition != nil || doomed
	default:
		async = s.createCount%2 == 0 || doomed
	}
	if !async {
		if doomed {
			er := s.creationFailure(it, c.requestID)
			fail(w, r, &apiError{status: http.StatusBadRequest, body: *er})
			return
		}
		s.items = append(s.items, it)
		writeJSON(w, http.StatusCreated, it.view(false))
		return
	}
	op := s.startOperation(now, true, func() (any, *ErrorResponse) {
		if doomed {
			return nil, s.creationFailure(it, c.requestID)
		}
		if s.findWorkspace(it.WorkspaceID) == nil {
			return nil, &workspaceNotFound(it.WorkspaceID).body
		}
		if other := s.nameInUse(it.WorkspaceID, it.Type, it.DisplayName, ""); other != nil {
			e := nameInUseError(other).body
			e.RequestID = c.requestID
			return nil, &e
		}
		s.items = append(s.items, it)
		return it.view(false), nil
	})
	s.writeAccepted(w, r, op)
}

func (s *Server) updateItem(w http.ResponseWriter, r *http.Request, itemType string) {
	var req struct {
		DisplayName *string `json:"displayName"`
		Description *string `json:"description"`
	}
	if e := decodeBody(r, &req, true); e != nil {
		fail(w, r, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	it, e := s.currentItem(r, itemType, time.Now())
	if e != nil {
		fail(w, r, e)
		return
	}
	if req.DisplayName != nil {
		if strings.TrimSpace(*req.DisplayName) == "" {
			fail(w, r, newAPIError(http.StatusBadRequest, "InvalidRequest", "displayName must not be empty."))
			return
		}
		if other := s.nameInUse(it.WorkspaceID, it.Type, *req.DisplayName, it.ID); other != nil {
			fail(w, r, nameInUseError(other))
			return
		}
		it.DisplayName = *req.DisplayName
	}
	if req.Description != nil {
		it.Description = *req.Description
	}
	writeJSON(w, http.StatusOK, it.view(false)) // update answers carry no lakehouse properties (UpdateLakehouse.json)
}

func (s *Server) deleteItem(w http.ResponseWriter, r *http.Request, itemType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, e := s.currentItem(r, itemType, time.Now())
	if e != nil {
		fail(w, r, e)
		return
	}
	for i, x := range s.items {
		if x == it {
			s.items = append(s.items[:i], s.items[i+1:]...)
			break
		}
	}
	w.WriteHeader(http.StatusOK)
}

// definitionIsLong says whether a getDefinition/updateDefinition call answers 202 (else 200
// at once): alternating like creates in CreateAlternate mode (the 1st, 3rd... definition
// call 200, the 2nd, 4th... 202; the count is their own), never in CreateSync mode,
// always in CreateAsync and CreateDefinition. Call with s.mu held.
func (s *Server) definitionIsLong() bool {
	switch s.set.CreateMode {
	case CreateSync:
		return false
	case CreateAlternate:
		s.defCount++
		return s.defCount%2 == 0
	}
	return true
}

// getDefinition answers Get Item Definition: 200 with the definition, or 202 and an
// operation whose result it is. A notebook's comes in the format asked for (?format=ipynb,
// or fabricGitSource by default).
func (s *Server) getDefinition(w http.ResponseWriter, r *http.Request, itemType string) {
	format := r.URL.Query().Get("format")
	for _, f := range []string{formatIpynb, formatFabricGitSource} {
		if strings.EqualFold(format, f) {
			format = f
		}
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	it, e := s.currentItem(r, itemType, now)
	if e == nil && it.Type == "Notebook" {
		e = checkNotebookFormat(format)
	}
	if e != nil {
		fail(w, r, e)
		return
	}
	current := func() any {
		d := it.Definition
		if d == nil {
			d = defaultDefinition(it)
		}
		if it.Type == "Notebook" {
			d = notebookIn(d, format)
		}
		return map[string]any{"definition": d}
	}
	if !s.definitionIsLong() {
		writeJSON(w, http.StatusOK, current())
		return
	}
	op := s.startOperation(now, true, func() (any, *ErrorResponse) { return current(), nil })
	s.writeAccepted(w, r, op)
}

// updateDefinition answers Update Item Definition: 200 at once, or 202 and an operation
// without a result. With ?updateMetadata=true the .platform part's displayName and
// description apply to the item. The lakehouse route's 200 carries the item
// (UpdateLakehouseDefinition.json); the others' carry no body.
func (s *Server) updateDefinition(w http.ResponseWriter, r *http.Request, itemType string) {
	var req struct {
		Definition *definition `json:"definition"`
	}
	if e := decodeBody(r, &req, true); e != nil {
		fail(w, r, e)
		return
	}
	if req.Definition == nil {
		fail(w, r, newAPIError(http.StatusBadRequest, "InvalidDefinition", "updateDefinition needs a body {\"definition\": {\"parts\": [...]}} with at least one part."))
		return
	}
	if e := checkDefinition(req.Definition); e != nil {
		fail(w, r, e)
		return
	}
	updateMetadata := strings.EqualFold(r.URL.Query().Get("updateMetadata"), "true")
	c := callOf(r)
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	it, e := s.currentItem(r, itemType, now)
	if e != nil {
		fail(w, r, e)
		return
	}
	d := req.Definition
	apply := func() *apiError {
		if updateMetadata {
			name, desc := platformMetadata(d)
			if name != nil && strings.TrimSpace(*name) != "" {
				if other := s.nameInUse(it.WorkspaceID, it.Type, *name, it.ID); other != nil {
					return nameInUseError(other)
				}
				it.DisplayName = *name
			}
			if desc != nil {
				it.Description = *desc
			}
		}
		it.Definition = d
		return nil
	}
	if !s.definitionIsLong() {
		if e := apply(); e != nil {
			fail(w, r, e)
			return
		}
		if itemType == "Lakehouse" {
			writeJSON(w, http.StatusOK, it.view(false))
			return
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	op := s.startOperation(now, false, func() (any, *ErrorResponse) {
		if e := apply(); e != nil {
			e.body.RequestID = c.requestID
			return nil, &e.body
		}
		return nil, nil
	})
	s.writeAccepted(w, r, op)
}

// ---- operations ----

// tooSoon is the 429 of StrictRetryAfter for a poll before notBefore. Call with s.mu held.
func (s *Server) tooSoon(now, notBefore time.Time) *apiError {
	if !s.set.StrictRetryAfter || !now.Before(notBefore) {
		return nil
	}
	return newAPIError(http.StatusTooManyRequests, "RequestBlocked",
		fmt.Sprintf("Request is blocked by the upstream service until: %s (UTC): it polled sooner than the Retry-After of the previous answer (the emulator runs with StrictRetryAfter). Wait Retry-After seconds between polls.",
			notBefore.UTC().Format("1/2/2006 3:04:05 PM"))).
		withRetryAfter(retryAfterSeconds(notBefore.Sub(now)))
}

func (s *Server) lookupOperation(r *http.Request) (*operation, *apiError) {
	id := r.PathValue("op")
	op := s.ops[strings.ToLower(id)]
	if op == nil {
		return nil, newAPIError(http.StatusNotFound, "OperationNotFound",
			fmt.Sprintf("The operation %s was not found. Use the Location or x-ms-operation-id of the 202 that started it; the emulator forgets operations when it restarts or is reset.", id)).
			about(id, "Operation")
	}
	return op, nil
}

func (s *Server) getOperation(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(now)
	op, e := s.lookupOperation(r)
	if e != nil {
		fail(w, r, e)
		return
	}
	if e := s.tooSoon(now, op.notBefore); e != nil {
		fail(w, r, e)
		return
	}
	st := op.state(now)
	self := callOf(r).base + "/v1/operations/" + op.id
	w.Header().Set("x-ms-operation-id", op.id)
	switch st.Status {
	case statusSucceeded:
		if op.hasResult {
			w.Header().Set("Location", self+"/result")
		}
	case statusFailed:
	default:
		ra := retryAfterSeconds(op.retryAfter)
		w.Header().Set("Location", self)
		w.Header().Set("Retry-After", strconv.Itoa(ra))
		op.notBefore = now.Add(time.Duration(ra) * time.Second)
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) getOperationResult(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(now)
	op, e := s.lookupOperation(r)
	if e != nil {
		fail(w, r, e)
		return
	}
	switch {
	case !op.done:
		fail(w, r, newAPIError(http.StatusBadRequest, "OperationNotCompleted",
			fmt.Sprintf("The operation %s is %s; poll GET /v1/operations/%s until it has Succeeded, then fetch its result.", op.id, op.state(now).Status, op.id)).
			about(op.id, "Operation"))
	case op.err != nil:
		e := newAPIError(http.StatusBadRequest, "OperationFailed",
			fmt.Sprintf("The operation %s failed (%s), so it has no result; its error is in GET /v1/operations/%s.", op.id, op.err.ErrorCode, op.id)).
			about(op.id, "Operation")
		e.body.MoreDetails = []ErrorResponseDetails{{ErrorCode: op.err.ErrorCode, Message: op.err.Message, RelatedResource: op.err.RelatedResource}}
		fail(w, r, e)
	case !op.hasResult:
		fail(w, r, newAPIError(http.StatusBadRequest, "OperationHasNoResult",
			fmt.Sprintf("The operation %s succeeded but has no result; it answered without a Location header, so there is nothing to fetch.", op.id)).
			about(op.id, "Operation"))
	default:
		writeJSON(w, http.StatusOK, op.result)
	}
}

// ---- jobs ----

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
