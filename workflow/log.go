package workflow

import (
	"context"

	"github.com/rs/zerolog"

	"github.com/accessbot/accessbot/access"
)

// Log field names shared by every line of a flow.
const (
	FieldRequestID = "request_id"
	FieldResource  = "resource"
	FieldRequester = "requester" // whose access
	FieldUser      = "user"      // who acted (set by the transport)
	FieldAction    = "action"    // what they did (set by the transport)
)

type requestKey struct{}

// logger returns the logger carried by ctx, or the service's.
func (s *Service) logger(ctx context.Context) *zerolog.Logger {
	if l := zerolog.Ctx(ctx); l != zerolog.DefaultContextLogger && l.GetLevel() != zerolog.Disabled {
		return l
	}
	return &s.log
}

// withRequest returns ctx carrying a logger with r's fields, once per request.
func (s *Service) withRequest(ctx context.Context, r *access.Request) context.Context {
	if id, _ := ctx.Value(requestKey{}).(string); id == r.ID {
		return ctx
	}
	l := s.logger(ctx).With().Str(FieldRequestID, r.ID).Str(FieldResource, r.ResourceID).Str(FieldRequester, r.Requester.SlackID).Logger()
	return context.WithValue(l.WithContext(ctx), requestKey{}, r.ID)
}
