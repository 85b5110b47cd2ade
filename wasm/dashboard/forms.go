package dashboard

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Fields with validation messages (see App.fieldError).
const (
	fieldWorkspace = "workspace"
	fieldType      = "type"
	fieldName      = "name"
	fieldCount     = "count"
	fieldTrack     = "track"
)

// LoadWorkspaces loads the first page of workspaces (more=false) or the next one.
func (a *App) LoadWorkspaces(more bool) {
	a.mu.Lock()
	if a.wsLoading || (more && a.wsNext == "") || !a.hasForm(formCreate) {
		a.mu.Unlock()
		return
	}
	if !a.cfg.HasToken() {
		a.wsErr = &ErrorInfo{ErrorCode: "NoToken", Message: noTokenWords(a.tokenHow())}
		a.render()
		a.mu.Unlock()
		return
	}
	next := ""
	if more {
		next = a.wsNext
	}
	a.wsLoading, a.wsErr = true, nil
	a.render()
	a.mu.Unlock()

	go func() {
		page, err := a.eng.Workspaces(context.Background(), next)
		var e ErrorInfo
		if err != nil {
			e = a.worded(err)
			if unanswered(err) && a.cfg.Probe != nil {
				e.Message += " Likely cause: " + judge(a.cfg.Probe(context.Background(), "", "")).Words
			}
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		a.wsLoading = false
		if err != nil {
			a.wsErr = &e
			a.render()
			return
		}
		if !more {
			a.workspaces = nil
		}
		a.workspaces = append(a.workspaces, page.Workspaces...)
		a.wsNext, a.wsLoaded = page.ContinuationToken, true
		if a.selected == "" && len(a.workspaces) > 0 {
			a.selected = a.workspaces[0].ID
		}
		delete(a.fieldErrs, fieldWorkspace)
		a.render()
	}()
}

// selectWorkspace makes id the workspace new items are created in.
func (a *App) selectWorkspace(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.selected = id
	delete(a.fieldErrs, fieldWorkspace)
	a.render()
}

// createForm is what the create form holds.
type createForm struct {
	Type        string // the item type, e.g. "Notebook"
	DisplayName string // the display name (numbered when Count > 1)
	Description string // optional
	Count       int    // how many items: names get " 1", " 2", ... when more than one
}

// MaxCount is the most items one Create click makes.
const MaxCount = 20

// create creates form.Count items in the selected workspace, one operation each. Invalid
// input gets a message next to its field, and nothing is sent.
func (a *App) create(form createForm) {
	a.mu.Lock()
	ws := a.selected
	clear(a.fieldErrs)
	if ws == "" {
		a.fieldErrs[fieldWorkspace] = "Choose a workspace first (the list loads once a token is set)."
	}
	if !creatable(form.Type) {
		a.fieldErrs[fieldType] = "Choose an item type from the list."
	}
	name := strings.TrimSpace(form.DisplayName)
	switch {
	case name == "":
		a.fieldErrs[fieldName] = "Give the item a display name."
	case len([]rune(name)) > 123:
		a.fieldErrs[fieldName] = "A display name has at most 123 characters."
	}
	if form.Count < 1 || form.Count > MaxCount {
		a.fieldErrs[fieldCount] = fmt.Sprintf("A number from 1 to %d.", MaxCount)
	}
	if len(a.fieldErrs) > 0 {
		a.render()
		a.mu.Unlock()
		return
	}
	if name == a.suggested {
		a.suggested = suggestName(time.Now()) // the next Create does not collide
		if a.suggested == name {
			a.suggested = name + "b"
		}
	}
	items := make([]ItemRequest, form.Count)
	labels := make([]string, form.Count)
	for i := range items {
		items[i] = ItemRequest{Type: form.Type, DisplayName: name, Description: form.Description}
		if form.Count > 1 {
			items[i].DisplayName = name + " " + strconv.Itoa(i+1)
		}
		labels[i] = createLabel(form.Type, items[i].DisplayName)
	}
	keys := a.placeholders(labels...)
	a.reveal = keys[0]
	a.render()
	a.mu.Unlock()
	for i, item := range items {
		a.send(keys[i], func() (Snapshot, error) { return a.eng.CreateItem(context.Background(), ws, item) })
	}
}

// createLabel is the title of a create's row: "Create Notebook “Sales”" (the portal's name
// of the type).
func createLabel(itemType, name string) string {
	return "Create " + typeName(itemType) + " “" + name + "”"
}

// suggestedName is the display name the create form proposes: new each second, and
// replaced once used, so that creating twice in a row does not collide.
func (a *App) suggestedName() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.suggested
}

// fieldError is the validation message of a field (fieldName, ...), "" when it is fine.
func (a *App) fieldError(field string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.fieldErrs[field]
}

// track starts watching an existing operation by its id (a GUID), its Location URL or its
// resume token. Anything else is refused with a message next to the field, and no row.
func (a *App) track(idOrLocation string) {
	idOrLocation = strings.TrimSpace(idOrLocation)
	a.mu.Lock()
	delete(a.fieldErrs, fieldTrack)
	if msg := checkTrackRef(idOrLocation); msg != "" {
		a.fieldErrs[fieldTrack] = msg
		a.render()
		a.mu.Unlock()
		return
	}
	a.trackOK++
	keys := a.placeholders(trackedPrefix + shortRef(idOrLocation))
	a.reveal = keys[0]
	a.render()
	a.mu.Unlock()
	a.send(keys[0], func() (Snapshot, error) { return a.eng.Track(context.Background(), idOrLocation) })
}

// testConnection probes apiBase with token (as typed in Settings) and shows what answers.
func (a *App) testConnection(apiBase, token string) {
	a.mu.Lock()
	if a.cfg.Probe == nil || a.testing {
		a.mu.Unlock()
		return
	}
	if v, ok := checkAPIBase(apiBase); !ok {
		a.verdict = &v
		a.render()
		a.mu.Unlock()
		return
	}
	a.testing, a.verdict = true, nil
	a.render()
	a.mu.Unlock()
	go func() {
		v := judge(a.cfg.Probe(context.Background(), strings.TrimSpace(apiBase), strings.TrimSpace(token)))
		a.mu.Lock()
		defer a.mu.Unlock()
		a.testing, a.verdict = false, &v
		a.render()
	}()
}
