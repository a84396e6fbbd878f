package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// stderrFile is the command's stderr when it is a file (it is os.Stderr unless a test replaced it).
func stderrFile(cmd interface{ ErrOrStderr() io.Writer }) *os.File {
	f, _ := cmd.ErrOrStderr().(*os.File)
	return f
}

// isTerminal reports whether f is a character device, i.e. a person is watching.
func isTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressBar draws one line of rows, MB/s and ETA, redrawn at most every
// 200ms. Safe for concurrent use.
type progressBar struct {
	mu        sync.Mutex
	w         io.Writer
	label     string
	total     int64
	rows      map[string]int64
	bytes     map[string]int64
	start     time.Time
	lastDrawn time.Time
}

func newProgressBar(w io.Writer, label string, total int64) *progressBar {
	return &progressBar{w: w, label: label, total: total, rows: map[string]int64{}, bytes: map[string]int64{}, start: time.Now()}
}

func (p *progressBar) update(table string, rows, bytes int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rows[table], p.bytes[table] = rows, bytes
	if time.Since(p.lastDrawn) >= 200*time.Millisecond {
		p.draw()
	}
}

func (p *progressBar) draw() {
	p.lastDrawn = time.Now()
	var rows, bytes int64
	for t := range p.rows {
		rows += p.rows[t]
		bytes += p.bytes[t]
	}
	elapsed := time.Since(p.start).Seconds()
	frac := 0.0
	if p.total > 0 {
		frac = min(float64(rows)/float64(p.total), 1)
	}
	const width = 30
	filled := int(frac * width)
	eta := "?"
	if rows > 0 && p.total > 0 {
		eta = time.Duration(elapsed * float64(p.total-rows) / float64(rows) * float64(time.Second)).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "\r%s [%s%s] %3.0f%%  %d/%d rows  %.1f MB/s  ETA %s   ",
		p.label, strings.Repeat("=", filled), strings.Repeat(" ", width-filled), frac*100,
		rows, p.total, float64(bytes)/1e6/max(elapsed, 0.001), eta)
}

func (p *progressBar) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw()
	fmt.Fprintln(p.w)
}
