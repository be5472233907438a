package main

import (
	"context"
	"fmt"

	"github.com/accessbot/accessbot/access"
)

// usageChecker is what the usage checks need of the Okta adapter.
type usageChecker interface {
	CheckApp(ctx context.Context, id string) error
	CheckSystemLog(ctx context.Context) error
}

// usageChecks asks Okta whether the token may read the System Log (the
// usage poller's source) and whether every usage_apps app exists. Both
// are warnings: without them no use is recorded, so activity grants end
// idle_after after they start and the report counts grants as unused,
// but nothing is granted or kept that should not be.
func (c checker) usageChecks(ctx context.Context, rep *checkReport, resources []access.Resource) {
	u, ok := c.okta.(usageChecker)
	if !ok {
		return
	}
	type appRef struct {
		subject string
		err     error
	}
	var apps []*appRef
	var logErr error
	calls := []func(){func() { logErr = checkCall(ctx, u.CheckSystemLog) }}
	for i, r := range resources {
		for j, id := range r.UsageApps {
			ref := &appRef{subject: fmt.Sprintf("okta app %s (resources[%d].usage_apps[%d], resource %s)", id, i, j, r.ID)}
			apps = append(apps, ref)
			calls = append(calls, func() { ref.err = checkCall(ctx, func(ctx context.Context) error { return u.CheckApp(ctx, id) }) })
		}
	}
	checkConcurrently(calls)
	const effect = "no use of a grant is recorded: activity grants end idle_after after they start, and accessbot report counts grants as never used"
	switch access.ErrorCode(logErr) {
	case "":
		rep.pass("okta: the System Log can be read (usage of grants)")
	case access.EFORBIDDEN, access.EUNAUTHORIZED:
		rep.add(false, "okta system log", "the Okta token may not read the System Log (%s), so %s; give the token's admin a role that may view it, such as Read-only Administrator", checkCause(logErr), effect)
	default:
		rep.add(c.strict, "okta system log", "could not read the System Log (%s); until it can, %s", checkCause(logErr), effect)
	}
	for _, a := range apps {
		switch access.ErrorCode(a.err) {
		case "":
		case access.ENOTFOUND:
			rep.add(false, a.subject, "Okta has no app with this id; sign-ons into it cannot count as uses (the id is in the Okta admin console URL)")
		default:
			rep.add(c.strict && access.ErrorCode(a.err) == access.EUNAVAILABLE, a.subject, "could not check it: %s", checkCause(a.err))
		}
	}
}
