package fakeslack

import "net/http"

// Handler is the server's HTTP handler, so benchmarks can call it without
// a network or a client in the way.
func (s *Server) Handler() http.Handler { return s.hs.Config.Handler }
