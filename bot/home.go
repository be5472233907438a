package bot

import (
	"context"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/workflow"
)

// The Home tab is drawn when a person opens it and redrawn whenever a request
// they are involved in changes, for as long as the bot runs.
//
// Only people who opened the Home tab since the bot started are redrawn.
// Slack sends app_home_opened each time someone switches to the tab, and the
// bot draws it fresh then, so nobody else can see a stale Home; redrawing it
// for every requester and approver would spend views.publish calls (rate
// limited per workspace) on tabs nobody looks at. The people involved in a
// change are matched by Slack id or by email, from memory: no Slack lookup
// is made to decide whom to redraw.
const (
	// maxHomeViewers bounds how many people are remembered as Home viewers;
	// beyond it an arbitrary one is forgotten (their tab is still drawn fresh
	// when they next open it). It also bounds the set waiting to be redrawn.
	maxHomeViewers = 10000
	// homePublishTimeout bounds drawing one person's Home tab.
	homePublishTimeout = 10 * time.Second
	// homeItems is how many entries each Home section lists; the rest are
	// counted, and /access list shows them all. Three full sections stay
	// within the Home tab's 100 blocks.
	homeItems = 12
	// homeExtendButtons bounds the Extend buttons of one grant.
	homeExtendButtons = 5
)

// Block ids of the Home tab's sections; an entry's actions block is the
// section's id and the entry's position ("home_grants_0").
const (
	BlockHomeActions   = "home_actions"
	BlockHomeGrants    = "home_grants"
	BlockHomePaused    = "home_paused"
	BlockHomePending   = "home_pending"
	BlockHomeApprovals = "home_approvals"
)

// homeState remembers who looks at the Home tab and whose tab is to be
// redrawn. One goroutine (runHome) does the drawing, so one person's
// publishes never overtake each other, and each reads the state after the
// change that asked for it.
type homeState struct {
	mu      sync.Mutex
	viewers map[string]string   // Slack id -> email ("" until known)
	byEmail map[string]string   // email -> Slack id, of viewers
	dirty   map[string]struct{} // Slack ids of viewers to redraw
	wake    chan struct{}
	max     int
}

func newHomeState(max int) *homeState {
	return &homeState{viewers: map[string]string{}, byEmail: map[string]string{}, dirty: map[string]struct{}{},
		wake: make(chan struct{}, 1), max: max}
}

// opened records that user opened their Home tab and asks for it to be drawn.
func (h *homeState) opened(user string) {
	h.mu.Lock()
	if _, known := h.viewers[user]; !known {
		if len(h.viewers) >= h.max {
			for id := range h.viewers { // evict an arbitrary viewer
				h.forgetLocked(id)
				break
			}
		}
		h.viewers[user] = ""
	}
	h.dirty[user] = struct{}{}
	h.mu.Unlock()
	h.signal()
}

// learn records the email of a viewer, so changes naming them by email (as
// approvers are) find them.
func (h *homeState) learn(user, email string) {
	if email == "" {
		return
	}
	email = strings.ToLower(email)
	h.mu.Lock()
	defer h.mu.Unlock()
	old, known := h.viewers[user]
	if !known || old == email {
		return
	}
	if old != "" {
		delete(h.byEmail, old)
	}
	h.viewers[user] = email
	h.byEmail[email] = user
}

// forget drops a viewer (a deactivated account).
func (h *homeState) forget(user string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.forgetLocked(user)
}

func (h *homeState) forgetLocked(user string) {
	if email := h.viewers[user]; email != "" && h.byEmail[email] == user {
		delete(h.byEmail, email)
	}
	delete(h.viewers, user)
	delete(h.dirty, user)
}

// changed marks for redrawing the viewers among the people given by Slack id
// or by email; others are ignored.
func (h *homeState) changed(ids, emails []string) {
	marked := false
	h.mu.Lock()
	for _, id := range ids {
		if _, ok := h.viewers[id]; ok && id != "" {
			h.dirty[id] = struct{}{}
			marked = true
		}
	}
	for _, e := range emails {
		if id, ok := h.byEmail[strings.ToLower(e)]; ok {
			h.dirty[id] = struct{}{}
			marked = true
		}
	}
	h.mu.Unlock()
	if marked {
		h.signal()
	}
}

// take returns the viewers waiting to be redrawn and clears the set.
func (h *homeState) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, 0, len(h.dirty))
	for id := range h.dirty {
		out = append(out, id)
	}
	clear(h.dirty)
	return out
}

func (h *homeState) signal() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// RequestChanged is told of every request committed in a new state (main
// wires it to the store's commits); it marks for redrawing the
// Home tabs of r's requester and of every approver of its resource (their
// "waiting for your approval" lists change too) that were opened since the
// bot started. It never blocks and makes no network call; several changes
// before the next redraw make one.
func (b *Bot) RequestChanged(r access.Request) {
	emails := append([]string{r.Requester.Email}, r.Approvers...)
	if w := b.workflow(); w != nil && w.Catalog() != nil {
		if res, err := w.Catalog().Get(r.ResourceID); err == nil {
			emails = append(emails, res.Approvers...)
		}
	}
	b.home.changed([]string{r.Requester.SlackID}, emails)
}

// onEventsAPI handles Events API events (already acked). The only one the
// bot uses is app_home_opened, to draw its Home tab.
func (b *Bot) onEventsAPI(_ context.Context, _ string, data any) {
	e, ok := data.(slackevents.EventsAPIEvent)
	if !ok || e.Type != slackevents.CallbackEvent {
		return
	}
	home, ok := e.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent)
	if !ok || home.Tab != "home" || home.User == "" {
		return
	}
	b.home.opened(home.User)
}

// runHome draws the Home tabs marked for redrawing until ctx ends. Run
// starts it and waits for it.
func (b *Bot) runHome(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.home.wake:
		}
		for _, user := range b.home.take() {
			if ctx.Err() != nil {
				return
			}
			b.publishHome(ctx, user)
		}
	}
}

// publishHome draws user's Home tab from the current state. Failures are
// logged; a panic is contained.
func (b *Bot) publishHome(ctx context.Context, user string) {
	ctx, cancel := context.WithTimeout(ctx, homePublishTimeout)
	defer cancel()
	log := b.log.With().Str(FieldUser, user).Str(FieldAction, "publish_home").Logger()
	defer func() {
		if p := recover(); p != nil {
			log.Error().Interface("panic", p).Str("stack", string(debug.Stack())).Msg("panic while drawing the home tab")
		}
	}()
	w := b.workflow()
	ov, err := w.List(log.WithContext(ctx), user)
	if err != nil {
		logFailure(&log, err, "home tab")
		if access.ErrorCode(err) == access.ENOTFOUND {
			b.home.forget(user) // a deactivated account: stop drawing for it
			return
		}
	} else {
		email := ov.User.Email
		if email == "" {
			if u, ok := b.users.byIDGet(user); ok {
				email = u.Email
			}
		}
		b.home.learn(user, email)
	}
	view := b.renderer().home(ov, err, w.Catalog())
	if _, err := b.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user, View: view}); err != nil {
		err = b.slackError("views.publish", err)
		logFailure(&log, err, "publish home tab")
		if access.ErrorCode(err) == access.ENOTFOUND {
			b.home.forget(user)
		}
	}
}

// home renders a person's Home tab: a button to ask for access, their
// active grants (Extend, Revoke), their pending requests (Cancel) and the
// requests waiting for their approval (Approve, Deny). listErr, when set,
// replaces the sections with what went wrong.
func (rd renderer) home(ov workflow.Overview, listErr error, cat *access.Catalog) slack.HomeTabViewRequest {
	blocks := []slack.Block{
		headerBlock("accessbot"),
		sectionBlock("Temporary access to sensitive systems, approved by your peers. Type `/access help` anywhere for the commands."),
		actionsBlock(BlockHomeActions, button(ActionHomeRequest, "Request access", "", slack.StylePrimary)),
	}
	if rd.dryRun {
		blocks = append(blocks, contextBlock("🧪 "+DryRunBanner+": accessbot records and announces, but grants and removes nothing."))
	}
	blocks = append(blocks, dividerBlock())
	if listErr != nil {
		blocks = append(blocks, sectionBlock("⚠️ "+errorText(listErr)))
		return homeView(blocks)
	}
	res := func(r *access.Request) access.Resource {
		if cat != nil {
			if x, err := cat.Get(r.ResourceID); err == nil {
				return *x
			}
		}
		return access.Resource{ID: r.ResourceID}
	}
	var grants, pending []*access.Request
	for _, r := range ov.Mine {
		switch {
		case r.State == access.StateActive && r.Kind != access.KindExtension:
			grants = append(grants, r)
		case r.State == access.StatePending || r.State == access.StateApproved:
			pending = append(pending, r)
		}
	}

	if len(ov.Paused) > 0 {
		var lines []string
		for _, p := range ov.Paused {
			lines = append(lines, "• "+pausedLine(p, cat))
		}
		blocks = append(blocks, sectionBlockID(BlockHomePaused, truncate("*Paused resources*\n"+strings.Join(lines, "\n"), maxSectionText)), dividerBlock())
	}
	blocks = append(blocks, sectionBlockID(BlockHomeGrants, "*Your active access*"))
	for i, r := range limit(grants) {
		line, buttons := rd.homeGrant(*r, res(r))
		blocks = append(blocks, sectionBlock(line))
		if len(buttons) > 0 {
			blocks = append(blocks, actionsBlock(homeBlockID(BlockHomeGrants, i), buttons...))
		}
	}
	blocks = append(blocks, homeRest(len(grants), "You hold no access through accessbot right now.")...)

	blocks = append(blocks, dividerBlock(), sectionBlockID(BlockHomePending, "*Your pending requests*"))
	for i, r := range limit(pending) {
		blocks = append(blocks, sectionBlock(rd.listLine(*r, res(r))))
		if r.Cancellable() {
			blocks = append(blocks, actionsBlock(homeBlockID(BlockHomePending, i),
				button(ActionCancel, "Cancel request", r.ID, "")))
		}
	}
	blocks = append(blocks, homeRest(len(pending), "You have no requests waiting.")...)

	blocks = append(blocks, dividerBlock(), sectionBlockID(BlockHomeApprovals, "*Waiting for your approval*"))
	for i, r := range limit(ov.ToApprove) {
		blocks = append(blocks, sectionBlock(rd.homeToApprove(*r, res(r))),
			actionsBlock(homeBlockID(BlockHomeApprovals, i),
				button(ActionApprove, "Approve", r.ID, slack.StylePrimary),
				button(ActionDeny, "Deny", r.ID, slack.StyleDanger)))
	}
	blocks = append(blocks, homeRest(len(ov.ToApprove), "Nothing is waiting for your approval.")...)
	blocks = append(blocks, homeDelegations(ov)...) // people.go
	return homeView(blocks)
}

// homeGrant is one active grant: what, until when, and what can be done.
func (rd renderer) homeGrant(r access.Request, res access.Resource) (string, []*slack.ButtonBlockElement) {
	label := resourceLabel(r, res)
	ends := when(r.Grant.ExpiresAt)
	if left := r.Grant.ExpiresAt.Sub(rd.now); left > 0 {
		ends = "in about " + access.FormatDuration(roundDuration(left)) + " (" + ends + ")"
	}
	switch {
	case r.Grant.Removal != nil:
		return "🔄 " + label + " is being removed in Okta · " + requestID(r), nil
	case r.Grant.Standing:
		return "ℹ️ " + label + " (you already had it; accessbot leaves it in place) · tracked until " + ends + " · " + requestID(r), nil
	}
	line := "✅ " + label + " · expires " + ends + " · " + requestID(r) + "\n" + rd.homeUsage(r)
	var buttons []*slack.ButtonBlockElement
	if r.Grant.PendingExtension != "" {
		line += "\nAn extension (`" + esc(r.Grant.PendingExtension, 100) + "`) is waiting for approval."
	} else {
		for _, d := range r.ExtensionChoices(&res, rd.now) {
			if len(buttons) == homeExtendButtons {
				break
			}
			v := access.FormatDuration(d)
			buttons = append(buttons, button(ExtendActionID(v), "Extend "+v, r.ID+"|"+v, slack.StylePrimary))
		}
	}
	if r.RevokeOffered() {
		buttons = append(buttons, button(ActionRevoke, "Revoke", r.ID, slack.StyleDanger))
	}
	return line, buttons
}

// homeToApprove is one request waiting for the viewer's decision.
func (rd renderer) homeToApprove(r access.Request, res access.Resource) string {
	line := mention(r.Requester) + " asks for " + resourceLabel(r, res) + " for *" + duration(r) + "* · " + requestID(r)
	if r.Kind == access.KindExtension {
		line = mention(r.Requester) + " asks to extend " + resourceLabel(r, res) + " by *" + access.FormatDuration(r.Duration) + "* · " + requestID(r)
	}
	need := res.RequiredApprovals()
	if need > 1 {
		line += " · approvals " + strconv.Itoa(len(r.Approvals())) + " of " + strconv.Itoa(need)
	}
	if reason := oneLine(r.Reason); reason != "" {
		line += "\nReason: “" + esc(reason, 500) + "”"
	}
	return line
}

// limit keeps the first homeItems entries of a section.
func limit(rs []*access.Request) []*access.Request {
	if len(rs) > homeItems {
		return rs[:homeItems]
	}
	return rs
}

// homeRest says a section is empty, or how many entries it left out.
func homeRest(n int, empty string) []slack.Block {
	switch {
	case n == 0:
		return []slack.Block{contextBlock(empty)}
	case n > homeItems:
		return []slack.Block{contextBlock("…and " + strconv.Itoa(n-homeItems) + " more; `/access list` shows them all.")}
	}
	return nil
}

// homeBlockID names an entry's actions block by its section and position
// (the buttons' values say which request).
func homeBlockID(section string, i int) string {
	return section + "_" + strconv.Itoa(i)
}

// sectionBlockID is sectionBlock with a block id.
func sectionBlockID(id, md string) slack.Block {
	s := sectionBlock(md).(*slack.SectionBlock)
	s.BlockID = id
	return s
}

func homeView(blocks []slack.Block) slack.HomeTabViewRequest {
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: capBlocks(blocks, maxViewBlocks)}}
}
