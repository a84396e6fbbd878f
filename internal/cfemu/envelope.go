package cfemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// envelope is the wrapper every Cloudflare API v4 response uses.
type envelope struct {
	Success    bool        `json:"success"`
	Errors     []errorItem `json:"errors"`
	Messages   []errorItem `json:"messages"`
	Result     any         `json:"result"`
	ResultInfo *resultInfo `json:"result_info,omitempty"`
}

// errorItem is one entry of an envelope's errors or messages array.
type errorItem struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// resultInfo is the pagination block of list responses.
type resultInfo struct {
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	Count      int `json:"count"`
	TotalCount int `json:"total_count"`
	TotalPages int `json:"total_pages"`
}

// listPage is what list handlers return so the envelope carries result_info.
type listPage struct {
	items any
	info  resultInfo
}

// withMessages is what handlers return when the real API adds informational
// messages to a successful response.
type withMessages struct {
	result   any
	messages []errorItem
}

// apiError is an error reported to the client as a Cloudflare error envelope.
type apiError struct {
	status int
	errors []errorItem
}

func (e *apiError) Error() string {
	parts := make([]string, len(e.errors))
	for i, item := range e.errors {
		parts[i] = item.Message
		if item.Code != 0 {
			parts[i] += fmt.Sprintf(" (code %d)", item.Code)
		}
	}
	return strings.Join(parts, "; ")
}

func newAPIError(status, code int, message string) *apiError {
	return &apiError{status: status, errors: []errorItem{{Code: code, Message: message}}}
}

// The error catalogue. Codes and messages marked "seen" were observed in real
// API responses quoted in public bug reports; the others are the closest the
// emulator can get without access to the real API, and use the generic
// "DNS Validation Error" code 1004 where the precise code is unknown.

func errNoRoute() *apiError { return newAPIError(http.StatusNotFound, 7000, "No route for that URI") }

// errZoneNotFound mirrors the real API's answer for an unknown zone identifier (seen).
func errZoneNotFound(path string) *apiError {
	return &apiError{status: http.StatusNotFound, errors: []errorItem{
		{Code: 7003, Message: fmt.Sprintf("Could not route to %s, perhaps your object identifier is invalid?", path)},
		{Code: 7000, Message: "No route for that URI"},
	}}
}

func errAuthentication() *apiError {
	return newAPIError(http.StatusForbidden, 10000, "Authentication error")
}

func errRateLimited() *apiError {
	return newAPIError(http.StatusTooManyRequests, 971, "Please wait and consider throttling your request speed")
}

func errInjectedServerError(status int) *apiError {
	return newAPIError(status, 10001, http.StatusText(status)+" (injected by cfemu)")
}

func errInvalidBody(cause error) *apiError {
	return newAPIError(http.StatusBadRequest, 9207, "Request body is invalid: "+cause.Error())
}

func errRecordNotFound() *apiError { // seen
	return newAPIError(http.StatusNotFound, 81044, "Record does not exist.")
}

func errIdenticalRecord() *apiError { // seen
	return newAPIError(http.StatusBadRequest, 81058, "An identical record already exists.")
}

// errHostTaken is returned when a CNAME would share its name with any other record (seen).
func errHostTaken() *apiError {
	return newAPIError(http.StatusBadRequest, 81053, "An A, AAAA, or CNAME record with that host already exists.")
}

// errHostHasCNAME is returned when a record would share its name with an
// existing CNAME. The real API switched this direction to its own code (seen).
func errHostHasCNAME() *apiError {
	return newAPIError(http.StatusBadRequest, 81054, "A CNAME record with that host already exists.")
}

func errInvalidName() *apiError { // seen
	return newAPIError(http.StatusBadRequest, 9000, "DNS name is invalid.")
}

func errInvalidTTL() *apiError { // code seen; wording follows the current 60..86400 range
	return newAPIError(http.StatusBadRequest, 9021, "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for automatic.")
}

func errNotProxiable() *apiError {
	return newAPIError(http.StatusBadRequest, 9041, "This DNS record cannot be proxied.")
}

func errInvalidContent(recordType string) *apiError {
	switch recordType {
	case "A": // seen
		return newAPIError(http.StatusBadRequest, 9005, "Content for A record must be a valid IPv4 address.")
	case "AAAA":
		return newAPIError(http.StatusBadRequest, 9006, "Content for AAAA record must be a valid IPv6 address.")
	case "CNAME":
		return newAPIError(http.StatusBadRequest, 9007, "Content for CNAME record is invalid.")
	case "MX":
		return newAPIError(http.StatusBadRequest, 9009, "Content for MX record must be a hostname.")
	}
	return errDNSValidation(fmt.Sprintf("Content for %s record is invalid.", recordType))
}

func errDNSValidation(message string) *apiError {
	return newAPIError(http.StatusBadRequest, 1004, "DNS Validation Error: "+message)
}

func errTunnelNotFound() *apiError {
	return newAPIError(http.StatusNotFound, 1000, "Tunnel not found")
}

// errTunnelConfig uses the wording the real API gives for a rejected tunnel
// configuration (seen: "Bad Configuration: Validation failed: ...").
func errTunnelConfig(reason string) *apiError {
	return newAPIError(http.StatusBadRequest, 1055, "Bad Configuration: Validation failed: "+reason)
}

// writeResult writes a successful envelope and returns the status written.
func writeResult(w http.ResponseWriter, result any) int {
	env := envelope{Success: true, Errors: []errorItem{}, Messages: []errorItem{}, Result: result}
	switch r := result.(type) {
	case listPage:
		env.Result, env.ResultInfo = r.items, &r.info
	case withMessages:
		env.Result, env.Messages = r.result, r.messages
	}
	return writeEnvelope(w, http.StatusOK, env)
}

// writeError writes err as an error envelope and returns the status written.
// Errors that are not apiErrors are bugs or I/O failures and become a 500.
func writeError(w http.ResponseWriter, err error) int {
	var apiErr *apiError
	if !errors.As(err, &apiErr) {
		apiErr = newAPIError(http.StatusInternalServerError, 10002, "cfemu internal error: "+err.Error())
	}
	env := envelope{Success: false, Errors: apiErr.errors, Messages: []errorItem{}}
	return writeEnvelope(w, apiErr.status, env)
}

func writeEnvelope(w http.ResponseWriter, status int, env envelope) int {
	writeJSON(w, status, env)
	return status
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"success":false,"errors":[{"code":10002,"message":"cfemu could not encode its response"}],"messages":[],"result":null}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// maxBodyBytes bounds request bodies; large batches stay far below it.
const maxBodyBytes = 10 << 20

// decodeBody decodes a JSON request body into dst.
func decodeBody(r *http.Request, dst any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return errInvalidBody(fmt.Errorf("reading body: %w", err))
	}
	if len(body) > maxBodyBytes {
		return errInvalidBody(errors.New("body too large"))
	}
	if err := json.Unmarshal(body, dst); err != nil {
		return errInvalidBody(err)
	}
	return nil
}
