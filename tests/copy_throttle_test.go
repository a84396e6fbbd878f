package tests

import (
	"fmt"
	"testing"
	"time"
)

// `migrawave copy --max-rows-per-second R` reads the tenant's rows no faster
// than R: its data phase takes at least rows/R, and no more than 15% longer.
// R is set, from an unthrottled copy of the same tenant in this run, to an
// eighth of what this machine can do, so that the limit and not the machine
// decides how long the throttled copy takes.
func TestCopyThrottleHoldsTheRate(t *testing.T) {
	_, conf, tenant, _ := seededTenantToCopy(t, "throttle", "pg-b", "pg-c")

	type report struct {
		Rows         int64         `json:"rows"`
		DataDuration time.Duration `json:"data_duration_ns"`
	}
	var free, throttled report
	cliJSON(t, conf, &free, "copy", "--tenant", tenant, "--cluster", "pg-b")
	least := max(3*time.Second, 8*free.DataDuration)
	rate := max(int64(float64(free.Rows)/least.Seconds()), 1)
	cliJSON(t, conf, &throttled, "copy", "--tenant", tenant, "--cluster", "pg-c", "--max-rows-per-second", fmt.Sprint(rate))

	if throttled.Rows != free.Rows {
		t.Fatalf("the throttled copy moved %d rows, the free one %d", throttled.Rows, free.Rows)
	}
	want := time.Duration(float64(throttled.Rows) / float64(rate) * float64(time.Second))
	ratio := throttled.DataDuration.Seconds() / want.Seconds()
	t.Logf("%d rows: unthrottled data phase %s; at %d rows/s %s, %.3f × rows/rate (%s)",
		free.Rows, free.DataDuration, rate, throttled.DataDuration, ratio, want)
	if ratio < 1 || ratio > 1.15 {
		t.Fatalf("at %d rows/s the data phase took %.3f × rows/rate; want between 1 and 1.15", rate, ratio)
	}
}
