package main

import (
	"testing"

	"github.com/accessbot/accessbot/store/postgres/pgtest"
)

// TestMain stops the throwaway PostgreSQL the store tests start, if any.
func TestMain(m *testing.M) { pgtest.Main(m) }
