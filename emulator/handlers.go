package emulator

// The Fabric API routes, the request and paging helpers they share, and the workspace routes.
// Items, definitions, operations and jobs have a file each.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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
