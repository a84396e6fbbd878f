package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migrawave/migrawave/internal/testenv"
)

var binary string

func TestMain(m *testing.M) { testenv.RunWithMigrawave(m, &binary) }

// run executes the CLI and returns stdout, stderr and the exit code.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "MIGRAWAVE_CONFIG=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

// oneClearLine asserts the CLI failed with exactly one line on stderr containing want.
func oneClearLine(t *testing.T, stderr string, code int, want string) {
	t.Helper()
	if code == 0 {
		t.Fatalf("exit code 0; want non-zero (stderr %q)", stderr)
	}
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("stderr has %d lines; want one:\n%s", len(lines), stderr)
	}
	if !strings.Contains(lines[0], want) {
		t.Fatalf("stderr = %q; want it to contain %q", lines[0], want)
	}
}

func TestUnknownCommandIsOneLine(t *testing.T) {
	_, stderr, code := run(t, "frobnicate")
	oneClearLine(t, stderr, code, `unknown command "frobnicate"`)
}

func TestUnknownFlagIsOneLine(t *testing.T) {
	_, stderr, code := run(t, "catalog", "list", "--colour")
	oneClearLine(t, stderr, code, "unknown flag: --colour")
}

func TestBrokenConfigNamesTheKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broken.yaml")
	local, err := os.ReadFile(testenv.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(local), "max_bytes: 500GiB", "max_bytes: plenty", 1)
	if err := os.WriteFile(path, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := run(t, "--config", path, "catalog", "list")
	oneClearLine(t, stderr, code, "clusters[0].max_bytes: expected a size like 200GiB or 500MB")
}

func TestMissingConfigFile(t *testing.T) {
	_, stderr, code := run(t, "--config", "/nonexistent/migrawave.yaml", "setup")
	oneClearLine(t, stderr, code, "/nonexistent/migrawave.yaml does not exist")
}

func TestUnreachableDatabaseIsOneLineWithoutSecrets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "unreachable.yaml")
	local, err := os.ReadFile(testenv.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(string(local), "dsn: postgres://postgres@127.0.0.1:5432/migrawave", "dsn: postgres://postgres:hunter2@127.0.0.1:1/migrawave", 1)
	doc = strings.Replace(doc, "token_file: ../../", "token_file: "+testenv.RepoRoot()+"/", 1)
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := run(t, "--config", path, "catalog", "list")
	oneClearLine(t, stderr, code, "catalog: cannot reach 127.0.0.1:1/migrawave")
	if strings.Contains(stderr, "hunter2") {
		t.Fatalf("error leaks the password: %s", stderr)
	}
}

func TestBadOutputFormat(t *testing.T) {
	_, stderr, code := run(t, "--output", "yaml", "version")
	oneClearLine(t, stderr, code, `--output: "yaml" is not text or json`)
}

func TestVersionJSON(t *testing.T) {
	stdout, _, code := run(t, "--output", "json", "version")
	var v struct{ Version string }
	if code != 0 || json.Unmarshal([]byte(stdout), &v) != nil || v.Version == "" {
		t.Fatalf("version -o json = %q (exit %d)", stdout, code)
	}
}

func TestWaveStartRefusesBadInputBeforeStarting(t *testing.T) {
	conf := testenv.ConfigPath()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--tenants", "a", "--concurrency", "0"}, "--concurrency: must be at least 1, got 0"},
		{[]string{"--tenants", "a", "--concurrency", "-2"}, "--concurrency: must be at least 1, got -2"},
		{[]string{"--tenants", "a", "--cluster", "pg-z"}, `--cluster: unknown cluster "pg-z"`},
		{[]string{"--concurrency", "3"}, "the wave has no tenants"},
		{[]string{"--tenants", "a", "--max-failed-percent", "140"}, "--max-failed-percent: must be between 0 and 100"},
		{[]string{"--tenants", "acme-0001,globex-0002,acme-0001"}, "tenant acme-0001 is listed twice in the wave"},
		{[]string{"--tenants", "a", "--max-rows-per-second", "-5"}, "options.max_rows_per_second must be rows per second, 0 (the workers' default) or -1 (no limit), got -5"},
	}
	for _, c := range cases {
		args := append([]string{"--config", conf, "wave", "start", "--id", "w-bad"}, c.args...)
		_, stderr, code := run(t, args...)
		oneClearLine(t, stderr, code, c.want)
	}
	_, stderr, code := run(t, "--config", conf, "wave", "start", "--id", "bad id!", "--tenants", "a")
	oneClearLine(t, stderr, code, `--id: "bad id!" is not a wave id`)
}
