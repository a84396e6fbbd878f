package bulkcopy

import (
	"sync"
	"time"

	"github.com/migrawave/migrawave/internal/schema"
	"github.com/migrawave/migrawave/internal/values"
)

// tableCopy is the copy of one table: its parts, and their progress added
// up as they are copied, from several goroutines.
type tableCopy struct {
	table  *schema.Table
	parts  []part
	weight int64 // the estimated work, to start the largest first

	mu      sync.Mutex
	rep     TableReport
	pending int // parts not done
	start   time.Time
}

// planned sets the parts, and what they hold already when resuming.
func (tc *tableCopy) planned(parts []part, weight int64) {
	tc.parts, tc.weight = parts, weight
	tc.rep = TableReport{Table: tc.table.Name, Conversions: values.Counts{}, Notes: tc.table.Notes}
	for _, p := range parts {
		tc.rep.Rows += p.rows
		tc.rep.Bytes += p.bytes
		tc.rep.Resumed = tc.rep.Resumed || p.rows > 0 || p.done
		if !p.done {
			tc.pending++
		}
	}
}

// partWeight estimates the work of one of the table's parts, which cut its
// key range evenly.
func (tc *tableCopy) partWeight() int64 { return tc.weight / int64(max(len(tc.parts), 1)) }

func (tc *tableCopy) started() {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.start.IsZero() {
		tc.start = time.Now()
	}
}

// add counts a committed chunk and reports the table's progress.
func (tc *tableCopy) add(rows, bytes int64, partDone bool, report func(Progress)) {
	tc.mu.Lock()
	tc.rep.Rows += rows
	tc.rep.Bytes += bytes
	if partDone {
		tc.pending--
	}
	p := Progress{Table: tc.rep.Table, Rows: tc.rep.Rows, Bytes: tc.rep.Bytes, Done: tc.pending == 0}
	tc.mu.Unlock()
	if report != nil {
		report(p)
	}
}

func (tc *tableCopy) addConversions(c values.Counts) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	tc.rep.Conversions.Merge(c)
}

// partCopied dates the table's end once every part is in.
func (tc *tableCopy) partCopied() {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.pending == 0 {
		tc.rep.Duration = time.Since(tc.start)
	}
}

func (tc *tableCopy) report() TableReport {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return tc.rep
}
