package dashboard

import (
	"fmt"
	"strconv"
	"time"

	"github.com/tidwall/gjson"
)

// Mount renders the dashboard into root and keeps it up to date from then on. Call it once.
func (a *App) Mount(d DOM, root Node) {
	a.mu.Lock()
	v := &view{d: d, cards: map[string]*cardView{}}
	container := el(d, "div", "class", "flro")
	root.Append(container)
	v.build(a, container)
	a.view = v
	a.render()
	a.mu.Unlock()
	a.LoadWorkspaces(false) // without a token: says to paste one, and sends nothing
}

// render brings the page up to date with the state; a.mu is held.
func (a *App) render() {
	if a.view != nil {
		a.view.update(a, a.cfg.Now())
	}
}

// slot is a node whose text or attribute is only written when it changes, so a render that
// changes nothing touches nothing.
type slot struct {
	n    Node
	last string
	set  bool
}

func (s *slot) text(v string) {
	if !s.set || s.last != v {
		s.n.SetText(v)
		s.last, s.set = v, true
	}
}

func (s *slot) attr(name, v string) {
	if !s.set || s.last != v {
		s.n.SetAttr(name, v)
		s.last, s.set = v, true
	}
}

// view holds the nodes of a mounted dashboard.
type view struct {
	d DOM

	wsSelect, wsMore, wsLoad Node
	wsStatus                 slot
	wsShown                  int // workspaces rendered as options
	wsSelected               string

	name, createBtn Node
	messages        Node
	msgShown        []string
	busy            slot
	storeErr        slot

	list  Node
	empty Node
	cards map[string]*cardView
}

func (v *view) build(a *App, root Node) {
	d := v.d

	if a.cfg.Settings {
		apiBase := el(d, "input", "id", "flro-api-base", "type", "url", "data-role", "api-base", "autocomplete", "off", "spellcheck", "false")
		apiBase.SetValue(a.cfg.APIBase)
		token := el(d, "input", "id", "flro-token", "type", "password", "data-role", "token", "autocomplete", "off", "placeholder", "Bearer token (kept in this tab only)")
		token.SetValue(a.cfg.Token)
		form := appendAll(el(d, "form", "class", "flro-panel flro-settings", "data-role", "settings", "aria-label", "Settings"),
			text(d, "h2", "Settings"),
			appendAll(el(d, "div", "class", "flro-row"),
				appendAll(el(d, "label", "class", "flro-field flro-grow"), text(d, "span", "API base"), apiBase),
				appendAll(el(d, "label", "class", "flro-field flro-grow"), text(d, "span", "Token"), token),
				text(d, "button", "Apply", "type", "submit", "data-role", "apply-settings")))
		form.On("submit", func() {
			if a.cfg.OnSettings != nil {
				a.cfg.OnSettings(apiBase.Value(), token.Value())
			}
			a.eng.RetryAll() // operations waiting for a token go on with the new one
			a.LoadWorkspaces(false)
		})
		root.Append(form)
	}

	// Workspace picker and create form.
	v.wsSelect = el(d, "select", "id", "flro-workspace", "data-role", "workspace")
	v.wsSelect.On("change", func() { a.SelectWorkspace(v.wsSelect.Value()) })
	v.wsLoad = text(d, "button", "Reload", "type", "button", "data-role", "workspaces-reload", "class", "flro-secondary")
	v.wsLoad.On("click", func() { a.LoadWorkspaces(false) })
	v.wsMore = text(d, "button", "Load more", "type", "button", "data-role", "workspaces-more", "class", "flro-secondary")
	v.wsMore.On("click", func() { a.LoadWorkspaces(true) })
	v.wsStatus = slot{n: el(d, "p", "class", "flro-hint", "data-role", "workspaces-status", "aria-live", "polite")}

	typeSel := el(d, "select", "id", "flro-type", "data-role", "type")
	for _, t := range ItemTypes {
		typeSel.Append(text(d, "option", t, "value", t))
	}
	typeSel.SetValue("Notebook")
	v.name = el(d, "input", "id", "flro-name", "data-role", "name", "required", "", "maxlength", "200", "autocomplete", "off")
	v.name.SetValue(suggestName(a.cfg.Now()))
	desc := el(d, "input", "id", "flro-description", "data-role", "description", "maxlength", "256", "autocomplete", "off")
	count := el(d, "input", "id", "flro-count", "data-role", "count", "type", "number", "min", "1", "max", strconv.Itoa(MaxCount), "inputmode", "numeric")
	count.SetValue("2")
	v.createBtn = text(d, "button", "Create", "type", "submit", "data-role", "create")
	v.busy = slot{n: el(d, "span", "class", "flro-hint flro-busy", "data-role", "busy", "aria-live", "polite")}

	create := appendAll(el(d, "form", "class", "flro-panel flro-create", "data-role", "create-form", "aria-label", "Create items"),
		text(d, "h2", "Create items"),
		appendAll(el(d, "div", "class", "flro-row"),
			appendAll(el(d, "label", "class", "flro-field flro-grow"), text(d, "span", "Workspace"), v.wsSelect),
			v.wsLoad, v.wsMore),
		v.wsStatus.n,
		appendAll(el(d, "div", "class", "flro-row"),
			appendAll(el(d, "label", "class", "flro-field"), text(d, "span", "Item type"), typeSel),
			appendAll(el(d, "label", "class", "flro-field flro-grow"), text(d, "span", "Display name"), v.name),
			appendAll(el(d, "label", "class", "flro-field flro-narrow"), text(d, "span", "How many"), count)),
		appendAll(el(d, "div", "class", "flro-row"),
			appendAll(el(d, "label", "class", "flro-field flro-grow"), text(d, "span", "Description"), desc),
			v.createBtn, v.busy.n))
	create.On("submit", func() {
		n, err := strconv.Atoi(count.Value())
		if err != nil {
			n = 0
		}
		a.Create(CreateForm{Type: typeSel.Value(), DisplayName: v.name.Value(), Description: desc.Value(), Count: n})
		v.name.SetValue(suggestName(a.cfg.Now()))
	})
	root.Append(create)

	trackInput := el(d, "input", "id", "flro-track", "data-role", "track-input", "autocomplete", "off", "spellcheck", "false", "placeholder", "Operation id or Location URL")
	track := appendAll(el(d, "form", "class", "flro-panel flro-track", "data-role", "track-form", "aria-label", "Track an existing operation"),
		text(d, "h2", "Track an existing operation"),
		appendAll(el(d, "div", "class", "flro-row"),
			appendAll(el(d, "label", "class", "flro-field flro-grow"), text(d, "span", "Operation id or Location URL"), trackInput),
			text(d, "button", "Track", "type", "submit", "data-role", "track")))
	track.On("submit", func() {
		a.Track(trackInput.Value())
		trackInput.SetValue("")
	})
	root.Append(track)

	v.messages = el(d, "ul", "class", "flro-messages", "data-role", "messages", "role", "alert")
	root.Append(v.messages)
	v.storeErr = slot{n: el(d, "p", "class", "flro-storage-error", "data-role", "storage-error", "role", "alert", "hidden", "")}
	root.Append(v.storeErr.n)

	v.empty = text(d, "p", "No operations yet. Create an item or track an operation: each one gets a card here.", "class", "flro-hint flro-empty", "data-role", "empty")
	v.list = el(d, "section", "class", "flro-cards", "data-role", "cards", "aria-label", "Operations")
	root.Append(v.empty)
	root.Append(v.list)
}

// suggestName proposes a display name that is new each second, so that creating twice in a
// row does not collide with ItemDisplayNameAlreadyInUse.
func suggestName(now time.Time) string { return "Demo " + now.Format("150405") }

func (v *view) update(a *App, now time.Time) {
	// Workspaces.
	for _, w := range a.workspaces[min(v.wsShown, len(a.workspaces)):] {
		label := w.DisplayName
		if label == "" {
			label = w.ID
		}
		v.wsSelect.Append(text(v.d, "option", label, "value", w.ID))
	}
	v.wsShown = len(a.workspaces)
	if a.selected != v.wsSelected {
		v.wsSelect.SetValue(a.selected)
		v.wsSelected = a.selected
	}
	show(v.wsMore, a.wsNext != "")
	switch {
	case a.wsLoading:
		v.wsStatus.text("Loading workspaces…")
	case a.wsErr != nil:
		v.wsStatus.text("Could not list workspaces: " + describe(*a.wsErr))
	case a.wsLoaded && len(a.workspaces) == 0:
		v.wsStatus.text("No workspaces: create one in Fabric first.")
	case a.wsLoaded:
		more := ""
		if a.wsNext != "" {
			more = " (more available)"
		}
		v.wsStatus.text(fmt.Sprintf("%d workspaces%s", len(a.workspaces), more))
	default:
		v.wsStatus.text("")
	}

	// Messages.
	if !equalStrings(v.msgShown, a.formErrs) {
		v.messages.SetText("")
		for _, m := range a.formErrs {
			v.messages.Append(text(v.d, "li", m))
		}
		v.msgShown = append([]string(nil), a.formErrs...)
	}
	if err := a.eng.StorageError(); err != nil {
		v.storeErr.text("Operations could not be saved in this browser, so they will not resume after a reload: " +
			describe(ErrorOf(err)) + ". Free some site storage (or allow it) for this page.")
		show(v.storeErr.n, true)
	} else {
		show(v.storeErr.n, false)
	}
	if a.busy > 0 {
		v.busy.text("Sending…")
	} else {
		v.busy.text("")
	}

	// Cards: new ones go at the end, so nothing on screen moves; existing ones are updated in
	// place. A placeholder's card becomes its operation's card.
	for key, id := range a.rekey {
		if cv := v.cards[key]; cv != nil {
			delete(v.cards, key)
			cv.id = id
			v.cards[id] = cv
		}
		delete(a.rekey, key)
	}
	show(v.empty, len(a.order) == 0)
	live := map[string]bool{}
	for _, id := range a.order {
		live[id] = true
		cv := v.cards[id]
		if cv == nil {
			cv = newCardView(v.d, a, id)
			v.cards[id] = cv
			v.list.Append(cv.root)
		}
		cv.update(a.card(id, now))
	}
	for id, cv := range v.cards {
		if !live[id] {
			cv.root.Remove()
			delete(v.cards, id)
		}
	}
	if cv := v.cards[a.reveal]; cv != nil {
		// The response to a click: show its first card, and take keyboard focus there
		// (Tab goes on into the card) unless the user is typing in a field.
		cv.root.ScrollIntoView()
		if !v.d.TypingInField() {
			cv.root.Focus()
		}
		a.reveal = ""
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// cardView holds the nodes of one operation's card.
type cardView struct {
	root                              Node
	rootClass                         slot
	statusAttr                        slot
	label, kind, words                slot
	bar, fill                         Node
	barClass, fillStyle, barNow       slot
	progress, next, elapsed, attempts slot

	result, resName, resType, resID slot
	errBox, errCode, errMsg, errReq slot
	errMore                         Node
	errMoreShown                    []string
	placeholder                     Node

	cancel, runJob, dismiss Node
	copyReq                 Node
	copyID, idText          Node
	idShown, idName         slot
	card                    Card
	id                      string // the card's key: the operation id, or a placeholder's
	d                       DOM
	settings                bool // the page has a settings panel (for the token)
}

func newCardView(d DOM, a *App, id string) *cardView {
	cv := &cardView{d: d, settings: a.cfg.Settings, id: id}
	cv.root = el(d, "article", "data-role", "card", "data-id", id, "tabindex", "-1")
	cv.rootClass = slot{n: cv.root}
	cv.statusAttr = slot{n: cv.root}
	cv.label = slot{n: el(d, "h3", "class", "flro-label", "data-role", "label")}
	cv.kind = slot{n: el(d, "span", "class", "flro-kind", "data-role", "kind")}
	cv.words = slot{n: el(d, "span", "class", "flro-status", "data-role", "status", "aria-live", "polite")}

	cv.fill = el(d, "div", "class", "flro-fill")
	cv.bar = appendAll(el(d, "div", "class", "flro-bar", "role", "progressbar", "aria-valuemin", "0", "aria-valuemax", "100", "data-role", "progress"), cv.fill)
	cv.barClass, cv.fillStyle, cv.barNow = slot{n: cv.bar}, slot{n: cv.fill}, slot{n: cv.bar}
	cv.progress = slot{n: el(d, "span", "class", "flro-pct", "data-role", "progress-text")}
	cv.next = slot{n: el(d, "span", "data-role", "next-check")}
	cv.elapsed = slot{n: el(d, "span", "data-role", "elapsed")}
	cv.attempts = slot{n: el(d, "span", "data-role", "attempts")}

	copyID := text(d, "button", "Copy", "type", "button", "class", "flro-copy", "data-role", "copy-id", "aria-label", "Copy operation id")
	copyID.On("click", func() { d.CopyText(cv.id) })
	idText := el(d, "code", "data-role", "id")
	cv.copyID, cv.idText, cv.idShown = copyID, idText, slot{n: idText}
	cv.idName = slot{n: el(d, "span", "data-role", "id-name")}

	cv.resName = slot{n: el(d, "dd", "data-role", "result-name")}
	cv.resType = slot{n: el(d, "dd", "data-role", "result-type")}
	cv.resID = slot{n: el(d, "dd", "data-role", "result-id")}
	resBox := appendAll(el(d, "dl", "class", "flro-result", "data-role", "result"),
		text(d, "dt", "Item"), cv.resName.n, text(d, "dt", "Type"), cv.resType.n, text(d, "dt", "Item id"), cv.resID.n)
	cv.result = slot{n: resBox}

	cv.errCode = slot{n: el(d, "dd", "class", "flro-code", "data-role", "error-code")}
	cv.errMsg = slot{n: el(d, "dd", "data-role", "error-message")}
	cv.errReq = slot{n: el(d, "code", "data-role", "error-request-id")}
	copyReq := text(d, "button", "Copy", "type", "button", "class", "flro-copy", "data-role", "copy-request-id", "aria-label", "Copy request id")
	cv.copyReq = copyReq
	copyReq.On("click", func() { d.CopyText(cv.card.errorRequestID()) })
	cv.errMore = text(d, "ul", "none", "class", "flro-more", "data-role", "error-details")
	errBox := appendAll(el(d, "dl", "class", "flro-error", "data-role", "error"),
		text(d, "dt", "Error code"), cv.errCode.n,
		text(d, "dt", "Message"), cv.errMsg.n,
		text(d, "dt", "Request id"), appendAll(el(d, "dd"), cv.errReq.n, copyReq),
		text(d, "dt", "More details"), appendAll(el(d, "dd"), cv.errMore))
	cv.errBox = slot{n: errBox}
	cv.placeholder = text(d, "p", "The result appears here when the operation ends.", "class", "flro-hint", "data-role", "placeholder")

	cv.cancel = text(d, "button", "Cancel job", "type", "button", "class", "flro-secondary", "data-role", "cancel")
	cv.cancel.On("click", func() { a.Cancel(cv.id) })
	cv.runJob = text(d, "button", "Run job", "type", "button", "class", "flro-secondary", "data-role", "run-job")
	cv.runJob.On("click", func() {
		if r := cv.card.Result; r != nil {
			a.RunJob(cv.card.workspaceID(), r.ID, JobTypeFor(r.Type))
		}
	})
	cv.dismiss = text(d, "button", "Remove", "type", "button", "class", "flro-secondary", "data-role", "dismiss", "aria-label", "Remove this card")
	cv.dismiss.On("click", func() { a.Dismiss(cv.id) })

	appendAll(cv.root,
		appendAll(el(d, "header", "class", "flro-head"), cv.kind.n, cv.label.n, cv.words.n),
		appendAll(el(d, "div", "class", "flro-progress"), cv.bar, cv.progress.n),
		appendAll(el(d, "p", "class", "flro-meta"), cv.next.n, cv.elapsed.n, cv.attempts.n),
		appendAll(el(d, "p", "class", "flro-id"), cv.idName.n, idText, copyID),
		appendAll(el(d, "div", "class", "flro-detail"), cv.placeholder, resBox, errBox),
		appendAll(el(d, "footer", "class", "flro-actions"), cv.runJob, cv.cancel, cv.dismiss))
	return cv
}

func (c Card) errorRequestID() string {
	if c.Error == nil {
		return ""
	}
	return c.Error.RequestID
}

// workspaceID is the workspace of the created item, read from the result.
func (c Card) workspaceID() string {
	if c.Result == nil {
		return ""
	}
	return gjson.Get(c.Result.Raw, "workspaceId").String()
}

func (cv *cardView) update(c Card) {
	cv.card = c
	cv.root.SetAttr("data-id", c.ID)
	switch {
	case c.Sending:
		cv.idShown.text("… (sending)")
	case !HasOperationID(c.ID):
		// Fabric answered 200/201: there is no operation, only the engine's own name for the call.
		cv.idShown.text("none: Fabric answered at once")
	default:
		cv.idShown.text(c.ID)
	}
	show(cv.copyID, !c.Sending && HasOperationID(c.ID))
	if c.Kind == KindJob {
		cv.idName.text("Job instance id")
		cv.copyID.SetAttr("aria-label", "Copy job instance id")
	} else {
		cv.idName.text("Operation id")
	}
	show(cv.dismiss, !c.Sending)
	cv.rootClass.attr("class", "flro-card "+c.StatusClass)
	cv.statusAttr.attr("data-status", c.Status)
	cv.label.text(c.Label)
	cv.kind.text(string(c.Kind))
	if c.WaitingForToken && !cv.settings {
		// Embedded: the portal supplies tokens (getToken), there is no Settings panel.
		words := "Token expired: waiting for a new token from this page"
		if c.Error != nil && c.Error.ErrorCode != "TokenExpired" {
			words = "Not authorized (" + c.Error.ErrorCode + "): waiting for a new token from this page"
		}
		cv.words.text(words)
	} else {
		cv.words.text(c.StatusWords)
	}

	if c.ProgressIndeterminate {
		cv.barClass.attr("class", "flro-bar flro-indeterminate")
		cv.barNow.attr("aria-valuetext", "in progress, percentage unknown")
		cv.bar.RemoveAttr("aria-valuenow")
		cv.fillStyle.attr("style", "")
	} else {
		cv.barClass.attr("class", "flro-bar")
		cv.barNow.attr("aria-valuetext", c.ProgressText)
		cv.bar.SetAttr("aria-valuenow", fmt.Sprintf("%.0f", c.Progress))
		cv.fillStyle.attr("style", fmt.Sprintf("width: %.0f%%", c.Progress))
	}
	cv.progress.text(c.ProgressText)
	cv.next.text(c.NextCheck)
	cv.elapsed.text(c.Elapsed)
	cv.attempts.text(c.Attempts)

	show(cv.result.n, c.Result != nil)
	show(cv.errBox.n, c.Error != nil)
	show(cv.placeholder, c.Result == nil && c.Error == nil)
	if r := c.Result; r != nil {
		cv.resName.text(orDash(r.Name))
		cv.resType.text(orDash(r.Type))
		cv.resID.text(orDash(r.ID))
	}
	if e := c.Error; e != nil {
		cv.errCode.text(orDash(e.ErrorCode))
		cv.errMsg.text(orDash(e.Message))
		cv.errReq.text(orDash(e.RequestID))
		show(cv.copyReq, e.RequestID != "")
		if !equalStrings(cv.errMoreShown, e.MoreDetails) {
			cv.errMore.SetText("")
			for _, m := range e.MoreDetails {
				cv.errMore.Append(text(cv.d, "li", m))
			}
			if len(e.MoreDetails) == 0 {
				cv.errMore.SetText("none")
			}
			cv.errMoreShown = e.MoreDetails
		}
	}
	show(cv.cancel, c.CanCancel)
	canRun := c.Kind == KindOperation && c.Status == StatusSucceeded && c.Result != nil &&
		JobTypeFor(c.Result.Type) != "" && c.workspaceID() != ""
	show(cv.runJob, canRun)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
