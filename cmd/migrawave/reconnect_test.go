package main

import (
	"fmt"
	"testing"

	"go.temporal.io/api/serviceerror"
)

func TestUnreachableIsWhatARetryCanFix(t *testing.T) {
	cases := map[error]bool{
		serviceerror.NewUnavailable("connection refused"): true,
		serviceerror.NewDeadlineExceeded("deadline"):      true,
		fmt.Errorf("querying wave/w: %w", serviceerror.NewFailedPrecondition("no poller seen for task queue recently, worker may be down")): true,
		serviceerror.NewFailedPrecondition("workflow is not running"):                                                                       false,
		serviceerror.NewNotFound("no such workflow"):                                                                                        false,
		serviceerror.NewInvalidArgument("bad query"):                                                                                        false,
	}
	for err, want := range cases {
		if got := unreachable(err); got != want {
			t.Errorf("unreachable(%v) = %v; want %v", err, got, want)
		}
	}
}
