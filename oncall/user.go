package oncall

import (
	"context"
	"errors"
	"net/http"

	"github.com/PagerDuty/go-pagerduty"
)

// userEmail returns the email of PagerDuty user id, from memory when it was
// fetched within userTTL. A user PagerDuty no longer has has no email ("").
func (pd *PagerDuty) userEmail(ctx context.Context, id string) (string, error) {
	if id == "" {
		return "", nil
	}
	if email, ok := pd.cache.email(id, pd.now()); ok {
		return email, nil
	}
	v, err := pd.cache.flight(ctx, "user:"+id, pd.fetchTimeout(), func(ctx context.Context) (any, error) {
		var u *pagerduty.User
		err := pd.do(ctx, "get user "+id, func(ctx context.Context) error {
			var err error
			u, err = pd.client.GetUserWithContext(ctx, pathSegment(id), pagerduty.GetUserOptions{})
			return err
		})
		var email string
		var ae *APIError
		switch {
		case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
			pd.log.Debug().Str(fieldUserID, id).Msg("pagerduty: on-call user not found")
		case err != nil:
			return "", err
		default:
			email = u.Email
		}
		pd.cache.setEmail(id, email, pd.now().Add(userTTL))
		return email, nil
	})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}
