// Package bench measures accessbot where its users feel it: how fast Slack
// hears back, how soon an approval reaches Okta, how the expiry sweep and
// the start-up scale with the store, how late access is removed, and how
// many whole flows a second the bot carries compared with what its disk
// allows. Everything lives in the package's tests.
//
// TestLoad builds the real accessbot binary, runs it (`accessbot run`)
// against the in-repo fake Slack and Okta on 127.0.0.1 and prints one table.
// By default it runs at small sizes, which is what CI does to prove the
// harness works; the figures it prints then mean little. The full run, with
// the sizes and the targets of the README's "Performance" section, fails if
// a target is missed:
//
//	ACCESSBOT_BENCH=full go test ./bench/ -run TestLoad -v -timeout 30m
//
// ACCESSBOT_BENCH_STEPS=sweep,history runs only some of the steps
// (clicks_and_acks, flows_and_removals, sweep, history), and
// ACCESSBOT_BENCH_LOGS=dir keeps the bots' logs in dir.
//
// The Go benchmarks BenchmarkSweepNothingDue and BenchmarkBoltSyncedUpdate
// are the parts of the table that need no running bot, at the same sizes:
//
//	ACCESSBOT_BENCH=full go test ./bench/ -run '^$' -bench .
package bench
