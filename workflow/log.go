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
	FieldUser      = "user"
	FieldAction    = "action"
)

// logger returns the logger carried by ctx, or the service's.
func (s *Service) logger(ctx context.Context) *zerolog.Logger {
	if l := zerolog.Ctx(ctx); l != zerolog.DefaultContextLogger && l.GetLevel() != zerolog.Disabled {
		return l
	}
	return &s.log
}

// withRequest returns ctx carrying a logger with r's fields.
func (s *Service) withRequest(ctx context.Context, r *access.Request) context.Context {
	l := s.logger(ctx).With().Str(FieldRequestID, r.ID).Str(FieldResource, r.ResourceID).Str(FieldUser, r.Requester.SlackID).Logger()
	return l.WithContext(ctx)
}
