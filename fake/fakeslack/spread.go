package fakeslack

import (
	"math/rand"
	"slices"
	"sync"
)

// Router chooses the connection an envelope is delivered to: it is given
// the ids of the live connections (1, 2, … in the order they opened,
// oldest first, never empty) and returns one of them. An id not among
// them means the newest.
type Router func(env Envelope, live []int) int

// Spread returns a Router that sends each envelope to one connection
// chosen at random, as Slack does when an app holds several Socket Mode
// connections (up to 10, e.g. one per replica): any connection may get any
// envelope, and a redelivery may land on another one than the first try.
// seed makes the choices repeatable.
func Spread(seed int64) Router {
	var mu sync.Mutex
	rng := rand.New(rand.NewSource(seed))
	return func(_ Envelope, live []int) int {
		mu.Lock()
		defer mu.Unlock()
		return live[rng.Intn(len(live))]
	}
}

// SetRouter makes Send deliver by r; nil restores the default, the
// newest connection (which the single-connection tests rely on).
func (s *Server) SetRouter(r Router) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.router = r
}

// LiveConnections returns the ids of the live Socket Mode connections,
// oldest first.
func (s *Server) LiveConnections() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int, len(s.conns))
	for i, c := range s.conns {
		ids[i] = c.id
	}
	return ids
}

// DeliveredTo returns the connection each delivery of envelope id was
// written to, in order (a redelivery adds one).
func (s *Server) DeliveredTo(id string) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.deliveredTo[id])
}

// route picks the connection among conns (live, oldest first) for env.
func (s *Server) route(env Envelope, conns []*wsConn) *wsConn {
	s.mu.Lock()
	r := s.router
	s.mu.Unlock()
	newest := conns[len(conns)-1]
	if r == nil {
		return newest
	}
	ids := make([]int, len(conns))
	for i, c := range conns {
		ids[i] = c.id
	}
	want := r(env, ids)
	for _, c := range conns {
		if c.id == want {
			return c
		}
	}
	return newest
}
