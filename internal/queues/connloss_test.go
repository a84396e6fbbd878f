package queues

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/migrawave/migrawave/internal/testenv"
)

// closeConnection closes, as an operator would with rabbitmqctl, the broker
// connection whose connection_name client property is name.
func closeConnection(t *testing.T, name string) {
	t.Helper()
	out, err := exec.Command("rabbitmqctl", "list_connections", "pid", "client_properties", "-q").CombinedOutput()
	if err != nil {
		testenv.Unavailable(t, "rabbitmqctl", fmt.Errorf("%v: %s", err, out))
	}
	want := fmt.Sprintf(`{"connection_name",%q}`, name)
	for line := range strings.SplitSeq(string(out), "\n") {
		if strings.Contains(line, want) {
			pid := strings.Fields(line)[0]
			if out, err := exec.Command("rabbitmqctl", "close_connection", pid, "test").CombinedOutput(); err != nil {
				t.Fatalf("rabbitmqctl close_connection: %v: %s", err, out)
			}
			return
		}
	}
	t.Fatalf("no connection named %q in:\n%s", name, out)
}

// TestMoveConnectionLost closes the mover's connection to either broker in
// the middle of a move: Move fails with a transient error, and running it
// again finishes the job without losing a message.
func TestMoveConnectionLost(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("rabbitmqctl"); err != nil {
		testenv.Unavailable(t, "rabbitmqctl", err)
	}
	for _, side := range []string{"source", "destination"} {
		t.Run(side, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ctx := context.Background()
			names, all := f.seedAndPrepare(t, 1000)
			closed := false
			_, err := f.eng.Move(ctx, f.tenant, MoveOptions{Batch: 100, Progress: func(p MoveProgress) {
				if !closed && p.Moved >= 300 {
					closed = true
					closeConnection(t, fmt.Sprintf("%s move %s (%s)", f.prefix, f.tenant, side))
				}
			}})
			if !closed {
				t.Fatal("the move ended before the connection could be closed")
			}
			wantKind(t, err, KindTransient, "run move again")
			t.Logf("move failed as expected: %v", err)

			rep, err := f.eng.Move(ctx, f.tenant, MoveOptions{Batch: 100})
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			var onNew []received
			for _, q := range names {
				onNew = append(onNew, takeAll(t, f.cfg.NewURL, q)...)
				if n := ready(t, f.cfg.OldURL, q); n != 0 {
					t.Errorf("%d messages left in %s on the old broker", n, q)
				}
			}
			dups := checkConserved(t, all, onNew, nil)
			t.Logf("retry moved %d; %d on the new broker, %d duplicated, %d reported possible", rep.Moved, len(onNew), len(dups), rep.PossibleDuplicates)
			if !rep.InterruptedBefore || int64(len(dups)) > rep.PossibleDuplicates {
				t.Errorf("%d duplicates, report: %+v", len(dups), rep)
			}
		})
	}
}
