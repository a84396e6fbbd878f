// Package tests holds end-to-end tests: the real binaries against the real
// local stack (`make stack-up`).
package tests

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"testing"

	"github.com/migrawave/migrawave/internal/testenv"
)

var migrawave string

func TestMain(m *testing.M) { testenv.RunWithMigrawave(m, &migrawave) }

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
