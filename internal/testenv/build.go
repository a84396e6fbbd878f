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
	RunWithBinaries(m, map[string]*string{"migrawave": bin})
}

// RunWithBinaries is RunWithMigrawave for several commands: it builds
// ./cmd/<name> for every name and sets its path.
func RunWithBinaries(m *testing.M, bins map[string]*string) {
	dir, err := os.MkdirTemp("", "migrawave-bin")
	if err != nil {
		panic(err)
	}
	for name, bin := range bins {
		*bin = filepath.Join(dir, name)
		build := exec.Command("go", "build", "-o", *bin, "./cmd/"+name)
		build.Dir = RepoRoot()
		if out, err := build.CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			panic(fmt.Sprintf("building %s: %v\n%s", name, err, out))
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
