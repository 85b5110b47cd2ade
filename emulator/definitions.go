package emulator

// Item definitions: how a sent one is checked, the notebook formats, and the getDefinition
// and updateDefinition routes.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// payloadInlineBase64 is the one PayloadType of common/definitions.json.
const payloadInlineBase64 = "InlineBase64"

// decodePayload decodes an InlineBase64 payload, padded or not (the spec's own examples
// send both).
func decodePayload(p string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(p); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(p, "="))
}

// checkDefinition validates a definition sent by a create or updateDefinition call: every
// part needs a path, the payloadType InlineBase64 and a payload that is base64. Fabric
// answers 400 CorruptedPayload otherwise.
func checkDefinition(d *definition) *apiError {
	if len(d.Parts) == 0 {
		return newAPIError(http.StatusBadRequest, "InvalidDefinition", "definition.parts must list at least one part.")
	}
	for i, p := range d.Parts {
		var problem string
		switch {
		case strings.TrimSpace(p.Path) == "":
			problem = "has no path"
		case p.PayloadType != payloadInlineBase64:
			problem = fmt.Sprintf("has payloadType %q; the only payloadType is %q", p.PayloadType, payloadInlineBase64)
		default:
			if _, err := decodePayload(p.Payload); err != nil {
				problem = "has a payload that is not base64 (" + err.Error() + "); encode the file's bytes with base64"
			}
		}
		if problem != "" {
			return &apiError{status: http.StatusBadRequest, body: ErrorResponse{
				ErrorCode: "CorruptedPayload",
				Message:   fmt.Sprintf("The provided payload is corrupted: definition part %d (%q) %s.", i, p.Path, problem),
				MoreDetails: []ErrorResponseDetails{{ErrorCode: "InvalidDefinitionPart",
					Message: fmt.Sprintf("parts[%d] %s", i, problem)}},
			}}
		}
	}
	return nil
}

// platformMetadata reads the displayName and description of a definition's .platform
// part, if it has one that is JSON with a metadata object. The spec's examples send a
// placeholder .platform that is not JSON; it changes nothing.
func platformMetadata(d *definition) (displayName, description *string) {
	for _, p := range d.Parts {
		if p.Path != ".platform" {
			continue
		}
		b, err := decodePayload(p.Payload)
		if err != nil {
			return nil, nil
		}
		var pf struct {
			Metadata struct {
				DisplayName *string `json:"displayName"`
				Description *string `json:"description"`
			} `json:"metadata"`
		}
		if json.Unmarshal(b, &pf) != nil {
			return nil, nil
		}
		return pf.Metadata.DisplayName, pf.Metadata.Description
	}
	return nil, nil
}

// Notebook definition formats (notebook/swagger.json, getDefinition's format parameter).
const (
	formatIpynb           = "ipynb"
	formatFabricGitSource = "fabricGitSource"
)

const (
	pyNotebookPart    = "notebook-content.py"
	ipynbNotebookPart = "notebook-content.ipynb"
	pyCellMarker      = "# CELL ********************"
	pyMarkdownMarker  = "# MARKDOWN ********************"
)

// notebookCell is one cell of an ipynb notebook.
type notebookCell struct {
	CellType       string         `json:"cell_type"`
	Source         []string       `json:"source"`
	Metadata       map[string]any `json:"metadata"`
	ExecutionCount *int           `json:"execution_count,omitempty"`
	Outputs        []any          `json:"outputs,omitempty"`
}

// ipynbNotebook is the ipynb (Jupyter) form of a notebook.
type ipynbNotebook struct {
	NBFormat      int            `json:"nbformat"`
	NBFormatMinor int            `json:"nbformat_minor"`
	Cells         []notebookCell `json:"cells"`
	Metadata      map[string]any `json:"metadata"`
}

// sourceLines splits a cell's text the ipynb way: lines keep their newline.
func sourceLines(text string) []string {
	lines := strings.SplitAfter(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// pyToIpynb converts the fabricGitSource form (notebook-content.py) to ipynb.
func pyToIpynb(py string) []byte {
	nb := ipynbNotebook{NBFormat: 4, NBFormatMinor: 5, Cells: []notebookCell{},
		Metadata: map[string]any{"language_info": map[string]any{"name": "python"}}}
	kind, cell := "", []string{}
	flush := func() {
		text := strings.Trim(strings.Join(cell, "\n"), "\n")
		if kind != "" {
			c := notebookCell{CellType: "code", Source: sourceLines(text), Metadata: map[string]any{}}
			if kind == "markdown" {
				c.CellType = "markdown"
				for i, l := range c.Source {
					c.Source[i] = strings.TrimPrefix(strings.TrimPrefix(l, "# "), "#")
				}
			} else {
				c.Outputs = []any{}
			}
			nb.Cells = append(nb.Cells, c)
		}
		cell = cell[:0]
	}
	for _, line := range strings.Split(py, "\n") {
		switch strings.TrimSpace(line) {
		case pyCellMarker:
			flush()
			kind = "code"
		case pyMarkdownMarker:
			flush()
			kind = "markdown"
		default:
			cell = append(cell, line)
		}
	}
	flush()
	b, _ := json.Marshal(nb) // strings and maps of strings: cannot fail
	return b
}

// ipynbToPy converts an ipynb notebook to the fabricGitSource form; ok is false when the
// payload is not an ipynb notebook.
func ipynbToPy(raw []byte) (string, bool) {
	var nb ipynbNotebook
	if json.Unmarshal(raw, &nb) != nil || nb.NBFormat == 0 {
		return "", false
	}
	var b strings.Builder
	b.WriteString("# Fabric notebook source\n")
	for _, c := range nb.Cells {
		text := strings.Join(c.Source, "")
		if c.CellType == "markdown" {
			b.WriteString("\n" + pyMarkdownMarker + "\n\n")
			for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
				b.WriteString("# " + l + "\n")
			}
			continue
		}
		b.WriteString("\n" + pyCellMarker + "\n\n" + strings.TrimRight(text, "\n") + "\n")
	}
	return b.String(), true
}

// notebookIn returns a notebook definition in the format asked for ("" means
// fabricGitSource), converting its content part between notebook-content.py and
// notebook-content.ipynb when it is stored in the other form.
func notebookIn(d *definition, format string) *definition {
	out := &definition{Parts: make([]definitionPart, 0, len(d.Parts))}
	for _, p := range d.Parts {
		raw, err := decodePayload(p.Payload)
		switch {
		case err != nil:
		case format == formatIpynb && p.Path == pyNotebookPart:
			p = definitionPart{Path: ipynbNotebookPart, PayloadType: payloadInlineBase64,
				Payload: base64.StdEncoding.EncodeToString(pyToIpynb(string(raw)))}
		case format != formatIpynb && p.Path == ipynbNotebookPart:
			if py, ok := ipynbToPy(raw); ok {
				p = definitionPart{Path: pyNotebookPart, PayloadType: payloadInlineBase64,
					Payload: base64.StdEncoding.EncodeToString([]byte(py))}
			}
		}
		out.Parts = append(out.Parts, p)
	}
	return out
}

// checkNotebookFormat validates getDefinition's format parameter.
func checkNotebookFormat(format string) *apiError {
	switch format {
	case "", formatIpynb, formatFabricGitSource:
		return nil
	}
	return newAPIError(http.StatusBadRequest, "InvalidRequest",
		fmt.Sprintf("The notebook definition format %q is not supported; use format=ipynb or format=fabricGitSource (the default).", format))
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
	d, e := decodeDefinitionUpdate(r)
	if e != nil {
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
	if !s.definitionIsLong() {
		if e := s.applyDefinition(it, d, updateMetadata); e != nil {
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
		if e := s.applyDefinition(it, d, updateMetadata); e != nil {
			e.body.RequestID = c.requestID
			return nil, &e.body
		}
		return nil, nil
	})
	s.writeAccepted(w, r, op)
}

// decodeDefinitionUpdate reads and checks an updateDefinition body.
func decodeDefinitionUpdate(r *http.Request) (*definition, *apiError) {
	var req struct {
		Definition *definition `json:"definition"`
	}
	if e := decodeBody(r, &req, true); e != nil {
		return nil, e
	}
	if req.Definition == nil {
		return nil, newAPIError(http.StatusBadRequest, "InvalidDefinition", "updateDefinition needs a body {\"definition\": {\"parts\": [...]}} with at least one part.")
	}
	if e := checkDefinition(req.Definition); e != nil {
		return nil, e
	}
	return req.Definition, nil
}

// applyDefinition gives it the definition d and, with updateMetadata, the displayName and
// description of d's .platform part (a name taken by another item refuses it all). Call with
// s.mu held.
func (s *Server) applyDefinition(it *item, d *definition, updateMetadata bool) *apiError {
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
