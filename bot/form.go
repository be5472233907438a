package bot

import (
	"context"
	"strconv"
	"sync"

	"github.com/slack-go/slack"
)

// openRequestModal opens the request modal at once from config (trigger ids
// expire after 3 s), then refines it with the workflow's answer (approvers
// other than the requester, "until my shift ends" for the on-call).
func (b *Bot) openRequestModal(ctx context.Context, ev *event, resourceID string) {
	w := b.workflow()
	cat := w.Catalog()
	if cat == nil || len(cat.All()) == 0 {
		b.tell(ctx, ev, "No resources are configured yet; ask an admin.")
		return
	}
	i := 0
	if resourceID != "" {
		for j, r := range cat.All() {
			if r.ID == resourceID {
				i = j
			}
		}
	}
	res := cat.All()[i]
	key := resourceKey(i, res)
	requester, _ := b.users.byIDGet(ev.user)
	first := catalogForm(key, res, requester.Email)
	view := requestModal(cat, first, requestMeta{Channel: ev.channel})
	opened, err := b.api.OpenViewContext(ctx, ev.triggerID, view)
	if err != nil {
		if code := slackCode(err); code == "expired_trigger_id" || code == "invalid_trigger_id" {
			ev.log.Warn().Str("slack_error", code).Msg("request form not opened in time")
			b.tell(ctx, ev, "The request form took too long to open; try `/access` again.")
			return
		}
		b.tellError(ctx, ev, b.slackError("views.open", err), "open request form")
		return
	}
	ev.log.Debug().Str("view", opened.ID).Msg("request form opened")
	form, err := w.FormFor(ctx, ev.user, res.ID)
	if err != nil {
		logFailure(&ev.log, err, "request form")
		b.updateView(ctx, ev, opened.ID, opened.Hash, noticeModal("Request access", "⚠️ "+errorText(err)))
		return
	}
	if next := workflowForm(key, form); !next.same(first) {
		b.updateView(ctx, ev, opened.ID, opened.Hash, requestModal(cat, next, requestMeta{Channel: ev.channel}))
	}
}

// onResourceSelect redraws the request modal for the resource just chosen.
// The newest choice wins: a choice overtaken by a later one while the
// workflow answered is dropped.
func (b *Bot) onResourceSelect(ctx context.Context, ev *event, v slack.View, key, actionTS string) {
	if !b.choices.note(v.ID, actionTS) {
		return
	}
	w := b.workflow()
	cat := w.Catalog()
	res, ok := lookupResource(cat, key)
	if !ok {
		ev.log.Warn().Str("resource", logValue(key)).Msg("unknown resource chosen in the request form")
		return
	}
	meta := parseRequestMeta(v.PrivateMetadata)
	f := catalogForm(key, res, "")
	if form, err := w.FormFor(ctx, ev.user, res.ID); err != nil {
		logFailure(&ev.log, err, "request form")
		if u, ok := b.users.byIDGet(ev.user); ok {
			f = catalogForm(key, res, u.Email)
		}
	} else {
		f = workflowForm(key, form)
	}
	if !b.choices.latest(v.ID, actionTS) {
		ev.log.Debug().Msg("resource choice overtaken by a later one")
		return
	}
	view := requestModal(cat, f, meta)
	// The hash guards against overwriting newer state; if the form was only
	// refined since the click (or another choice is not newer), this
	// choice is still the person's latest intent and is drawn anyway.
	if b.updateView(ctx, ev, v.ID, v.Hash, view) && b.choices.latest(v.ID, actionTS) {
		b.updateView(ctx, ev, v.ID, "", view)
	}
}

// viewChoices remembers the newest resource choice (by action_ts) per open
// request modal. It is bounded: it forgets everything past 1000 modals.
type viewChoices struct {
	mu   sync.Mutex
	last map[string]string // view id -> newest action_ts
}

// note records a choice; false when a newer one was seen already.
func (c *viewChoices) note(viewID, ts string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil || len(c.last) > 1000 {
		c.last = map[string]string{}
	}
	if prev, ok := c.last[viewID]; ok && newerTS(prev, ts) {
		return false
	}
	c.last[viewID] = ts
	return true
}

// latest reports whether ts is still the newest choice for the view.
func (c *viewChoices) latest(viewID, ts string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	prev, ok := c.last[viewID]
	return !ok || !newerTS(prev, ts)
}

// newerTS reports whether Slack timestamp a ("1700000000.000200") is after b.
func newerTS(a, b string) bool {
	fa, errA := strconv.ParseFloat(a, 64)
	fb, errB := strconv.ParseFloat(b, 64)
	if errA != nil || errB != nil {
		return false
	}
	return fa > fb
}

// updateView replaces an open view. A hash conflict means the person (or
// another update) changed it meanwhile; it is reported, not retried.
func (b *Bot) updateView(ctx context.Context, ev *event, viewID, hash string, view slack.ModalViewRequest) (conflict bool) {
	if _, err := b.api.UpdateViewContext(ctx, view, "", hash, viewID); err != nil {
		switch code := slackCode(err); code {
		case "hash_conflict":
			ev.log.Debug().Msg("view changed meanwhile; not updated")
			return true
		case "not_found":
			ev.log.Debug().Msg("view closed meanwhile; not updated")
		default:
			logFailure(&ev.log, b.slackError("views.update", err), "update request form")
		}
	}
	return false
}
