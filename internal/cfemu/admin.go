package cfemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// The admin API seeds and inspects the emulator. It lives outside the API
// prefix, needs no token, is never subject to faults or the rate limit and is
// not recorded in the request log. It answers plain JSON, not envelopes;
// errors are {"error": "..."}.
//
//	GET    /__admin/health    200 {"status":"ok"}
//	POST   /__admin/zones     {"id"?, "name"} -> the zone; idempotent
//	POST   /__admin/records   {"zone_id", "id"?, <record fields>} or an array of them -> the record(s)
//	POST   /__admin/tunnels   {"account_id", "id"?, "name", "config"?} -> the tunnel; idempotent
//	GET    /__admin/state     the whole State
//	PUT    /__admin/state     replace the whole State (e.g. {} to reset)
//	GET    /__admin/requests  the request log, oldest first
//	DELETE /__admin/requests  clear the request log
//	GET    /__admin/faults    the fault settings in force
//	PUT    /__admin/faults    change the settings present in the body, keep the others
func (s *Server) adminRoutes() {
	s.mux.HandleFunc("GET /__admin/health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.mux.HandleFunc("POST /__admin/zones", s.adminCreateZone)
	s.mux.HandleFunc("POST /__admin/records", s.adminSeedRecords)
	s.mux.HandleFunc("POST /__admin/tunnels", s.adminCreateTunnel)
	s.mux.HandleFunc("GET /__admin/state", s.adminGetState)
	s.mux.HandleFunc("PUT /__admin/state", s.adminPutState)
	s.mux.HandleFunc("GET /__admin/requests", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.requests.list())
	})
	s.mux.HandleFunc("DELETE /__admin/requests", func(w http.ResponseWriter, r *http.Request) {
		s.requests.clear()
		w.WriteHeader(http.StatusNoContent)
	})
	s.mux.HandleFunc("GET /__admin/faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.faults.get())
	})
	s.mux.HandleFunc("PUT /__admin/faults", s.adminPutFaults)
	s.mux.HandleFunc("/__admin/", func(w http.ResponseWriter, r *http.Request) {
		adminError(w, http.StatusNotFound, fmt.Errorf("no admin endpoint %s %s", r.Method, r.URL.Path))
	})
}

// adminZone is the body and answer of POST /__admin/zones.
type adminZone struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (s *Server) adminCreateZone(w http.ResponseWriter, r *http.Request) {
	var in adminZone
	if err := decodeAdminBody(r, &in); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	in.Name = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(in.Name), "."))
	if !isHostname(in.Name, false) || !strings.Contains(in.Name, ".") {
		adminError(w, http.StatusBadRequest, fmt.Errorf("zone name %q is not a domain name", in.Name))
		return
	}
	if in.ID == "" {
		in.ID = newRecordID()
	}
	status := http.StatusOK
	_, err := s.mutate(func(st *State) (any, error) {
		if existing, ok := st.zone(in.ID); ok {
			if existing.Name != in.Name {
				return nil, adminConflict("zone %s already exists with name %q", in.ID, existing.Name)
			}
			return nil, nil
		}
		st.Zones = append(st.Zones, Zone{ID: in.ID, Name: in.Name, Records: []Record{}})
		status = http.StatusCreated
		return nil, nil
	})
	if err != nil {
		adminAPIError(w, err)
		return
	}
	writeJSON(w, status, in)
}

// adminSeedRecord is one record to seed: the API's record fields plus the
// zone and, optionally, a fixed id.
type adminSeedRecord struct {
	ZoneID string `json:"zone_id"`
	recordInput
}

// adminSeedRecords creates records with the API's validation but without
// faults or rate limits. An array is seeded all-or-nothing.
func (s *Server) adminSeedRecords(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	if err != nil {
		adminError(w, http.StatusBadRequest, fmt.Errorf("reading body: %w", err))
		return
	}
	isArray := bytes.HasPrefix(bytes.TrimSpace(body), []byte("["))
	var seeds []adminSeedRecord
	if isArray {
		err = decodeStrict(body, &seeds)
	} else {
		seeds = make([]adminSeedRecord, 1)
		err = decodeStrict(body, &seeds[0])
	}
	if err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	created, err := s.mutate(func(st *State) (any, error) {
		out := make([]Record, 0, len(seeds))
		for i, seed := range seeds {
			zone, ok := st.zone(seed.ZoneID)
			if !ok {
				return nil, &apiError{status: http.StatusNotFound, errors: []errorItem{{Message: fmt.Sprintf(
					"record %d: zone %q does not exist; create it with POST /__admin/zones", i, seed.ZoneID)}}}
			}
			id := seed.ID
			if id == "" {
				id = newRecordID()
			}
			rec, err := insertRecord(zone, id, seed.recordInput, s.now())
			if err != nil {
				return nil, fmt.Errorf("record %d: %w", i, err)
			}
			out = append(out, rec)
		}
		return out, nil
	})
	if err != nil {
		adminAPIError(w, err)
		return
	}
	if isArray {
		writeJSON(w, http.StatusCreated, created)
		return
	}
	writeJSON(w, http.StatusCreated, created.([]Record)[0])
}

// adminTunnel is the body of POST /__admin/tunnels.
type adminTunnel struct {
	AccountID string        `json:"account_id"`
	ID        string        `json:"id"`
	Name      string        `json:"name"`
	Config    *TunnelConfig `json:"config"`
}

// adminCreateTunnel creates a tunnel, at configuration version 1 if a config
// is given and 0 otherwise. An existing tunnel is returned unchanged.
func (s *Server) adminCreateTunnel(w http.ResponseWriter, r *http.Request) {
	var in adminTunnel
	if err := decodeAdminBody(r, &in); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	if in.AccountID == "" {
		adminError(w, http.StatusBadRequest, errors.New("account_id is required"))
		return
	}
	if in.Config != nil {
		if err := validateTunnelConfig(in.Config); err != nil {
			adminAPIError(w, err)
			return
		}
	}
	if in.ID == "" {
		in.ID = newTunnelID()
	}
	status := http.StatusOK
	tunnel, err := s.mutate(func(st *State) (any, error) {
		if existing, ok := st.tunnel(in.AccountID, in.ID); ok {
			return *existing, nil
		}
		now := s.now()
		t := Tunnel{AccountID: in.AccountID, ID: in.ID, Name: in.Name, CreatedAt: now}
		if in.Config != nil {
			t.Config, t.ConfigVersion, t.ConfigCreatedAt = in.Config, 1, &now
		}
		st.Tunnels = append(st.Tunnels, t)
		status = http.StatusCreated
		return t, nil
	})
	if err != nil {
		adminAPIError(w, err)
		return
	}
	writeJSON(w, status, tunnel)
}

func (s *Server) adminGetState(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	data, err := marshalState(s.state)
	s.mu.Unlock()
	if err != nil {
		adminError(w, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(data)
}

// adminPutState replaces the whole state, e.g. to reset between tests.
func (s *Server) adminPutState(w http.ResponseWriter, r *http.Request) {
	var next State
	if err := decodeAdminBody(r, &next); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	next.normalize()
	if err := next.validate(); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	if _, err := s.mutate(func(st *State) (any, error) { *st = next; return nil, nil }); err != nil {
		adminAPIError(w, err)
		return
	}
	s.adminGetState(w, r)
}

func (s *Server) adminPutFaults(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	if err != nil {
		adminError(w, http.StatusBadRequest, fmt.Errorf("reading body: %w", err))
		return
	}
	faults, err := s.faults.update(func(f *Faults) error { return decodeStrict(body, f) })
	if err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, faults)
}

// decodeAdminBody decodes strictly: a misspelt field in a seed is a test bug
// that should fail loudly rather than seed the wrong thing.
func decodeAdminBody(r *http.Request, dst any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	if err != nil {
		return fmt.Errorf("reading body: %w", err)
	}
	return decodeStrict(body, dst)
}

func decodeStrict(body []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("invalid JSON body: %w", err)
	}
	return nil
}

func adminConflict(format string, args ...any) *apiError {
	return &apiError{status: http.StatusConflict, errors: []errorItem{{Message: fmt.Sprintf(format, args...)}}}
}

// adminAPIError reports an error from the shared validation code, keeping its
// status and, for API errors, the Cloudflare code in the message.
func adminAPIError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	var apiErr *apiError
	if errors.As(err, &apiErr) {
		status = apiErr.status
	}
	adminError(w, status, err)
}

func adminError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}
