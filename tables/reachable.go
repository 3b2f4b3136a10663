package tables

import (
	"context"
	"errors"
	"net/http"
	"net/url"
)

// Reachable reports whether the service responds to a request, with any
// status, after the usual retries. Callers use it to tell a failure of
// their own requests, such as those about one table, from a service that
// cannot be reached at all. It lists at most one table, the cheapest
// request that names no table.
func (s *Service) Reachable(ctx context.Context) bool {
	req, err := s.newRequest(ctx, http.MethodGet, "Tables", url.Values{"$top": {"1"}})
	if err != nil {
		return false
	}
	resp, err := s.do(req, "list tables", http.StatusOK)
	if err == nil {
		resp.Body.Close()
		return true
	}
	var se *ServiceError
	return errors.As(err, &se) && !se.Unreachable && se.StatusCode != 0
}
