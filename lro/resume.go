package lro

import (
	"encoding/json"
	"strings"
)

// Resume returns a poller for a call started earlier, from any of:
//
//   - a resume token from [Poller.ResumeToken] or [Snapshot.ResumeToken] (JSON): nothing is
//     lost, not even the earliest next poll time or a result already fetched;
//   - a Location URL: a job-instance URL (.../jobs/instances/{id}) resumes a job, any other
//     URL an operation; an operation's .../result URL fetches the result;
//   - a bare operation id: polled at {BaseURL}/v1/operations/{id}.
//
// Resume sends nothing; the first Poll of a resumed URL or id is due immediately. A URL (or a
// token's URL) on a host that is not trusted (see [Options.TrustedHosts]) is refused with an
// *Error of code [CodeUntrustedHost], so a pasted link never receives the token.
func (c *Client) Resume(token string) (*Poller, error) {
	st, err := c.parseResume(token)
	if err != nil {
		return nil, err
	}
	for _, v := range variants {
		if v.canResume(st) {
			if err := c.checkResumeHosts(st); err != nil {
				return nil, err
			}
			return c.newPoller(st), nil
		}
	}
	return nil, invalidResume("unknown kind " + quoteStatus(string(st.Kind)))
}

// checkResumeHosts refuses a call that is not done whose URLs are not all on trusted hosts.
func (c *Client) checkResumeHosts(st pollState) error {
	if st.Done {
		return nil
	}
	for _, u := range []string{st.URL, st.ResultURL} {
		if u == "" {
			continue
		}
		if err := c.checkTrusted(c.resolve(u)); err != nil {
			return err
		}
	}
	return nil
}

func invalidResume(why string) *Error {
	return &Error{ErrorCode: string(CodeInvalidResumeToken), Message: "cannot resume from it: " + why + " (a resume token, an operation id or a Location URL is expected)"}
}

func (c *Client) parseResume(token string) (pollState, error) {
	t := strings.TrimSpace(token)
	switch {
	case t == "":
		return pollState{}, invalidResume("empty token")
	case t[0] == '{':
		var st pollState
		if err := json.Unmarshal([]byte(t), &st); err != nil {
			return pollState{}, invalidResume("malformed token: " + err.Error())
		}
		if st.Version != tokenVersion {
			return pollState{}, invalidResume("token version " + quoteStatus(st.Version) + " is not " + tokenVersion)
		}
		if !st.Done {
			if _, err := resolveLocation(st.URL, st.URL); err != nil {
				return pollState{}, invalidResume("the token has no valid poll URL")
			}
		}
		return st, nil
	case strings.HasPrefix(t, "http://") || strings.HasPrefix(t, "https://"):
		u, err := resolveLocation(t, t)
		if err != nil {
			return pollState{}, invalidResume(err.Error())
		}
		if isJobURL(u) {
			return jobState(u), nil
		}
		st := pollState{Kind: KindOperation, ID: operationIDFromURL(u), URL: u}
		if base, ok := strings.CutSuffix(strings.TrimRight(u, "/"), "/result"); ok {
			st.URL, st.ResultURL, st.Status = base, u, StatusSucceeded
		}
		return st, nil
	case isBareID(t):
		return pollState{Kind: KindOperation, ID: t, URL: c.opts.BaseURL + "/v1/operations/" + t}, nil
	default:
		return pollState{}, invalidResume("not a token, id or URL")
	}
}

// isBareID reports whether s can be an operation id (a GUID, or any letters, digits and dashes).
func isBareID(s string) bool {
	if len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '-' || b == '_' || b == '.') {
			return false
		}
	}
	return true
}
