package copy

import (
	"fmt"
	"testing"
	"time"
)

// The schedule hands out every part before any build, a table's build only
// once all its parts are copied, and stops waiting workers when one fails.
func TestScheduleCopiesBeforeItBuilds(t *testing.T) {
	a, b := &tableCopy{}, &tableCopy{}
	s := newSchedule([]unit{{a, &part{n: 0}}, {a, &part{n: 1}}}, []unit{{tc: b}})
	var got []string
	name := func(u unit) string {
		table := map[*tableCopy]string{a: "a", b: "b"}[u.tc]
		if u.part == nil {
			return table + " build"
		}
		return table + " part"
	}
	for range 3 {
		u, ok := s.next()
		if !ok {
			t.Fatal("the schedule ended early")
		}
		got = append(got, name(u))
	}
	if want := "[a part a part b build]"; fmt.Sprint(got) != want {
		t.Fatalf("handed out %s; want %s", fmt.Sprint(got), want)
	}

	next := make(chan string, 1)
	go func() {
		u, ok := s.next()
		if !ok {
			next <- "end"
			return
		}
		next <- name(u)
	}()
	s.copied(a, false) // one part of a left: nothing to hand out yet
	select {
	case n := <-next:
		t.Fatalf("handed out %q while a part of a was still copying", n)
	case <-time.After(50 * time.Millisecond):
	}
	s.copied(a, true)
	if n := <-next; n != "a build" {
		t.Fatalf("after a's last part: %q; want a build", n)
	}
	if _, ok := s.next(); ok {
		t.Fatal("the schedule handed out more than there was")
	}

	s = newSchedule([]unit{{a, &part{}}}, nil)
	s.next() // a worker copies the part, and fails
	go func() {
		_, ok := s.next()
		next <- map[bool]string{true: "unit", false: "end"}[ok]
	}()
	s.fail()
	if n := <-next; n != "end" {
		t.Fatalf("a waiting worker got %q after a failure; want end", n)
	}
}
