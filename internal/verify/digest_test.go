package verify

import (
	"fmt"
	"testing"

	"github.com/migrawave/migrawave/internal/source"
)

// The target's block ranges must together hold every block once, the last
// open so that it also holds blocks added after they were counted.
func TestBlockRangesCoverTheTableOnce(t *testing.T) {
	for _, c := range []struct {
		blocks    int64
		parts     int // the source's parts
		tidRanges bool
		want      string
	}{
		{10, 4, true, "[[0 2] [2 5] [5 7] [7 0]]"},
		{1000, 2, true, "[[0 500] [500 0]]"},
		{3, 4, true, "[[0 0]]"},     // fewer blocks than parts: one scan
		{0, 1, true, "[[0 0]]"},     // empty
		{1000, 4, false, "[[0 0]]"}, // before PostgreSQL 14: no TID range scans
	} {
		tv := &tableVerification{blocks: c.blocks, tidRanges: c.tidRanges, split: source.Partition{Keys: make([][][]byte, c.parts-1)}}
		if got := fmt.Sprint(tv.blockRanges()); got != c.want {
			t.Errorf("%d blocks, %d parts, TID ranges %v: %s, want %s", c.blocks, c.parts, c.tidRanges, got, c.want)
		}
	}
}
