package dashboard

import (
	"fmt"
	"strconv"
	"time"
)

// fieldError is the validation message under a field, and the field's aria-invalid.
type fieldError struct {
	msg             slot
	hidden, invalid *flag
}

// field makes a labelled field holding input, with a place for its validation message.
func (v *view) field(name, label string, input Node, class string) Node {
	msg := el(v.d, "p", "class", "flro-field-error", "data-role", "error-"+name, "id", "flro-err-"+name)
	input.SetAttr("aria-describedby", "flro-err-"+name)
	v.fieldErr[name] = &fieldError{msg: slot{n: msg}, hidden: hiddenFlag(msg), invalid: &flag{n: input, name: "aria-invalid", value: "true"}}
	return appendAll(el(v.d, "label", "class", "flro-field "+class), text(v.d, "span", label), input, msg)
}

// buildSettings makes the settings panel: API base and token, Apply, and Test connection when
// the page can probe.
func (v *view) buildSettings(a *App) Node {
	d := v.d
	apiBase := el(d, "input", "id", "flro-api-base", "type", "url", "data-role", "api-base", "autocomplete", "off", "spellcheck", "false")
	apiBase.SetValue(a.cfg.APIBase)
	token := el(d, "input", "id", "flro-token", "type", "password", "data-role", "token", "autocomplete", "off", "placeholder", "Bearer token (kept in this tab only)")
	token.SetValue(a.cfg.Token)
	summary := appendAll(el(d, "summary", "data-role", "settings-summary"), text(d, "span", "Settings", "class", "flro-summary-title"))
	state := el(d, "span", "class", "flro-hint", "data-role", "settings-state")
	summary.Append(state)
	v.setState = slot{n: state}
	form := appendAll(el(d, "form", "class", "flro-settings-form", "data-role", "settings", "aria-label", "Settings"),
		appendAll(el(d, "div", "class", "flro-row"),
			appendAll(el(d, "label", "class", "flro-field flro-grow"), text(d, "span", "API base"), apiBase),
			appendAll(el(d, "label", "class", "flro-field flro-grow"), text(d, "span", "Token"), token),
			text(d, "button", "Apply", "type", "submit", "data-role", "apply-settings")))
	if a.cfg.Probe != nil {
		test := text(d, "button", "Test connection", "type", "button", "class", "flro-secondary", "data-role", "test-connection")
		test.On("click", func() { a.testConnection(apiBase.Value(), token.Value()) })
		conn := el(d, "p", "class", "flro-connection", "data-role", "connection", "aria-live", "polite")
		v.conn, v.connCause = slot{n: conn}, slot{n: conn}
		form.Append(appendAll(el(d, "div", "class", "flro-row flro-test"), test, conn))
	}
	details := appendAll(el(d, "details", "class", "flro-panel flro-settings"), summary, form)
	v.settings = &flag{n: details, name: "open"}
	v.settings.put(!a.cfg.HasToken())
	form.On("submit", func() {
		if a.cfg.OnSettings != nil {
			a.cfg.OnSettings(apiBase.Value(), token.Value())
		}
		a.eng.RetryAll() // operations waiting for a token go on with the new one
		if a.cfg.HasToken() {
			v.settings.known = false // fold it away, whatever the user did to it
			v.settings.put(false)
		}
		a.LoadWorkspaces(false)
	})
	return details
}

// buildCreate makes the form that creates items: the workspace picker, the item type, the
// display name, the description and how many.
func (v *view) buildCreate(a *App) Node {
	d := v.d
	v.wsSelect = el(d, "select", "id", "flro-workspace", "data-role", "workspace")
	v.wsSelect.On("change", func() { a.selectWorkspace(v.wsSelect.Value()) })
	wsLoad := text(d, "button", "Reload", "type", "button", "data-role", "workspaces-reload", "class", "flro-secondary")
	wsLoad.On("click", func() { a.LoadWorkspaces(false) })
	v.wsMore = text(d, "button", "Load more", "type", "button", "data-role", "workspaces-more", "class", "flro-secondary")
	v.wsMore.On("click", func() { a.LoadWorkspaces(true) })
	v.wsMoreShown = hiddenFlag(v.wsMore)
	v.wsStatus = slot{n: el(d, "p", "class", "flro-hint", "data-role", "workspaces-status", "aria-live", "polite")}

	typeSel := el(d, "select", "id", "flro-type", "data-role", "type")
	for _, g := range itemTypeGroups {
		og := el(d, "optgroup", "label", g.Name)
		for _, t := range g.Types {
			og.Append(text(d, "option", t.Name, "value", t.Type))
		}
		typeSel.Append(og)
	}
	typeSel.SetValue(defaultItemType)
	v.name = el(d, "input", "id", "flro-name", "data-role", "name", "maxlength", "123", "autocomplete", "off")
	desc := el(d, "input", "id", "flro-description", "data-role", "description", "maxlength", "256", "autocomplete", "off")
	count := el(d, "input", "id", "flro-count", "data-role", "count", "type", "number", "min", "1", "max", strconv.Itoa(MaxCount), "inputmode", "numeric")
	count.SetValue("2")

	create := appendAll(el(d, "form", "class", "flro-panel flro-create", "data-role", "create-form", "aria-label", "Create items", "novalidate", ""),
		text(d, "h2", "Create items"),
		appendAll(el(d, "div", "class", "flro-row"),
			v.field(fieldWorkspace, "Workspace", v.wsSelect, "flro-grow flro-half"),
			appendAll(el(d, "div", "class", "flro-buttons"), wsLoad, v.wsMore)),
		v.wsStatus.n,
		appendAll(el(d, "div", "class", "flro-row"),
			v.field(fieldType, "Item type", typeSel, "flro-half"),
			v.field(fieldName, "Display name", v.name, "flro-grow flro-wide"),
			v.field(fieldCount, "How many", count, "flro-narrow")),
		appendAll(el(d, "div", "class", "flro-row"),
			v.field("description", "Description (optional)", desc, "flro-grow"),
			text(d, "button", "Create", "type", "submit", "data-role", "create")))
	create.On("submit", func() {
		n, err := strconv.Atoi(count.Value())
		if err != nil {
			n = 0
		}
		a.create(createForm{Type: typeSel.Value(), DisplayName: v.name.Value(), Description: desc.Value(), Count: n})
	})
	return create
}

// buildTrack makes the form that tracks an existing operation, folded: tracking an operation
// started elsewhere is the rarer task.
func (v *view) buildTrack(a *App) Node {
	d := v.d
	v.trackInput = el(d, "input", "id", "flro-track", "data-role", "track-input", "autocomplete", "off", "spellcheck", "false", "placeholder", "Operation id or Location URL")
	track := appendAll(el(d, "form", "data-role", "track-form", "aria-label", "Track an existing operation", "novalidate", ""),
		appendAll(el(d, "div", "class", "flro-row"),
			v.field(fieldTrack, "Operation id, Location URL or resume token", v.trackInput, "flro-grow"),
			text(d, "button", "Track", "type", "submit", "data-role", "track")))
	track.On("submit", func() { a.track(v.trackInput.Value()) })
	return appendAll(el(d, "details", "class", "flro-panel flro-track"),
		appendAll(el(d, "summary", "data-role", "track-summary"), text(d, "span", "Track an existing operation", "class", "flro-summary-title")),
		track)
}

// suggestName proposes a display name that is new each second.
//
// It writes the digits itself: the browser compiles a wasm function when it is first called,
// and time.Time.Format, among the largest in the module, took 13 to 26 ms of a cold load only
// for this.
func suggestName(now time.Time) string {
	b := []byte("Demo hhmmss")
	h, m, s := now.Clock()
	for i, v := range []int{h, m, s} {
		b[5+2*i], b[6+2*i] = byte('0'+v/10), byte('0'+v%10)
	}
	return string(b)
}

// updateSettings brings what the folded settings and Test connection say up to date; a.mu is
// held.
func (v *view) updateSettings(a *App) {
	state := "API " + a.cfg.APIBase
	if a.cfg.HasToken() {
		state += " · token set"
	} else {
		state += " · no token yet"
	}
	v.setState.text(state)
	if v.conn.n == nil {
		return
	}
	switch {
	case a.testing:
		v.conn.text("Testing the connection…")
		v.connCause.attr("data-cause", "")
	case a.verdict != nil:
		v.conn.text(a.verdict.Words)
		v.connCause.attr("data-cause", a.verdict.Cause)
	}
}

// updateFieldErrors shows each field's validation message, and empties the Track field once
// what it held was accepted; a.mu is held.
func (v *view) updateFieldErrors(a *App) {
	for name, f := range v.fieldErr {
		msg := a.fieldErrs[name]
		f.msg.text(msg)
		f.hidden.put(msg == "")
		f.invalid.put(msg != "")
	}
	if v.trackInput != nil && v.trackShown != a.trackOK {
		v.trackInput.SetValue("") // accepted: the field is ready for the next one
		v.trackShown = a.trackOK
	}
}

// updateForms brings the workspace picker and the suggested name up to date; a.mu is held.
func (v *view) updateForms(a *App) {
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
	v.wsMoreShown.put(a.wsNext == "")
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
	if a.suggested != v.nameShown {
		// A new suggestion once the last one was used; what the user typed is kept.
		if cur := v.name.Value(); cur == "" || cur == v.nameShown {
			v.name.SetValue(a.suggested)
		}
		v.nameShown = a.suggested
	}
}
