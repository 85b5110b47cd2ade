package emulator

// Reading the examples of Microsoft's Fabric REST API specification under
// testdata/fabric-api-spec, and comparing the shape of their answers with the emulator's.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// specExample is one example file.
type specExample struct {
	Parameters map[string]json.RawMessage `json:"parameters"`
	Responses  map[string]struct {
		Headers map[string]any  `json:"headers"`
		Body    json.RawMessage `json:"body"`
	} `json:"responses"`
}

func loadExample(t *testing.T, rel string) specExample {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "fabric-api-spec", filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("read example: %v", err)
	}
	var ex specExample
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatalf("parse example %s: %v", rel, err)
	}
	return ex
}

// requestBody is the example's body parameter (the object-valued parameter), or "", with
// its definition payloads made whole (see wholePayloads).
func (ex specExample) requestBody() string { return wholePayloads(ex.rawRequestBody()) }

// wholePayloads replaces the definition payloads the spec's examples cut short
// ("eyJuYmZvcm1hdCI6N..5ndWUi", not base64, which Fabric would refuse with CorruptedPayload)
// by the base64 of a small file of the kind the part's path names; whole payloads stay.
func wholePayloads(body string) string {
	var v any
	if body == "" || json.Unmarshal([]byte(body), &v) != nil {
		return body
	}
	py := "# Fabric notebook source\n\n# CELL ********************\n\nprint(\"from the spec example\")\n"
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			if p, ok := x["payload"].(string); ok {
				if _, err := decodePayload(p); err != nil {
					content := []byte(py)
					if path, _ := x["path"].(string); strings.HasSuffix(path, ".ipynb") {
						content = pyToIpynb(py)
					}
					x["payload"] = base64.StdEncoding.EncodeToString(content)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(v)
	b, _ := json.Marshal(v)
	return string(b)
}

// rawRequestBody is the example's body parameter as the example writes it.
func (ex specExample) rawRequestBody() string {
	keys := make([]string, 0, len(ex.Parameters))
	for k := range ex.Parameters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if v := ex.Parameters[k]; len(v) > 0 && v[0] == '{' {
			return string(v)
		}
	}
	return ""
}

// notEmulated are fields of Fabric's answers the emulator does not produce: tenant
// settings, labels and tags it has no model of. They may be absent from its answers.
var notEmulated = map[string]bool{
	"sensitivityLabel": true, "tags": true, "domainId": true, "capacityAssignmentProgress": true,
	"workspaceIdentity": true, "capacityRegion": true, "oneLakeEndpoints": true, "apiEndpoint": true,
}

// optionalInSchema are fields the schema defines that an example may not show.
var optionalInSchema = map[string]bool{
	"capacityId": true, "folderId": true, "percentComplete": true, "error": true,
	"continuationToken": true, "continuationUri": true, "properties": true, "format": true,
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// compareShape reports how got differs in shape from want (the example).
func compareShape(path string, want, got any) []string {
	var diffs []string
	wk, gk := jsonKind(want), jsonKind(got)
	switch {
	case wk == "null" && (gk == "null" || gk == "object"):
		return nil // e.g. failureReason: null, or an ErrorResponse once failed
	case wk != gk:
		return []string{fmt.Sprintf("%s: example has %s, emulator %s", path, wk, gk)}
	}
	switch w := want.(type) {
	case map[string]any:
		g := got.(map[string]any)
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				if !notEmulated[k] {
					diffs = append(diffs, fmt.Sprintf("%s.%s: in the example, missing from the emulator", path, k))
				}
				continue
			}
			diffs = append(diffs, compareShape(path+"."+k, wv, gv)...)
		}
		for k := range g {
			if _, ok := w[k]; !ok && !optionalInSchema[k] {
				diffs = append(diffs, fmt.Sprintf("%s.%s: sent by the emulator, not in the example", path, k))
			}
		}
	case []any:
		g := got.([]any)
		if len(w) > 0 && len(g) == 0 {
			diffs = append(diffs, fmt.Sprintf("%s: example lists entries, emulator none", path))
		}
		if len(w) == 0 {
			return diffs
		}
		// Entries of an example may differ (some workspaces have a capacity): each emulator
		// entry must match the example entry that shares the most fields with it.
		for i, gv := range g {
			best := []string(nil)
			for _, wv := range w {
				d := compareShape(fmt.Sprintf("%s[%d]", path, i), wv, gv)
				if best == nil || len(d) < len(best) {
					best = d
				}
				if len(d) == 0 {
					break
				}
			}
			diffs = append(diffs, best...)
		}
	}
	return diffs
}

var guidRE = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// locationShape is the path and query of a Location URL with GUIDs replaced and the /v1 prefix
// dropped (the specification's operation examples omit it; real answers have it).
func locationShape(t *testing.T, loc string) string {
	t.Helper()
	u, err := url.Parse(loc)
	if err != nil || !u.IsAbs() {
		t.Errorf("Location %q is not an absolute URL", loc)
		return ""
	}
	p := strings.TrimPrefix(guidRE.ReplaceAllString(u.Path, "{id}"), "/v1")
	if u.RawQuery != "" {
		p += "?" + u.RawQuery // the list form of a job's Location: .../jobs/instances?jobType=X
	}
	return p
}
