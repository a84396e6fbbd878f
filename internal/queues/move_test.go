package queues

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestDrainAndMove10k: 10,000 messages over a tenant's two queues while the
// application consumes them slowly on the old broker. Drain times out, the
// application stops (giving back what it held), Move transfers the rest:
// every id is then either consumed on the old broker or on the new one,
// exactly once.
func TestDrainAndMove10k(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	names, all := f.seedAndPrepare(t, 5000)
	app := startConsumer(t, f.cfg.OldURL, names, 10, 2*time.Millisecond)

	drain, err := f.eng.Drain(ctx, f.tenant, DrainOptions{Timeout: 3 * time.Second, Interval: 250 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if drain.Drained || !drain.TimedOut {
		t.Fatalf("10,000 messages drained by a slow consumer in 3s? %+v", drain)
	}
	first, last := drain.Samples[0], drain.Samples[len(drain.Samples)-1]
	if last.Ready >= first.Ready || first.Consumers != 2 {
		t.Errorf("drain saw no progress: first %+v, last %+v", first, last)
	}

	var progressed int
	move, err := f.eng.Move(ctx, f.tenant, MoveOptions{Progress: func(p MoveProgress) {
		// The application shuts down once the move is under way.
		app.stop()
		progressed++
	}})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(move)
	if strings.Contains(string(out), "migrawave:migrawave") {
		t.Errorf("report holds a password: %s", out)
	}
	t.Logf("move: moved %d in %v, %d progress calls, report %d bytes", move.Moved, move.Duration, progressed, len(out))

	consumed := app.consumed()
	var onNew []received
	for _, q := range names {
		onNew = append(onNew, takeAll(t, f.cfg.NewURL, q)...)
		if n := ready(t, f.cfg.OldURL, q); n != 0 {
			t.Errorf("%d messages left in %s on the old broker", n, q)
		}
	}
	if dups := checkConserved(t, all, onNew, consumed); len(dups) > 0 {
		t.Errorf("%d duplicates without any failure", len(dups))
	}
	t.Logf("%d consumed on the old broker, %d moved", len(consumed), len(onNew))
	if len(consumed) == 0 || int64(len(onNew)) != move.Moved || len(consumed)+len(onNew) != len(all) {
		t.Errorf("consumed %d, on the new broker %d, reported moved %d, published %d", len(consumed), len(onNew), move.Moved, len(all))
	}
	if move.DuplicatesPossible || move.InterruptedBefore || move.PossibleDuplicates != 0 {
		t.Errorf("duplicates reported without any failure: %+v", move)
	}
	for _, m := range onNew[:1] {
		if m.headers[HeaderRun] != move.Run || m.headers[HeaderMovedFrom] != f.eng.OldBroker() || m.headers["tenant"] != "acme" {
			t.Errorf("moved message headers %v", m.headers)
		}
	}
	if ready(t, f.cfg.OldURL, markerName(f.tenant)) != -1 {
		t.Error("the marker queue is left after a complete move")
	}
}

func TestRollbackMovesEverythingBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	names, all := f.seedAndPrepare(t, 500)
	move, err := f.eng.Move(ctx, f.tenant, MoveOptions{Batch: 100})
	if err != nil {
		t.Fatal(err)
	}
	if move.Moved != 1000 || move.Direction != OldToNew {
		t.Fatalf("move: %+v", move)
	}
	back, err := f.eng.Rollback(ctx, f.tenant, MoveOptions{Batch: 100})
	if err != nil {
		t.Fatal(err)
	}
	if back.Moved != 1000 || back.Direction != NewToOld || back.From != f.eng.NewBroker() || back.To != f.eng.OldBroker() {
		t.Errorf("rollback: %+v", back)
	}
	var onOld []received
	for _, q := range names {
		if n := ready(t, f.cfg.NewURL, q); n != 0 {
			t.Errorf("%d messages left in %s on the new broker", n, q)
		}
		onOld = append(onOld, takeAll(t, f.cfg.OldURL, q)...)
	}
	if dups := checkConserved(t, all, onOld, nil); len(dups) > 0 {
		t.Errorf("duplicates: %v", dups)
	}
	if m := onOld[0]; m.headers[HeaderMovedFrom] != f.eng.NewBroker() || m.body == "" || !strings.HasPrefix(m.id, names[0]+"#") {
		t.Errorf("message back on the old broker: %+v", m)
	}

	// Nothing left to move: a rerun is a no-op.
	again, err := f.eng.Rollback(ctx, f.tenant, MoveOptions{})
	if err != nil || again.Moved != 0 {
		t.Errorf("second rollback: %+v, %v", again, err)
	}
}

func TestMoveWithoutPrepareIsRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	names := f.names(t)
	seed(t, f.cfg.OldURL, names[1], 10)
	_, err := f.eng.Move(context.Background(), f.tenant, MoveOptions{})
	wantKind(t, err, KindRefused, "run Prepare first")
	if n := ready(t, f.cfg.OldURL, names[1]); n != 10 {
		t.Errorf("%d of 10 messages left on the old broker", n)
	}
	if ready(t, f.cfg.OldURL, markerName(f.tenant)) != -1 {
		t.Error("a refused move left a marker")
	}
}
