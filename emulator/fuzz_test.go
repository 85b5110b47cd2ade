package emulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var methodRE = regexp.MustCompile(`^[A-Z]{1,10}$`)

// FuzzServeHTTP sends arbitrary methods, paths and bodies: the emulator must answer every
// one without panicking, and every error must be an ErrorResponse.
func FuzzServeHTTP(f *testing.F) {
	seeds := []struct{ method, path, body string }{
		{"POST", "/v1/workspaces/" + ws + "/notebooks", `{"displayName":"n"}`},
		{"POST", "/v1/workspaces/" + ws + "/items", `{"displayName":"n","type":"Lakehouse","definition":{"parts":[{"path":"a","payload":"","payloadType":"InlineBase64"}]}}`},
		{"PATCH", "/v1/workspaces/" + ws + "/items/x", `{"displayName":null}`},
		{"GET", "/v1/workspaces?continuationToken=LDIsMiwwLA%3D%3D", ""},
		{"GET", "/v1/workspaces?continuationToken=%FF", ""},
		{"POST", "/v1/workspaces/" + ws + "/items/x/jobs/instances?jobType=", `[]`},
		{"GET", "/v1/operations/../../etc", ""},
		{"PUT", "/_emulator/config", `{"pageSize":-1,"retryAfter":-5}`},
		{"POST", "/_emulator/reset", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.body)
	}
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t\r\n#") || !methodRE.MatchString(method) {
			t.Skip()
		}
		if _, err := url.ParseRequestURI(path); err != nil {
			t.Skip() // not something an HTTP client can send
		}
		if strings.HasPrefix(path, "/_emulator/faults") && (method == "PUT" || method == "POST") {
			t.Skip() // a fault rule may legitimately drop the connection or break the JSON
		}
		e := newEnv(t, Config{PageSize: 1})
		req := newRequest(method, path, body)
		req.Header.Set("Authorization", "Bearer fuzz")
		a := e.send(req)
		if a.status >= 400 {
			var er ErrorResponse
			if err := json.Unmarshal(a.body, &er); err != nil || er.ErrorCode == "" || er.Message == "" {
				t.Errorf("%s %s -> %d with a body that is not an ErrorResponse: %q", method, path, a.status, a.body)
			}
			if a.header.Get("x-ms-public-api-error-code") != er.ErrorCode {
				t.Errorf("%s %s -> %d without x-ms-public-api-error-code", method, path, a.status)
			}
		}
		if a.status == 0 || a.status == http.StatusInternalServerError {
			t.Errorf("%s %s -> %d", method, path, a.status)
		}
	})
}
