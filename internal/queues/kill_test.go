package queues

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/testenv"
)

// moverEnv makes the test binary act as a mover process (see TestMain).
const moverEnv = "MIGRAWAVE_QUEUES_TEST_MOVER"

// moverSpec is what the parent tells the mover process.
type moverSpec struct {
	Queues []string `json:"queues"`
	Tenant string   `json:"tenant"`
	Batch  int      `json:"batch"`
	// KillAt is the batch after whose confirms the mover stops and waits to
	// be killed: the window in which a crash duplicates.
	KillAt int `json:"kill_at"`
}

// TestMain turns the test binary into a mover process when moverEnv is
// set: TestMoveSurvivesKill runs it again that way and kills it.
func TestMain(m *testing.M) {
	if raw := os.Getenv(moverEnv); raw != "" {
		if err := runMover(raw); err != nil {
			fmt.Println("MOVER FAILED", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runMover(raw string) error {
	var spec moverSpec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		return err
	}
	full, err := config.Load(testenv.ConfigPath())
	if err != nil {
		return err
	}
	cfg := full.RabbitMQ
	cfg.Queues = spec.Queues
	eng, err := New(cfg)
	if err != nil {
		return err
	}
	batches := 0
	testHookConfirmed = func(queue string, n int) {
		batches++
		if batches == spec.KillAt {
			fmt.Printf("CONFIRMED %s %d\n", queue, n)
			time.Sleep(time.Minute) // confirmed on the new broker, not acknowledged on the old
		}
	}
	_, err = eng.Move(context.Background(), spec.Tenant, MoveOptions{Batch: spec.Batch})
	fmt.Printf("DONE %v\n", err)
	return nil
}

// TestMoveSurvivesKill kills a mover process (SIGKILL) after the new broker
// confirmed a batch and before the old broker got its acknowledgement, then
// moves again in this process: no message is lost, and the duplicates the
// kill made are counted and flagged.
func TestMoveSurvivesKill(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	names, all := f.seedAndPrepare(t, 1500)

	// 1,500 messages a queue in batches of 50: batch 40 is the tenth of
	// the second queue.
	const batch = 50
	spec, _ := json.Marshal(moverSpec{Queues: f.cfg.Queues, Tenant: f.tenant, Batch: batch, KillAt: 40})
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.count=1")
	cmd.Env = append(os.Environ(), moverEnv+"="+string(spec))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	watchdog := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
	defer watchdog.Stop()
	lines := bufio.NewScanner(stdout)
	confirmed := ""
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "CONFIRMED ") {
			confirmed = lines.Text()
			break
		}
		if strings.HasPrefix(lines.Text(), "DONE ") {
			t.Fatalf("the mover finished before it could be killed: %s", lines.Text())
		}
	}
	if confirmed == "" {
		t.Fatal("the mover process ended without reaching the kill point")
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no deferred close, no goodbye to the broker
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("mover process: %v", err)
	}
	t.Logf("killed the mover at %q", confirmed)
	if n := ready(t, f.cfg.OldURL, names[0]); n != 0 {
		t.Errorf("the first queue still holds %d messages on the old broker", n)
	}

	rep, err := f.eng.Move(ctx, f.tenant, MoveOptions{Batch: batch})
	if err != nil {
		t.Fatal(err)
	}
	short := *rep
	short.PossibleDuplicateIDs = short.PossibleDuplicateIDs[:min(3, len(short.PossibleDuplicateIDs))]
	out, _ := json.Marshal(short)
	t.Logf("rerun (ids cut to 3): %s", out)

	var onNew []received
	for _, q := range names {
		onNew = append(onNew, takeAll(t, f.cfg.NewURL, q)...)
		if n := ready(t, f.cfg.OldURL, q); n != 0 {
			t.Errorf("%d messages left in %s on the old broker", n, q)
		}
	}
	dups := checkConserved(t, all, onNew, nil)
	flagged := 0
	for _, m := range onNew {
		if m.headers[HeaderPossibleDuplicate] == true {
			flagged++
		}
	}
	t.Logf("%d messages on the new broker, %d ids twice, %d copies flagged", len(onNew), len(dups), flagged)
	if !rep.InterruptedBefore || !rep.DuplicatesPossible {
		t.Errorf("the rerun did not notice the interrupted run: %+v", rep)
	}
	// The kill came after a whole batch was confirmed: that batch is on the
	// new broker twice, and nothing else.
	if len(dups) != batch || rep.PossibleDuplicates != batch || int64(flagged) != rep.PossibleDuplicates {
		t.Errorf("%d duplicated ids, %d reported, %d flagged; want %d", len(dups), rep.PossibleDuplicates, flagged, batch)
	}
	for id := range dups {
		if !slices.Contains(rep.PossibleDuplicateIDs, id) {
			t.Errorf("duplicate %s is not among the reported ids", id)
		}
	}
	if ready(t, f.cfg.OldURL, markerName(f.tenant)) != -1 {
		t.Error("the marker queue is left after the move completed")
	}
}
