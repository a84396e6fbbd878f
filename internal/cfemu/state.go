package cfemu

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// State is everything the emulator knows. It is the exact JSON written to the
// state file and served by GET /__admin/state. Zones and tunnels are kept
// sorted by id and records in creation order, so two dumps of the same state
// are byte-for-byte identical.
type State struct {
	Zones   []Zone   `json:"zones"`
	Tunnels []Tunnel `json:"tunnels"`
}

// Zone is a DNS zone and its records, oldest first.
type Zone struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Records []Record `json:"records"`
}

// clone returns a copy whose slices can be changed without touching s.
// Records, ingress rules and their maps are never modified in place (they are
// always replaced whole), so sharing them between copies is safe.
func (s State) clone() State {
	out := State{Zones: slices.Clone(s.Zones), Tunnels: slices.Clone(s.Tunnels)}
	for i := range out.Zones {
		out.Zones[i].Records = slices.Clone(out.Zones[i].Records)
	}
	return out
}

// normalize restores the invariants a hand-written or loaded state may lack:
// sorted zones and tunnels, no null arrays.
func (s *State) normalize() {
	if s.Zones == nil {
		s.Zones = []Zone{}
	}
	if s.Tunnels == nil {
		s.Tunnels = []Tunnel{}
	}
	slices.SortStableFunc(s.Zones, func(a, b Zone) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortStableFunc(s.Tunnels, func(a, b Tunnel) int {
		return cmp.Or(cmp.Compare(a.AccountID, b.AccountID), cmp.Compare(a.ID, b.ID))
	})
	for i := range s.Zones {
		if s.Zones[i].Records == nil {
			s.Zones[i].Records = []Record{}
		}
	}
}

// validate rejects states whose identifiers collide, which no API call could produce.
func (s State) validate() error {
	zoneIDs := map[string]bool{}
	recordIDs := map[string]bool{}
	for _, z := range s.Zones {
		if z.ID == "" || z.Name == "" {
			return fmt.Errorf("zone %q: id and name are required", z.ID)
		}
		if zoneIDs[z.ID] {
			return fmt.Errorf("duplicate zone id %q", z.ID)
		}
		zoneIDs[z.ID] = true
		for _, r := range z.Records {
			if r.ID == "" || recordIDs[r.ID] {
				return fmt.Errorf("zone %q: missing or duplicate record id %q", z.ID, r.ID)
			}
			recordIDs[r.ID] = true
		}
	}
	tunnelKeys := map[[2]string]bool{}
	for _, t := range s.Tunnels {
		key := [2]string{t.AccountID, t.ID}
		if t.AccountID == "" || t.ID == "" || tunnelKeys[key] {
			return fmt.Errorf("missing or duplicate tunnel %q in account %q", t.ID, t.AccountID)
		}
		tunnelKeys[key] = true
	}
	return nil
}

func (s *State) zone(id string) (*Zone, bool) {
	for i := range s.Zones {
		if s.Zones[i].ID == id {
			return &s.Zones[i], true
		}
	}
	return nil, false
}

func (s *State) tunnel(accountID, id string) (*Tunnel, bool) {
	for i := range s.Tunnels {
		if s.Tunnels[i].AccountID == accountID && s.Tunnels[i].ID == id {
			return &s.Tunnels[i], true
		}
	}
	return nil, false
}

func marshalState(s State) ([]byte, error) {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding state: %w", err)
	}
	return append(data, '\n'), nil
}

// loadState reads the state file; a missing file is an empty state.
func loadState(path string) (State, error) {
	var s State
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		s.normalize()
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("reading state file: %w", err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("decoding state file %s: %w", path, err)
	}
	s.normalize()
	if err := s.validate(); err != nil {
		return s, fmt.Errorf("state file %s: %w", path, err)
	}
	return s, nil
}

// writeFileAtomic replaces path with data so that a crash leaves either the
// old or the new content, never a torn file: write a temporary file in the
// same directory, fsync it, rename it over path, then fsync the directory so
// the rename itself survives a power loss.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("creating temporary state file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing temporary state file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("syncing temporary state file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("closing temporary state file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replacing state file: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("opening state directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing state directory: %w", err)
	}
	return nil
}

// read runs fn on the current state under the lock. fn must not keep
// references to the state's slices after it returns.
func (s *Server) read(fn func(st *State) (any, error)) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn(&s.state)
}

// mutate runs fn on a copy of the state and, if fn succeeds, persists the copy
// and makes it current. A failing fn (or a failing write) leaves the state
// untouched, which is what makes a batch all-or-nothing.
func (s *Server) mutate(fn func(st *State) (any, error)) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.state.clone()
	result, err := fn(&next)
	if err != nil {
		return nil, err
	}
	next.normalize()
	if s.statePath != "" {
		data, err := marshalState(next)
		if err != nil {
			return nil, err
		}
		if err := writeFileAtomic(s.statePath, data); err != nil {
			return nil, fmt.Errorf("persisting state to %s: %w", s.statePath, err)
		}
	}
	s.state = next
	return result, nil
}
