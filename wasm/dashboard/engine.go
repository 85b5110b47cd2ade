package dashboard

import (
	"context"
	"encoding/json"
)

// Engine is what the dashboard asks of the LRO engine. [Tracker] implements it over package
// lro; tests use a fake. [ErrorOf] turns the errors of its methods into Fabric's
// ErrorResponse shape.
type Engine interface {
	// CreateItem starts creating an item and returns the new operation's first snapshot
	// (already Succeeded when Fabric answered 201).
	CreateItem(ctx context.Context, workspaceID string, item ItemRequest) (Snapshot, error)
	// RunJob starts an on-demand job of an item and returns the job's first snapshot, labelled
	// label ("" for the job type's name).
	RunJob(ctx context.Context, workspaceID, itemID, jobType, label string) (Snapshot, error)
	// Track starts watching an existing operation, named by its id or its Location URL.
	Track(ctx context.Context, idOrLocation string) (Snapshot, error)
	// Cancel stops watching an operation; a running job is also cancelled in Fabric.
	Cancel(ctx context.Context, id string) error
	// Forget stops watching operations and drops them from the list (and from storage, in
	// one write).
	Forget(ids ...string)
	// Operations returns the snapshots of every operation, oldest first.
	Operations() []Snapshot
	// Subscribe calls fn with each new snapshot until the returned function is called.
	Subscribe(fn func(Snapshot)) (unsubscribe func())
	// RetryAll polls again at once every operation waiting for a token (its last check got a
	// 401 such as TokenExpired that the token source could not fix); the dashboard calls it
	// when the user applies a new token. It returns how many there were.
	RetryAll() int
	// StorageError is why operations could not be saved in the browser the last time (they
	// will not resume after a reload), or nil.
	StorageError() error
	// Workspaces lists one page of the caller's workspaces; continuationToken is "" for the
	// first page and the previous page's ContinuationToken after that.
	Workspaces(ctx context.Context, continuationToken string) (WorkspacePage, error)
}

// ItemRequest is the body of Create Item.
type ItemRequest struct {
	// Type is the Fabric item type, e.g. "Notebook" (see [ItemTypes]).
	Type string `json:"type"`
	// DisplayName is the item's name, unique in its workspace.
	DisplayName string `json:"displayName"`
	// Description is optional.
	Description string `json:"description,omitempty"`
	// Definition is the item's definition (Fabric's ItemDefinition JSON), optional.
	Definition json.RawMessage `json:"definition,omitempty"`
}

// Workspace is one entry of the workspace picker.
type Workspace struct {
	// ID is the workspace id (a GUID).
	ID string `json:"id"`
	// DisplayName is the workspace's name, shown in the picker.
	DisplayName string `json:"displayName"`
	// Type is Fabric's workspace type, e.g. "Workspace" or "Personal".
	Type string `json:"type"`
}

// WorkspacePage is one page of List Workspaces.
type WorkspacePage struct {
	// Workspaces are this page's workspaces, in Fabric's order.
	Workspaces []Workspace
	// ContinuationToken asks for the next page; "" on the last page.
	ContinuationToken string
}
