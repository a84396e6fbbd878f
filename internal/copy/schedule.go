package copy

import "sync"

// unit is one part of a table to copy, or, with part nil, a table whose
// rows are all in and whose build (afterTable) is left.
type unit struct {
	tc   *tableCopy
	part *part
}

// schedule hands out the parts to copy first and the builds of finished
// tables only once no part is left to start: a build never takes a
// connection, or the CPUs, from rows still waiting to be copied, and the
// workers the last parts leave idle build the tables done so far.
type schedule struct {
	mu      sync.Mutex
	wake    *sync.Cond
	parts   []unit
	builds  []unit
	copying int // parts being copied, whose tables may yet need a build
	stopped bool
}

func newSchedule(parts, builds []unit) *schedule {
	s := &schedule{parts: parts, builds: builds}
	s.wake = sync.NewCond(&s.mu)
	return s
}

// next returns the next unit, waiting while parts being copied may still
// add builds; false when nothing is left or a worker failed.
func (s *schedule) next() (unit, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for !s.stopped {
		switch {
		case len(s.parts) > 0:
			u := s.parts[0]
			s.parts = s.parts[1:]
			s.copying++
			return u, true
		case len(s.builds) > 0:
			u := s.builds[0]
			s.builds = s.builds[1:]
			return u, true
		case s.copying == 0:
			return unit{}, false
		}
		s.wake.Wait()
	}
	return unit{}, false
}

// fail stops handing out units: a worker failed, and the parts it was
// copying will never be marked copied.
func (s *schedule) fail() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	s.wake.Broadcast()
}

// copied marks a part done; tableDone queues its table's build.
func (s *schedule) copied(tc *tableCopy, tableDone bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.copying--
	if tableDone {
		s.builds = append(s.builds, unit{tc: tc})
	}
	s.wake.Broadcast()
}
