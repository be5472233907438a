package bot

import (
	"github.com/slack-go/slack"
)

// message is a rendered Slack message: Block Kit blocks and the plain-text
// fallback Slack shows in notifications.
type message struct {
	text   string
	blocks []slack.Block
}

// The builders below are the only place blocks are made; each keeps its
// part within Block Kit's limits, so callers can pass any user text.

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func plainText(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

// headerBlock is a header; text is plain text (not escaped, cut to 150).
func headerBlock(text string) slack.Block {
	return slack.NewHeaderBlock(plainText(nonEmpty(plain(text, maxHeaderText))))
}

// sectionBlock is a section of mrkdwn that the caller built from escaped
// parts; it is cut to 3000 characters.
func sectionBlock(md string) slack.Block {
	return slack.NewSectionBlock(mrkdwn(nonEmpty(truncate(md, maxSectionText))), nil, nil)
}

// fieldsBlock is a section of up to 10 mrkdwn fields of up to 2000 characters.
func fieldsBlock(fields ...string) slack.Block {
	var objs []*slack.TextBlockObject
	for _, f := range fields {
		if f == "" || len(objs) == 10 {
			continue
		}
		objs = append(objs, mrkdwn(truncate(f, maxFieldText)))
	}
	return slack.NewSectionBlock(nil, objs, nil)
}

// contextBlock is a context line of mrkdwn.
func contextBlock(md string) slack.Block {
	return slack.NewContextBlock("", mrkdwn(nonEmpty(truncate(md, maxContextText))))
}

func dividerBlock() slack.Block { return slack.NewDividerBlock() }

// button is a button; text is plain text (cut to 75), value at most 2000.
func button(actionID, text, value string, style slack.Style) *slack.ButtonBlockElement {
	b := slack.NewButtonBlockElement(actionID, truncate(value, 2000), plainText(nonEmpty(plain(text, maxButtonText))))
	if style != "" {
		b = b.WithStyle(style)
	}
	return b
}

// actionsBlock holds up to 25 buttons under blockID.
func actionsBlock(blockID string, buttons ...*slack.ButtonBlockElement) slack.Block {
	var els []slack.BlockElement
	for _, b := range buttons {
		if b != nil && len(els) < maxActions {
			els = append(els, b)
		}
	}
	return slack.NewActionBlock(blockID, els...)
}

// option is a select option: text and value each at most 75 characters.
func option(value, text string) *slack.OptionBlockObject {
	return slack.NewOptionBlockObject(truncate(value, maxOptionValue), plainText(nonEmpty(plain(text, maxOptionText))), nil)
}

// capBlocks keeps at most max blocks; the last kept block says more was cut.
func capBlocks(blocks []slack.Block, max int) []slack.Block {
	if len(blocks) <= max {
		return blocks
	}
	out := append([]slack.Block(nil), blocks[:max-1]...)
	return append(out, contextBlock("…and more; this message was shortened."))
}

// nonEmpty keeps text objects valid: Slack refuses empty text.
func nonEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
