// Package tests holds end-to-end tests: the real binaries against the real
// local stack (`make stack-up`).
package tests

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/migrawave/migrawave/internal/testenv"
)

var migrawave string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "migrawave-e2e")
	if err != nil {
		panic(err)
	}
	migrawave = filepath.Join(dir, "migrawave")
	build := exec.Command("go", "build", "-o", migrawave, "./cmd/migrawave")
	build.Dir = testenv.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		panic("building migrawave: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cli runs migrawave with the given config and fails the test on a non-zero exit.
func cli(t *testing.T, config string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(migrawave, append([]string{"--config", config}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("migrawave %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

// cliJSON runs migrawave with --output json and decodes its output into v.
func cliJSON(t *testing.T, config string, v any, args ...string) {
	t.Helper()
	out := cli(t, config, append(args, "--output", "json")...)
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("migrawave %v: output is not JSON: %v\n%s", args, err, out)
	}
}
