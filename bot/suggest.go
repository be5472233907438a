package bot

import (
	"context"
	"strings"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
)

// externalResourceMinQuery is how many characters a person types before
// Slack asks for resources: 0, so opening the menu lists the first ones.
const externalResourceMinQuery = 0

// usesExternalSelect reports whether the modal's resource menu asks the bot
// for options as the person types: Slack allows at most 100 static options.
func usesExternalSelect(cat *access.Catalog) bool { return len(cat.All()) > maxOptions }

// resourceMenu is the modal's resource select: static with every resource
// when they fit, else an external select the bot answers (onSuggestion).
func resourceMenu(cat *access.Catalog, key string) *slack.SelectBlockElement {
	var initial *slack.OptionBlockObject
	if !usesExternalSelect(cat) {
		var opts []*slack.OptionBlockObject
		for i, r := range cat.All() {
			o := option(resourceKey(i, r), nonEmptyOr(r.Name, r.ID))
			if resourceKey(i, r) == key {
				initial = o
			}
			opts = append(opts, o)
		}
		sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plainText("Choose a resource"), ActionResourceSelect, opts...)
		sel.InitialOption = initial
		return sel
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeExternal, plainText("Type to search resources"), ActionResourceSelect)
	minQuery := externalResourceMinQuery
	sel.MinQueryLength = &minQuery
	if res, ok := lookupResource(cat, key); ok {
		sel.InitialOption = option(key, nonEmptyOr(res.Name, res.ID))
	}
	return sel
}

// matchResources returns up to limit resources whose id, name or
// description contains every word of query (ignoring case), those whose
// name or id starts with the query first, each with its key.
func matchResources(cat *access.Catalog, query string, limit int) []*slack.OptionBlockObject {
	words := strings.Fields(strings.ToLower(query))
	q := strings.ToLower(strings.TrimSpace(query))
	var first, rest []*slack.OptionBlockObject
	for i, r := range cat.All() {
		hay := strings.ToLower(r.ID + " " + r.Name + " " + r.Description)
		ok := true
		for _, w := range words {
			if !strings.Contains(hay, w) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		o := option(resourceKey(i, r), nonEmptyOr(r.Name, r.ID))
		if q != "" && (strings.HasPrefix(strings.ToLower(r.Name), q) || strings.HasPrefix(r.ID, q)) {
			first = append(first, o)
		} else {
			rest = append(rest, o)
		}
		if len(first) >= limit {
			break
		}
	}
	out := append(first, rest...)
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// onSuggestion answers a block_suggestion: the resources matching what the
// person typed into the modal's resource menu, in the ack itself (Slack
// shows nothing if the ack is late, so no network call is made first).
func (b *Bot) onSuggestion(ctx context.Context, envelopeID string, cb slack.InteractionCallback) {
	if cb.ActionID != ActionResourceSelect {
		b.ack(ctx, envelopeID, slack.OptionsResponse{Options: []*slack.OptionBlockObject{}})
		return
	}
	var opts []*slack.OptionBlockObject
	if w := b.workflow(); w != nil && w.Catalog() != nil {
		opts = matchResources(w.Catalog(), cb.Value, maxOptions)
	}
	if opts == nil {
		opts = []*slack.OptionBlockObject{}
	}
	b.ack(ctx, envelopeID, slack.OptionsResponse{Options: opts})
}
