package emulator

// The item routes: list, get, create, update and delete.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

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

// createItem answers Create Item: 201 with the item, or 202 and an operation that creates
// it (Config.CreateMode); a display name matching the fail pattern fails either way.
func (s *Server) createItem(w http.ResponseWriter, r *http.Request, itemType string) {
	req, e := decodeCreateItem(r, itemType)
	if e != nil {
		fail(w, r, e)
		return
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
	if !s.createIsLong(req, doomed) {
		if doomed {
			er := s.creationFailure(it, c.requestID)
			fail(w, r, &apiError{status: http.StatusBadRequest, body: *er})
			return
		}
		s.items = append(s.items, it)
		writeJSON(w, http.StatusCreated, it.view(false))
		return
	}
	op := s.startOperation(now, true, func() (any, *ErrorResponse) { return s.completeCreate(it, doomed, c.requestID) })
	s.writeAccepted(w, r, op)
}

// decodeCreateItem reads and checks a create body: a display name, a known item type that
// matches the route's (itemType "" is the generic route) and a well-formed definition if any.
func decodeCreateItem(r *http.Request, itemType string) (createItemRequest, *apiError) {
	var req createItemRequest
	if e := decodeBody(r, &req, true); e != nil {
		return req, e
	}
	if itemType != "" {
		if req.Type != "" && req.Type != itemType {
			return req, newAPIError(http.StatusBadRequest, "InvalidItemType",
				fmt.Sprintf("This route creates %s items; the body asks for type %q. Drop the type or use POST /v1/workspaces/{workspaceId}/items.", itemType, req.Type))
		}
		req.Type = itemType
	}
	switch {
	case strings.TrimSpace(req.DisplayName) == "":
		return req, newAPIError(http.StatusBadRequest, "InvalidInput", "displayName is required to create an item.")
	case req.Type == "":
		return req, newAPIError(http.StatusBadRequest, "InvalidItemType", "type is required to create an item, for example \"Notebook\" or \"Lakehouse\".")
	case !itemTypes[req.Type]:
		return req, newAPIError(http.StatusBadRequest, "InvalidItemType",
			fmt.Sprintf("Item type %q is invalid; use one of Fabric's item types, for example Notebook or Lakehouse.", req.Type))
	}
	if req.Definition != nil {
		if e := checkDefinition(req.Definition); e != nil {
			return req, e
		}
	}
	return req, nil
}

// createIsLong says whether a create answers 202 (else 201 at once), by Config.CreateMode:
// CreateAlternate makes the 2nd, 4th... create long; a doomed create is long unless the mode
// is CreateSync. Call with s.mu held.
func (s *Server) createIsLong(req createItemRequest, doomed bool) bool {
	s.createCount++
	switch s.set.CreateMode {
	case CreateSync:
		return false
	case CreateAsync:
		return true
	case CreateDefinition:
		return req.Definition != nil || doomed
	}
	return s.createCount%2 == 0 || doomed
}

// completeCreate ends a create operation: it fails for a doomed name, a workspace deleted or a
// name taken meanwhile; else the item exists from now on and is the result. Call with s.mu held.
func (s *Server) completeCreate(it *item, doomed bool, requestID string) (any, *ErrorResponse) {
	if doomed {
		return nil, s.creationFailure(it, requestID)
	}
	if s.findWorkspace(it.WorkspaceID) == nil {
		return nil, &workspaceNotFound(it.WorkspaceID).body
	}
	if other := s.nameInUse(it.WorkspaceID, it.Type, it.DisplayName, ""); other != nil {
		e := nameInUseError(other).body
		e.RequestID = requestID
		return nil, &e
	}
	s.items = append(s.items, it)
	return it.view(false), nil
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
