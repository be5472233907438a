//go:build race

package bench

// raceEnabled says the tests run with the race detector, so the bot binary
// is built with it too: the packages are compiled that way already.
const raceEnabled = true
