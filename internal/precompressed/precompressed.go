// Package precompressed serves static files together with their precompressed copies
// (NAME.br, NAME.gz, written at build time), choosing one by the request's Accept-Encoding.
//
// The dashboard's module is 5.8 MB raw, 1.1 MB gzip and 0.8 MB brotli; compressing it on every
// request would cost the local server a second of CPU, so ./build.sh writes the copies once and
// cmd/webserve (and the end-to-end tests' page server) serve them through FileServer.
package precompressed

import (
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// encodings are the content codings FileServer looks for, best first: the suffix of the
// precompressed copy and the Content-Encoding it is served with.
var encodings = []struct{ coding, suffix string }{
	{coding: "br", suffix: ".br"},
	{coding: "gzip", suffix: ".gz"},
}

// FileServer serves fsys like http.FileServerFS, except that a GET or HEAD for a file NAME
// that has a NAME.br or NAME.gz beside it, no older than NAME itself, answers with the copy
// the client accepts (brotli before gzip at equal preference), with Content-Encoding set and
// the Content-Type of NAME. Every answer for such a file carries Vary: Accept-Encoding. Ranges,
// conditional requests and HEAD work as in http.ServeContent, on the bytes sent. A copy older
// than its file (the file was rebuilt without rewriting the copies) is never served.
func FileServer(fsys fs.FS) http.Handler {
	return &server{fsys: fsys, files: http.FileServerFS(fsys)}
}

type server struct {
	fsys  fs.FS
	files http.Handler
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if (r.Method != http.MethodGet && r.Method != http.MethodHead) || !fs.ValidPath(name) || name == "." {
		s.files.ServeHTTP(w, r)
		return
	}
	orig, err := fs.Stat(s.fsys, name)
	if err != nil || !orig.Mode().IsRegular() {
		s.files.ServeHTTP(w, r)
		return
	}
	var fresh []string // codings with a copy no older than the file
	for _, e := range encodings {
		if st, err := fs.Stat(s.fsys, name+e.suffix); err == nil && st.Mode().IsRegular() && !st.ModTime().Before(orig.ModTime()) {
			fresh = append(fresh, e.coding)
		}
	}
	if len(fresh) == 0 {
		s.files.ServeHTTP(w, r)
		return
	}
	w.Header().Add("Vary", "Accept-Encoding")
	coding := Negotiate(r.Header.Values("Accept-Encoding"), fresh)
	if coding == "" {
		s.files.ServeHTTP(w, r)
		return
	}
	f, err := s.fsys.Open(name + suffixOf(coding))
	if err != nil {
		s.files.ServeHTTP(w, r)
		return
	}
	defer f.Close()
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		s.files.ServeHTTP(w, r)
		return
	}
	typ := mime.TypeByExtension(path.Ext(name))
	if typ == "" {
		typ = "application/octet-stream"
	}
	w.Header().Set("Content-Type", typ)
	w.Header().Set("Content-Encoding", coding)
	// ServeContent leaves Content-Length out once Content-Encoding is set (it guards handlers
	// that compress as they write); these bytes are the copy's, so its size is their length.
	// A range, a 304 or an error replaces or drops it.
	if st, err := f.Stat(); err == nil {
		w.Header().Set("Content-Length", strconv.FormatInt(st.Size(), 10))
	}
	http.ServeContent(w, r, name, orig.ModTime(), rs)
}

func suffixOf(coding string) string {
	for _, e := range encodings {
		if e.coding == coding {
			return e.suffix
		}
	}
	return ""
}

// Negotiate picks, from the codings a server has (in its order of preference), the one the
// Accept-Encoding header values rate highest (RFC 9110, 12.5.3): q-values, "*" for any coding
// not named, "x-gzip" for gzip, q=0 for "not acceptable", case ignored. It returns "" when
// the client should get the identity coding: no header, or nothing offered is acceptable.
func Negotiate(acceptEncoding []string, offered []string) string {
	quality := map[string]float64{}
	wildcard := -1.0
	for _, v := range acceptEncoding {
		for _, item := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(item, ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			if coding == "" {
				continue
			}
			if coding == "x-gzip" {
				coding = "gzip"
			}
			q := 1.0
			for _, p := range strings.Split(params, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
					if err != nil || f < 0 || f > 1 {
						f = 0 // a malformed weight accepts nothing rather than guessing
					}
					q = f
				}
			}
			if coding == "*" {
				wildcard = q
			} else if old, seen := quality[coding]; !seen || q > old {
				quality[coding] = q
			}
		}
	}
	best, bestQ := "", 0.0
	for _, c := range offered {
		q, named := quality[c]
		if !named {
			q = max(wildcard, 0)
		}
		if q > bestQ {
			best, bestQ = c, q
		}
	}
	return best
}
