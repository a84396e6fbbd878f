package retry

import (
	"errors"
	"fmt"
	"testing"
)

type refused struct{}

func (refused) Error() string { return "refused" }
func (refused) Final() bool   { return true }

type flaky struct{ err error }

func (f flaky) Error() string { return "flaky" }
func (f flaky) Unwrap() error { return f.err }
func (flaky) Final() bool     { return false }

func TestIsFinal(t *testing.T) {
	plain := errors.New("connection reset")
	marked := Final(plain)
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{plain, false},
		{marked, true},
		{fmt.Errorf("copying: %w", marked), true},
		{refused{}, true},
		{fmt.Errorf("activity: %w", refused{}), true},
		// The nearest error that knows decides.
		{flaky{refused{}}, false},
	} {
		if got := IsFinal(c.err); got != c.want {
			t.Errorf("IsFinal(%v) = %v; want %v", c.err, got, c.want)
		}
	}
	if !errors.Is(marked, plain) || marked.Error() != plain.Error() {
		t.Fatalf("Final changed the error: %v", marked)
	}
	if Final(nil) != nil {
		t.Fatal("Final(nil) is not nil")
	}
}
