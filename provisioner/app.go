package provisioner

import (
	"context"
	"net/http"

	"github.com/okta/okta-sdk-golang/v2/okta"

	"github.com/accessbot/accessbot/access"
)

// CheckApp reports whether the Okta app id exists. ENOTFOUND when it does not.
func (o *Okta) CheckApp(ctx context.Context, id string) error {
	status, err := call(ctx, func(ctx context.Context) (*okta.Response, error) {
		_, resp, err := o.client.Application.GetApplication(ctx, seg(id), okta.NewApplication(), nil)
		return resp, err
	})
	if err != nil {
		return o.fail(status, err, "get app %s", id)
	}
	return nil
}

// assigned reports whether the user is assigned to the app; Okta answers 404
// when not (or when there is no such app).
func (o *Okta) assigned(ctx context.Context, a access.Account, appID string) (bool, error) {
	status, err := call(ctx, func(ctx context.Context) (*okta.Response, error) {
		_, resp, err := o.client.Application.GetApplicationUser(ctx, seg(appID), seg(a.ID), nil)
		return resp, err
	})
	switch {
	case err == nil:
		return true, nil
	case status == http.StatusNotFound:
		return false, nil
	}
	return false, o.fail(status, err, "get assignment of user %s to app %s", who(a), appID)
}

// assign assigns the user to the app with their Okta login as app username.
// Assigning again updates the assignment, so it succeeds.
func (o *Okta) assign(ctx context.Context, a access.Account, appID string) error {
	body := okta.AppUser{
		Id:          a.ID,
		Scope:       "USER",
		Credentials: &okta.AppUserCredentials{UserName: a.Login},
	}
	status, err := call(ctx, func(ctx context.Context) (*okta.Response, error) {
		_, resp, err := o.client.Application.AssignUserToApplication(ctx, seg(appID), body)
		return resp, err
	})
	if err != nil {
		return o.fail(status, err, "assign user %s to app %s", who(a), appID)
	}
	o.log.Debug().Str(fieldUser, who(a)).Str(fieldApp, appID).Msg("okta: assigned user to app")
	return nil
}

func (o *Okta) unassign(ctx context.Context, a access.Account, appID string) error {
	status, err := call(ctx, func(ctx context.Context) (*okta.Response, error) {
		return o.client.Application.DeleteApplicationUser(ctx, seg(appID), seg(a.ID), nil)
	})
	switch {
	case err == nil:
		o.log.Debug().Str(fieldUser, who(a)).Str(fieldApp, appID).Msg("okta: unassigned user from app")
	case status == http.StatusNotFound:
		o.log.Debug().Str(fieldUser, who(a)).Str(fieldApp, appID).Msg("okta: user or assignment gone; nothing to unassign")
	default:
		return o.fail(status, err, "unassign user %s from app %s", who(a), appID)
	}
	return nil
}
