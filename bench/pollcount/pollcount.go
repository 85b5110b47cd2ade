// Package pollcount counts the requests per operation of the lro engine and of a
// fixed-interval poller against the emulator, in fake time (testing/synctest, which runs only
// in tests). The counting is its test, TestRequestsPerOperation, which logs one [Result] per
// timing and fails when the engine sends more than the minimum; `go run ./bench -only poll`
// runs it with `go test -v` and reads the results back with [Parse].
package pollcount

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"
)

// Prefix starts the log line of each [Result] in the test's output.
const Prefix = "pollcount: "

// Result is one timing's numbers: requests per operation, mean over Ops operations.
type Result struct {
	// Timing names the emulator's timing, for example "demo (Retry-After 2s, 6s op)".
	Timing string `json:"timing"`
	// Ops is how many operations were created, one after another.
	Ops int `json:"ops"`
	// Minimum is what any client needs: the start, one poll per Retry-After of the
	// operation's duration, and the result fetch.
	Minimum int `json:"minimum"`
	// Engine is the lro engine's mean.
	Engine float64 `json:"engine"`
	// Fixed is the mean of a poller that polls every second whatever Retry-After says.
	Fixed float64 `json:"fixed"`
}

// Line is r as the test logs it.
func (r Result) Line() string {
	b, _ := json.Marshal(r) // a struct of strings and numbers always marshals
	return Prefix + string(b)
}

// Parse reads the results out of the output of `go test -v`, in order.
func Parse(output string) ([]Result, error) {
	var out []Result
	sc := bufio.NewScanner(strings.NewReader(output))
	for sc.Scan() {
		_, js, ok := strings.Cut(sc.Text(), Prefix)
		if !ok {
			continue
		}
		var r Result
		if err := json.Unmarshal([]byte(js), &r); err != nil {
			return nil, fmt.Errorf("pollcount: reading %q: %w", sc.Text(), err)
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("pollcount: no %q line in the test's output", Prefix)
	}
	return out, sc.Err()
}
