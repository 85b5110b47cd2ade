package dashboard

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/tidwall/gjson"
)

// rowView holds the nodes of one operation's row. Its details are built the first time
// they are opened, so a long list costs little.
type rowView struct {
	d         DOM
	a         *App
	id        string // the row's key: the operation id, or a placeholder's
	root      Node
	hidden    *flag
	cls, st   slot // class and data-status
	state     slot // data-state
	kind      slot // data-kind
	dataID    slot // data-id: the placeholder's key, then the operation id
	toggle    Node
	expanded  slot // aria-expanded
	label     slot
	words     slot
	fill      Node
	barClass  slot
	fillStyle slot
	barNow    slot
	pct       slot
	when      slot
	body      *bodyView
	card      card
	onScreen  bool   // in or near the viewport: redrawn every frame
	unwatch   func() // stops following whether it is on screen
}

// shown is the row's key and the card it shows, for its event handlers: a render changes them
// under a.mu, from whichever goroutine changed the state.
func (rv *rowView) shown() (key string, c card) {
	rv.a.mu.Lock()
	defer rv.a.mu.Unlock()
	return rv.id, rv.card
}

// key is the row's key, for its event handlers (see rowView.shown).
func (rv *rowView) key() string {
	key, _ := rv.shown()
	return key
}

// remove takes the row off the page.
func (rv *rowView) remove() {
	rv.unwatch()
	rv.root.Remove()
}

// newRowView makes the row of id: one line that opens to its details.
func newRowView(d DOM, a *App, id string) *rowView {
	// On screen until the page says otherwise (a page that cannot tell draws every row).
	rv := &rowView{d: d, a: a, id: id, onScreen: true}
	rv.root = el(d, "li", "class", "flro-op", "data-role", "card", "data-id", id)
	rv.hidden = hiddenFlag(rv.root)
	rv.cls, rv.st, rv.state, rv.kind, rv.dataID = slot{n: rv.root}, slot{n: rv.root}, slot{n: rv.root}, slot{n: rv.root}, slot{n: rv.root}
	label := el(d, "span", "class", "flro-label", "data-role", "label")
	words := el(d, "span", "class", "flro-status", "data-role", "status")
	rv.fill = el(d, "span", "class", "flro-fill")
	bar := appendAll(el(d, "span", "class", "flro-bar", "role", "progressbar", "aria-valuemin", "0", "aria-valuemax", "100", "data-role", "progress"), rv.fill)
	pct := el(d, "span", "class", "flro-pct", "data-role", "progress-text")
	when := el(d, "span", "class", "flro-when", "data-role", "elapsed")
	rv.label, rv.words, rv.pct, rv.when = slot{n: label}, slot{n: words}, slot{n: pct}, slot{n: when}
	rv.barClass, rv.fillStyle, rv.barNow = slot{n: bar}, slot{n: rv.fill}, slot{n: bar}
	rv.toggle = appendAll(el(d, "button", "type", "button", "class", "flro-toggle", "data-role", "toggle"),
		el(d, "span", "class", "flro-dot", "aria-hidden", "true"), label, words,
		appendAll(el(d, "span", "class", "flro-progress"), bar, pct), when)
	rv.expanded = slot{n: rv.toggle}
	rv.toggle.On("click", func() { a.toggle(rv.key()) })
	rv.root.Append(rv.toggle)
	rv.unwatch = d.OnScreen(rv.root, func(on bool) {
		a.mu.Lock()
		defer a.mu.Unlock()
		rv.onScreen = on
		if on {
			a.touch(rv.id) // it may have changed while off screen
			a.render()
		}
	})
	return rv
}

// update copies card c into the row, and into its details once they were opened.
func (rv *rowView) update(c card) {
	rv.card = c
	rv.dataID.attr("data-id", rv.id)
	rv.cls.attr("class", "flro-op "+c.StatusClass)
	rv.st.attr("data-status", c.Status)
	rv.state.attr("data-state", c.State)
	rv.kind.attr("data-kind", string(c.Kind))
	rv.expanded.attr("aria-expanded", strconv.FormatBool(c.Expanded))
	rv.label.text(c.Label)
	words := c.StatusWords
	if c.Waiting != "" {
		words += " · " + c.Waiting // why the next check is when it is, and how long until
	}
	rv.words.text(words)
	if c.ProgressIndeterminate {
		rv.barClass.attr("class", "flro-bar flro-indeterminate")
		rv.barNow.attr("aria-valuetext", "in progress, percentage unknown")
		rv.fillStyle.attr("style", "")
	} else {
		rv.barClass.attr("class", "flro-bar")
		rv.barNow.attr("aria-valuetext", c.ProgressText)
		rv.fillStyle.attr("style", fmt.Sprintf("width: %.0f%%", c.Progress))
	}
	rv.pct.text(c.ProgressText)
	rv.when.text(c.Elapsed)
	if c.Expanded && rv.body == nil {
		rv.body = newBodyView(rv)
		rv.root.Append(rv.body.root)
		rv.toggle.SetAttr("aria-controls", "flro-body-"+rv.id)
	}
	if rv.body != nil {
		rv.body.hidden.put(!c.Expanded)
		if c.Expanded {
			rv.body.update(c)
		}
	}
}

// bodyView holds the nodes of a row's details.
type bodyView struct {
	d      DOM
	root   Node
	hidden *flag

	next, started, ended, attempts slot
	idName, idText                 slot
	copyID                         *flag

	result                     *flag
	resName, resType, resID    slot
	itemLink, wsLink           slot
	itemLinkShow, wsLinkShow   *flag
	errBox                     *flag
	errCode, errMsg, errReq    slot
	copyReq                    *flag
	errMore                    Node
	errMoreShown               []string
	note                       slot
	noteShow                   *flag
	confirm                    *flag
	question, yes, no          slot
	runJob, cancel, retry, dis *flag
	runText                    slot
	runDisabled                *flag
}

// newBodyView makes the details of row rv: when, which id, the result or the error, a note,
// the question the row asks, and its actions.
func newBodyView(rv *rowView) *bodyView {
	d := rv.d
	b := &bodyView{d: d}
	b.root = el(d, "div", "class", "flro-body", "id", "flro-body-"+rv.id, "data-role", "details")
	b.hidden = hiddenFlag(b.root)
	span := func(role string) slot { return slot{n: el(d, "span", "data-role", role)} }
	b.next, b.started, b.ended, b.attempts = span("next-check"), span("started"), span("ended"), span("attempts")
	note := el(d, "p", "class", "flro-note", "data-role", "note")
	b.note, b.noteShow = slot{n: note}, hiddenFlag(note)
	appendAll(b.root,
		appendAll(el(d, "p", "class", "flro-meta"), b.next.n, b.started.n, b.ended.n, b.attempts.n),
		b.buildID(rv), b.buildResult(), b.buildError(rv), note, b.buildConfirm(rv), b.buildActions(rv))
	return b
}

// buildID makes the line with the operation's (or job instance's) id and its copy button.
func (b *bodyView) buildID(rv *rowView) Node {
	d := b.d
	copyID := text(d, "button", "Copy", "type", "button", "class", "flro-copy", "data-role", "copy-id", "aria-label", "Copy the id")
	copyID.On("click", func() { d.CopyText(rv.key()) })
	b.copyID = hiddenFlag(copyID)
	b.idName, b.idText = slot{n: el(d, "span", "data-role", "id-name")}, slot{n: el(d, "code", "data-role", "id")}
	return appendAll(el(d, "p", "class", "flro-id"), b.idName.n, b.idText.n, copyID)
}

// buildResult makes the box of the created item.
func (b *bodyView) buildResult() Node {
	d := b.d
	dd := func(role string) slot { return slot{n: el(d, "dd", "data-role", role)} }
	b.resName, b.resType, b.resID = dd("result-name"), dd("result-type"), dd("result-id")
	resBox := appendAll(el(d, "dl", "class", "flro-result", "data-role", "result"),
		text(d, "dt", "Item"), b.resName.n, text(d, "dt", "Type"), b.resType.n, text(d, "dt", "Item id"), b.resID.n)
	b.result = hiddenFlag(resBox)
	return resBox
}

// buildError makes the box of the error, in full: code, message, request id (with a copy
// button) and more details.
func (b *bodyView) buildError(rv *rowView) Node {
	d := b.d
	b.errCode = slot{n: el(d, "dd", "class", "flro-code", "data-role", "error-code")}
	b.errMsg = slot{n: el(d, "dd", "data-role", "error-message")}
	b.errReq = slot{n: el(d, "code", "data-role", "error-request-id")}
	copyReq := text(d, "button", "Copy", "type", "button", "class", "flro-copy", "data-role", "copy-request-id", "aria-label", "Copy the request id")
	copyReq.On("click", func() {
		if _, c := rv.shown(); c.Error != nil {
			d.CopyText(c.Error.RequestID)
		}
	})
	b.copyReq = hiddenFlag(copyReq)
	b.errMore = text(d, "ul", "none", "class", "flro-more", "data-role", "error-details")
	errBox := appendAll(el(d, "dl", "class", "flro-error", "data-role", "error"),
		text(d, "dt", "Error code"), b.errCode.n,
		text(d, "dt", "Message"), b.errMsg.n,
		text(d, "dt", "Request id"), appendAll(el(d, "dd"), b.errReq.n, copyReq),
		text(d, "dt", "More details"), appendAll(el(d, "dd"), b.errMore))
	b.errBox = hiddenFlag(errBox)
	return errBox
}

// buildConfirm makes the question the row asks before cancelling or dismissing.
func (b *bodyView) buildConfirm(rv *rowView) Node {
	d, a := b.d, rv.a
	yes := el(d, "button", "type", "button", "data-role", "confirm-yes", "class", "flro-danger")
	no := el(d, "button", "type", "button", "data-role", "confirm-no", "class", "flro-secondary")
	question := el(d, "p", "data-role", "question")
	yes.On("click", func() {
		switch id, c := rv.shown(); c.Confirm {
		case "cancel":
			a.confirmCancel(id)
		case "dismiss":
			a.confirmDismiss(id)
		}
	})
	no.On("click", func() { a.keepIt(rv.key()) })
	confirm := appendAll(el(d, "div", "class", "flro-confirm", "data-role", "confirm", "role", "alertdialog", "aria-label", "Confirm"),
		question, appendAll(el(d, "div", "class", "flro-buttons"), yes, no))
	b.confirm, b.question, b.yes, b.no = hiddenFlag(confirm), slot{n: question}, slot{n: yes}, slot{n: no}
	return confirm
}

// buildActions makes the row's links and buttons: Open in Fabric, Open the workspace, Run,
// Retry, Cancel run and Dismiss.
func (b *bodyView) buildActions(rv *rowView) Node {
	d, a := b.d, rv.a
	itemLink := text(d, "a", "Open in Fabric", "data-role", "open-item", "target", "_blank", "rel", "noopener noreferrer")
	wsLink := text(d, "a", "Open the workspace", "data-role", "open-workspace", "target", "_blank", "rel", "noopener noreferrer")
	b.itemLink, b.wsLink = slot{n: itemLink}, slot{n: wsLink}
	b.itemLinkShow, b.wsLinkShow = hiddenFlag(itemLink), hiddenFlag(wsLink)
	runJob := el(d, "button", "type", "button", "class", "flro-secondary", "data-role", "run-job")
	runJob.On("click", func() {
		if _, c := rv.shown(); c.Result != nil {
			a.runJob(c.workspaceID(), c.Result.ID, c.Result.Type, c.Result.Name)
		}
	})
	b.runJob, b.runText, b.runDisabled = hiddenFlag(runJob), slot{n: runJob}, &flag{n: runJob, name: "disabled"}
	cancel := text(d, "button", "Cancel run", "type", "button", "class", "flro-secondary", "data-role", "cancel")
	cancel.On("click", func() { a.cancel(rv.key()) })
	retry := text(d, "button", "Retry", "type", "button", "data-role", "retry")
	retry.On("click", func() { a.retry(rv.key()) })
	dismiss := text(d, "button", "Dismiss", "type", "button", "class", "flro-secondary", "data-role", "dismiss", "aria-label", "Dismiss from this list")
	dismiss.On("click", func() { a.dismiss(rv.key()) })
	b.cancel, b.retry, b.dis = hiddenFlag(cancel), hiddenFlag(retry), hiddenFlag(dismiss)
	return appendAll(el(d, "div", "class", "flro-actions"), itemLink, wsLink, runJob, retry, cancel, dismiss)
}

// update copies card c into the details.
func (b *bodyView) update(c card) {
	b.next.text(c.NextCheck)
	b.started.text(prefixed("started ", c.Started))
	b.ended.text(prefixed("ended ", c.Ended))
	b.attempts.text(c.Attempts)
	b.updateID(c)
	b.result.put(c.Result == nil)
	if r := c.Result; r != nil {
		b.resName.text(orDash(r.Name))
		b.resType.text(orDash(typeName(r.Type)))
		b.resID.text(orDash(r.ID))
	}
	b.errBox.put(c.Error == nil)
	if c.Error != nil {
		b.updateError(c.Error)
	}
	b.note.text(c.Note)
	b.noteShow.put(c.Note == "")
	b.updateActions(c)
}

// updateID names the id and writes it, or says why there is none.
func (b *bodyView) updateID(c card) {
	switch {
	case c.Sending:
		b.idText.text("… (sending)")
	case c.CanRetry:
		b.idText.text("none: the call did not start")
	case !hasOperationID(c.ID) && c.Kind == kindJob && c.Result != nil && c.Result.ID != "":
		// A list-form Location: the result, the job instance itself, names it.
		b.idText.text(c.Result.ID)
	case !hasOperationID(c.ID) && c.Kind == kindJob:
		b.idText.text("unknown here: Fabric's answer named the job list, not the run")
	case !hasOperationID(c.ID):
		// Fabric answered 200/201: there is no operation, only the engine's own name for the call.
		b.idText.text("none: Fabric answered at once")
	default:
		b.idText.text(c.ID)
	}
	b.copyID.put(c.Sending || c.CanRetry || !hasOperationID(c.ID))
	if c.Kind == kindJob {
		b.idName.text("Job instance id")
	} else {
		b.idName.text("Operation id")
	}
}

// updateError writes the error box.
func (b *bodyView) updateError(e *cardError) {
	b.errCode.text(orDash(e.ErrorCode))
	b.errMsg.text(orDash(e.Message))
	b.errReq.text(orDash(e.RequestID))
	b.copyReq.put(e.RequestID == "")
	if slices.Equal(b.errMoreShown, e.MoreDetails) {
		return
	}
	b.errMore.SetText("")
	for _, m := range e.MoreDetails {
		b.errMore.Append(text(b.d, "li", m))
	}
	if len(e.MoreDetails) == 0 {
		b.errMore.SetText("none")
	}
	b.errMoreShown = e.MoreDetails
}

// updateActions shows the links and buttons that apply, and the question the row asks.
func (b *bodyView) updateActions(c card) {
	b.itemLink.attr("href", c.ItemURL)
	b.itemLinkShow.put(c.ItemURL == "")
	b.wsLink.attr("href", c.WorkspaceURL)
	b.wsLinkShow.put(c.WorkspaceURL == "")
	b.confirm.put(c.Confirm == "")
	b.question.text(c.Question)
	switch c.Confirm {
	case "cancel":
		b.yes.text("Cancel run")
		b.no.text("Keep running")
	case "dismiss":
		b.yes.text("Dismiss")
		b.no.text("Keep watching")
	}
	b.runJob.put(c.RunWords == "")
	b.runText.text(c.RunWords)
	b.runDisabled.put(c.RunBusy)
	b.cancel.put(!c.CanCancel || c.Confirm != "")
	b.retry.put(!c.CanRetry)
	b.dis.put(c.Sending || c.Confirm != "")
}

// workspaceID is the workspace of the created item, read from the result.
func (c card) workspaceID() string {
	if c.Result == nil {
		return ""
	}
	return gjson.Get(c.Result.Raw, "workspaceId").String()
}

// prefixed is s after p, or "" when s is.
func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

// orDash is s, or a dash for nothing.
func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
