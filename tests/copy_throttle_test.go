package tests

import (
	"fmt"
	"testing"
	"time"
)

// `migrawave copy --max-rows-per-second R` reads the tenant's rows no faster
// than R: whatever the machine, its data phase takes at least rows/R, and it
// copies every row. How close to rows/R it stays (at most 15% more) depends
// on the machine's speed, so `make bench-throttle` measures that, on the
// benchmark's tenant at 100000 rows/s, as a ratio printed against rows/R.
func TestCopyThrottleHoldsTheRate(t *testing.T) {
	_, conf, tenant, _ := seededTenantToCopy(t, "throttle", "pg-b", "pg-c")

	type report struct {
		Rows         int64         `json:"rows"`
		DataDuration time.Duration `json:"data_duration_ns"`
	}
	var free, throttled report
	cliJSON(t, conf, &free, "copy", "--tenant", tenant, "--cluster", "pg-b")
	rate := max(free.Rows/3, 1) // about three seconds of rows
	cliJSON(t, conf, &throttled, "copy", "--tenant", tenant, "--cluster", "pg-c", "--max-rows-per-second", fmt.Sprint(rate))

	if throttled.Rows != free.Rows {
		t.Fatalf("the throttled copy moved %d rows, the free one %d", throttled.Rows, free.Rows)
	}
	want := time.Duration(float64(throttled.Rows) / float64(rate) * float64(time.Second))
	ratio := throttled.DataDuration.Seconds() / want.Seconds()
	t.Logf("%d rows: unthrottled data phase %s; at %d rows/s %s, %.3f × rows/rate (%s)",
		free.Rows, free.DataDuration, rate, throttled.DataDuration, ratio, want)
	if ratio < 1 {
		t.Fatalf("at %d rows/s the data phase took %.3f × rows/rate; want at least 1", rate, ratio)
	}
}
