package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// print writes v as indented JSON with --output json, else calls text to
// write the human form.
func (a *app) print(cmd *cobra.Command, v any, text func(w *tableWriter)) error {
	out := cmd.OutOrStdout()
	if a.output == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	w := &tableWriter{tw: tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)}
	text(w)
	return w.tw.Flush()
}

// tableWriter lines up tab-separated columns for the text output.
type tableWriter struct {
	tw *tabwriter.Writer
}

func (w *tableWriter) line(s string) { fmt.Fprintln(w.tw, s) }

func (w *tableWriter) row(cols ...any) {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = fmt.Sprint(c)
	}
	fmt.Fprintln(w.tw, strings.Join(parts, "\t"))
}
