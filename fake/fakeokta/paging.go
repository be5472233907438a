package fakeokta

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
)

// SetMaxPage makes every list endpoint answer at most n items a page,
// whatever limit the client asks for or leaves out (0 restores Okta's own
// defaults and maxima), so that paging shows with a handful of objects.
func (s *Server) SetMaxPage(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxPage = n
}

// pageLocked cuts one page out of ids (sorted here), the way Okta pages its
// lists: ?limit=N (defLimit when absent, at most maxLimit) and ?after=<the
// last id of the previous page>. It writes the Link headers; on a bad limit
// it answers 400 and returns false.
func (s *Server) pageLocked(w http.ResponseWriter, r *http.Request, ids []string, defLimit, maxLimit int, reqID string) ([]string, bool) {
	sort.Strings(ids)
	page, next, err := paginate(ids, r.URL.Query(), defLimit, maxLimit, s.maxPage)
	if err != nil {
		writeError(w, http.StatusBadRequest, "E0000001", "Api validation failed: limit", reqID)
		return nil, false
	}
	setLinks(w, r, next)
	return page, true
}

// paginate returns the page of the sorted ids that q asks for, and the
// cursor of the next page ("" on the last).
func paginate(ids []string, q url.Values, defLimit, maxLimit, maxPage int) (page []string, next string, err error) {
	limit := defLimit
	if l := q.Get("limit"); l != "" {
		if limit, err = strconv.Atoi(l); err != nil || limit < 1 {
			return nil, "", fmt.Errorf("bad limit %q", l)
		}
	}
	limit = min(limit, maxLimit)
	if maxPage > 0 {
		limit = min(limit, maxPage)
	}
	if after := q.Get("after"); after != "" {
		i := sort.SearchStrings(ids, after)
		if i < len(ids) && ids[i] == after {
			i++
		}
		ids = ids[i:]
	}
	if len(ids) > limit {
		return ids[:limit], ids[limit-1], nil
	}
	return ids, "", nil
}

// setLinks writes Link headers built from the request's own host, as Okta
// does: rel="self", and rel="next" (the same query with the next cursor)
// when there is another page.
func setLinks(w http.ResponseWriter, r *http.Request, nextAfter string) {
	self := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawQuery: r.URL.RawQuery}
	w.Header().Add("Link", "<"+self.String()+`>; rel="self"`)
	if nextAfter == "" {
		return
	}
	q := r.URL.Query()
	q.Set("after", nextAfter)
	next := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
	w.Header().Add("Link", "<"+next.String()+`>; rel="next"`)
}
