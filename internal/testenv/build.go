package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// RunWithMigrawave is a TestMain for tests that run the CLI as a user does:
// it builds the migrawave binary into a temporary folder, sets *bin to its
// path, runs the tests and exits with their code.
func RunWithMigrawave(m *testing.M, bin *string) {
	dir, err := os.MkdirTemp("", "migrawave-bin")
	if err != nil {
		panic(err)
	}
	*bin = filepath.Join(dir, "migrawave")
	build := exec.Command("go", "build", "-o", *bin, "./cmd/migrawave")
	build.Dir = RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		panic(fmt.Sprintf("building migrawave: %v\n%s", err, out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
