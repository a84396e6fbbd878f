package cfemu

import (
	"net/http"
	"strings"
	"time"
)

// The DNS record endpoints: /zones/{zone_id}/dns_records[/{id}|/batch].

func (s *Server) listRecords(r *http.Request) (any, error) {
	rq, err := parseRecordQuery(r.URL.Query())
	if err != nil {
		return nil, err
	}
	return s.read(func(st *State) (any, error) {
		zone, err := requestZone(st, r)
		if err != nil {
			return nil, err
		}
		return rq.apply(zone.Records), nil
	})
}

func (s *Server) getRecord(r *http.Request) (any, error) {
	return s.read(func(st *State) (any, error) {
		zone, err := requestZone(st, r)
		if err != nil {
			return nil, err
		}
		i, err := recordIndex(zone, r.PathValue("id"))
		if err != nil {
			return nil, err
		}
		return zone.Records[i], nil
	})
}

func (s *Server) createRecord(r *http.Request) (any, error) {
	var in recordInput
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	return s.mutate(func(st *State) (any, error) {
		zone, err := requestZone(st, r)
		if err != nil {
			return nil, err
		}
		return insertRecord(zone, newRecordID(), in, s.now())
	})
}

func (s *Server) editRecord(r *http.Request) (any, error) {
	var in recordInput
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	return s.mutate(func(st *State) (any, error) {
		zone, err := requestZone(st, r)
		if err != nil {
			return nil, err
		}
		return patchRecord(zone, r.PathValue("id"), in, s.now())
	})
}

func (s *Server) updateRecord(r *http.Request) (any, error) {
	var in recordInput
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	return s.mutate(func(st *State) (any, error) {
		zone, err := requestZone(st, r)
		if err != nil {
			return nil, err
		}
		return putRecord(zone, r.PathValue("id"), in, s.now())
	})
}

func (s *Server) deleteRecord(r *http.Request) (any, error) {
	return s.mutate(func(st *State) (any, error) {
		zone, err := requestZone(st, r)
		if err != nil {
			return nil, err
		}
		deleted, err := removeRecord(zone, r.PathValue("id"))
		if err != nil {
			return nil, err
		}
		return map[string]string{"id": deleted.ID}, nil
	})
}

type batchInput struct {
	Deletes []struct {
		ID string `json:"id"`
	} `json:"deletes"`
	Patches []recordInput `json:"patches"`
	Puts    []recordInput `json:"puts"`
	Posts   []recordInput `json:"posts"`
}

type batchResult struct {
	Deletes []Record `json:"deletes"`
	Patches []Record `json:"patches"`
	Puts    []Record `json:"puts"`
	Posts   []Record `json:"posts"`
}

// batchRecords applies deletes, patches, puts and posts, in that order, as the
// real API does. mutate discards the working copy on the first error, so the
// batch is all-or-nothing.
func (s *Server) batchRecords(r *http.Request) (any, error) {
	var in batchInput
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	return s.mutate(func(st *State) (any, error) {
		zone, err := requestZone(st, r)
		if err != nil {
			return nil, err
		}
		now := s.now()
		out := batchResult{Deletes: []Record{}, Patches: []Record{}, Puts: []Record{}, Posts: []Record{}}
		for _, del := range in.Deletes {
			rec, err := removeRecord(zone, del.ID)
			if err != nil {
				return nil, err
			}
			out.Deletes = append(out.Deletes, rec)
		}
		for _, patch := range in.Patches {
			rec, err := patchRecord(zone, patch.ID, patch, now)
			if err != nil {
				return nil, err
			}
			out.Patches = append(out.Patches, rec)
		}
		for _, put := range in.Puts {
			rec, err := putRecord(zone, put.ID, put, now)
			if err != nil {
				return nil, err
			}
			out.Puts = append(out.Puts, rec)
		}
		for _, post := range in.Posts {
			rec, err := insertRecord(zone, newRecordID(), post, now)
			if err != nil {
				return nil, err
			}
			out.Posts = append(out.Posts, rec)
		}
		return out, nil
	})
}

// requestZone finds the zone named by the request path.
func requestZone(st *State, r *http.Request) (*Zone, error) {
	zone, ok := st.zone(r.PathValue("zone_id"))
	if !ok {
		return nil, errZoneNotFound(strings.TrimPrefix(r.URL.Path, APIPrefix))
	}
	return zone, nil
}

// insertRecord adds a record built from in to zone. Admin seeding passes its
// own id; the API always mints one.
func insertRecord(zone *Zone, id string, in recordInput, now time.Time) (Record, error) {
	if _, err := recordIndex(zone, id); err == nil {
		return Record{}, errDNSValidation("A record with id " + id + " already exists.")
	}
	rec, err := buildRecord(zone, Record{ID: id}, in, now)
	if err != nil {
		return Record{}, err
	}
	if err := checkConflicts(zone, rec); err != nil {
		return Record{}, err
	}
	zone.Records = append(zone.Records, rec)
	return rec, nil
}

// patchRecord changes only the fields present in in.
func patchRecord(zone *Zone, id string, in recordInput, now time.Time) (Record, error) {
	i, err := recordIndex(zone, id)
	if err != nil {
		return Record{}, err
	}
	rec, err := buildRecord(zone, zone.Records[i], in, now)
	if err != nil {
		return Record{}, err
	}
	if err := checkConflicts(zone, rec); err != nil {
		return Record{}, err
	}
	zone.Records[i] = rec
	return rec, nil
}

// putRecord replaces the record: fields absent from in are reset to their
// defaults. Identity, creation time and the comment/tags change times carry
// over so that an unchanged comment keeps its comment_modified_on.
func putRecord(zone *Zone, id string, in recordInput, now time.Time) (Record, error) {
	i, err := recordIndex(zone, id)
	if err != nil {
		return Record{}, err
	}
	old := zone.Records[i]
	base := Record{
		ID:                old.ID,
		CreatedOn:         old.CreatedOn,
		Comment:           old.Comment,
		CommentModifiedOn: old.CommentModifiedOn,
		Tags:              old.Tags,
		TagsModifiedOn:    old.TagsModifiedOn,
	}
	if in.Comment == nil {
		in.Comment = new(string)
	}
	if in.Tags == nil {
		in.Tags = &[]string{}
	}
	rec, err := buildRecord(zone, base, in, now)
	if err != nil {
		return Record{}, err
	}
	if err := checkConflicts(zone, rec); err != nil {
		return Record{}, err
	}
	zone.Records[i] = rec
	return rec, nil
}

func removeRecord(zone *Zone, id string) (Record, error) {
	i, err := recordIndex(zone, id)
	if err != nil {
		return Record{}, err
	}
	rec := zone.Records[i]
	zone.Records = append(zone.Records[:i], zone.Records[i+1:]...)
	return rec, nil
}
