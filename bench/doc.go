// Package bench measures accessbot where its users feel it: how fast Slack
// hears back compared with a bare slack-go client, how soon an approval
// reaches Okta (alone and during a mass removal), how close a mass removal
// comes to what Okta's rate limit allows, how late access is removed, and
// how the expiry sweep, the memory and the start-up scale with the store;
// and, for other issues, a failover between replicas and a usage poll.
// Everything lives in the package's tests.
//
// TestLoad builds the real accessbot binary and the ack row's yardstick
// (bench/bareack), runs them against the in-repo fake Slack and Okta on
// 127.0.0.1 and prints one table, each row a ratio or percentile measured
// side by side in that run. By default it runs at small sizes (a rate-limit
// window of 5 s instead of a minute), which is what CI does to prove the
// harness works; the figures it prints then mean little. The full run, with
// the sizes and the targets of the README's "Performance" section, fails if
// a target is missed:
//
//	ACCESSBOT_BENCH=full go test ./bench/ -run TestLoad -v -timeout 30m
//
// ACCESSBOT_BENCH_STEPS=sweep,history runs only some of the steps
// (clicks_and_acks, mass_removal, flows_and_removals, failover, sweep,
// history, usage_poll), and
// ACCESSBOT_BENCH_LOGS=dir keeps the bots' logs in dir.
//
// The Go benchmark BenchmarkSweepNothingDue is the part of the table that
// needs no running bot, at the same sizes:
//
//	ACCESSBOT_BENCH=full go test ./bench/ -run '^$' -bench .
package bench
