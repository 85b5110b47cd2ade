// Package scalepage is the page that watches many operations at once in one tab, shared by
// the Chromium scale test (e2e) and the scale section of ./build.sh bench, so both measure
// the same page; and the request-rate arithmetic both apply to what the emulator received.
//
// The page embeds the dashboard (the list alone) through the JS API, with a text field to
// type into, and records long tasks, key lag and the module's memory. Its
// startAll(workspace, n, ids) makes n createItem calls (every tenth named to fail) and a
// track call per id, then waits for each; window.scale holds what happened: started,
// finals (the final statuses, null until all ended), failed (a call's error), ms and callMs.
package scalepage

import (
	_ "embed"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed scale.html
var page string

// Marker is the console.time label the page emits, in Chromium's trace, just before it
// starts its calls.
const Marker = "fabric-lro scale start"

// Page returns the page's HTML. moduleURL is the URL of web/fabric-lro.js, apiBase the
// proxy's /v1 URL and requestsPerSecond the budget the page gives the engine.
func Page(moduleURL, apiBase string, requestsPerSecond int) string {
	return strings.NewReplacer(
		"{{MODULE}}", moduleURL,
		"{{API_BASE}}", apiBase,
		"{{BUDGET}}", strconv.Itoa(requestsPerSecond),
		"{{MARKER}}", Marker,
	).Replace(page)
}

// Busiest returns the most requests in any one-second window of times (in any order), and
// the mean rate from the first to the last.
func Busiest(times []time.Time) (most int, rate float64) {
	r := append([]time.Time(nil), times...)
	sort.Slice(r, func(i, j int) bool { return r[i].Before(r[j]) })
	j := 0
	for i := range r {
		for r[i].Sub(r[j]) >= time.Second {
			j++
		}
		most = max(most, i-j+1)
	}
	if len(r) > 1 {
		if span := r[len(r)-1].Sub(r[0]).Seconds(); span > 0 {
			rate = float64(len(r)-1) / span
		}
	}
	return most, rate
}

// CreateElsewhere starts n notebook creates in workspaceID directly at the emulator emuURL,
// as another program would, and returns their operation ids: the operations the page then
// tracks by id.
func CreateElsewhere(emuURL, workspaceID string, n int) ([]string, error) {
	ids := make([]string, n)
	for i := range ids {
		body := fmt.Sprintf(`{"type":"Notebook","displayName":"Elsewhere %d"}`, i)
		req, err := http.NewRequest("POST", emuURL+"/v1/workspaces/"+workspaceID+"/items", strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer elsewhere-token")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted || resp.Header.Get("x-ms-operation-id") == "" {
			return nil, fmt.Errorf("create elsewhere: %d without an operation id", resp.StatusCode)
		}
		ids[i] = resp.Header.Get("x-ms-operation-id")
	}
	return ids, nil
}
