// Package crash holds black-box tests of the accessbot binary: it is built,
// run as a real process against the fake Slack, Okta and PagerDuty servers,
// killed with SIGKILL at random moments and stopped with SIGTERM, and the
// store, the audit trail and Okta are checked afterwards for the promises
// the bot makes (DESIGN.md §4, §6; issue #6). There is no non-test code here.
package crash
