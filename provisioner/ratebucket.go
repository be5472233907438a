package provisioner

import (
	"net/http"
	"strings"
)

// Okta's rate-limit buckets for the Management API, named after the
// endpoints of Okta's "Management rate limits" table; each has a limit of
// its own, announced in the X-Rate-Limit-* headers of its responses.
const (
	BucketApps      = "/api/v1/apps*"                 // /api/v1/apps and under /api/v1/apps/{id}/ (app assignment)
	BucketAppByID   = "/api/v1/apps/{id}"             // one app, that path only
	BucketGroups    = "/api/v1/groups*"               // /api/v1/groups and under /api/v1/groups/{id}/ (membership)
	BucketGroupByID = "/api/v1/groups/{id}"           // one group, that path only
	BucketUsers     = "/api/v1/users"                 // create or list users
	BucketUserGet   = "GET /api/v1/users/{idOrLogin}" // get a user by id or login
	BucketUserByID  = "/api/v1/users/{id}"            // update or delete a user
	BucketLogs      = "/api/v1/logs"                  // the System Log
	BucketEvents    = "/api/v1/events"                // the old events API
	BucketOther     = "/api/v1*"                      // most other API actions
)

// rateBucket returns the bucket a request to Okta counts against. Calls
// outside /api/v1 fall in BucketOther too: the pacer then learns whatever
// their headers say.
func rateBucket(method, path string) string {
	rest, ok := strings.CutPrefix(path, "/api/v1/")
	if !ok {
		return BucketOther
	}
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	switch parts[0] {
	case "apps":
		if len(parts) == 2 {
			return BucketAppByID
		}
		return BucketApps
	case "groups":
		if len(parts) == 2 {
			return BucketGroupByID
		}
		return BucketGroups
	case "users":
		switch {
		case len(parts) == 1 && (method == http.MethodGet || method == http.MethodPost):
			return BucketUsers
		case len(parts) == 2 && method == http.MethodGet:
			return BucketUserGet
		case len(parts) == 2 && (method == http.MethodPost || method == http.MethodPut || method == http.MethodDelete):
			return BucketUserByID
		}
	case "logs":
		return BucketLogs
	case "events":
		return BucketEvents
	}
	return BucketOther
}
