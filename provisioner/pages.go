package provisioner

import (
	"context"
	"net/http"

	"github.com/okta/okta-sdk-golang/v2/okta"

	"github.com/accessbot/accessbot/access"
)

// allPages runs first, then follows Okta's Link rel="next" to the last
// page, handing every page to each. It returns the status of the last
// response (see call); a failure on any page fails the whole listing.
func allPages[T any](ctx context.Context, first func(ctx context.Context) ([]T, *okta.Response, error), each func([]T)) (int, error) {
	return call(ctx, func(ctx context.Context) (*okta.Response, error) {
		items, resp, err := first(ctx)
		for err == nil {
			each(items)
			if !resp.HasNextPage() {
				return resp, nil
			}
			items = nil
			resp, err = resp.Next(ctx, &items)
		}
		return resp, err
	})
}

// failQuery is fail for listings whose search or filter expression comes
// from configuration: there Okta's 400 means the expression is wrong
// (EINVALID), not that accessbot sent a malformed request.
func (o *Okta) failQuery(status int, err error, format string, args ...any) error {
	e := o.fail(status, err, format, args...).(*access.Error)
	if status == http.StatusBadRequest {
		e.Code = access.EINVALID
	}
	return e
}
