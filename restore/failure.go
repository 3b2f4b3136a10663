package restore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/tables"
)

// errUndeletable marks the failure of a clean restore to delete some
// entities of a table, after which nothing is written into it.
var errUndeletable = errors.New("entities could not be deleted")

// codeNoResponse is the code of an entity whose batch got no complete
// response from a service that responds to other requests.
const codeNoResponse = "NoResponse"

// isTableFailure reports whether err stops only the table it happened to,
// so that the restore can go on with the others. That is the case when the
// service rejected a request about the table after every retry, or gave no
// response to it while it still responds to other requests. Anything else
// stops the restore: an unreachable service, a rejected credential, a
// paging fault, a local file error or the end of ctx.
func isTableFailure(ctx context.Context, svc *tables.Service, err error) bool {
	if ctx.Err() != nil || errors.Is(err, tables.ErrRepeatedContinuation) {
		return false
	}
	if errors.Is(err, errUndeletable) {
		return true
	}
	var se *tables.ServiceError
	var be *tables.BatchError
	switch {
	case errors.As(err, &be):
		se = &be.ServiceError
	case !errors.As(err, &se):
		return false
	}
	if se.Unreachable {
		return svc.Reachable(ctx)
	}
	// A rejected credential or missing permission fails every table the
	// same way, so it stops the restore instead of naming every entity.
	if se.StatusCode == http.StatusUnauthorized || se.StatusCode == http.StatusForbidden {
		return false
	}
	return se.StatusCode != 0
}

// notRestored handles an error that stopped table before any entity of
// the backup was written to it. A failure of this table alone names every
// line of its files as not written and returns no error, so that the
// other tables go on and the restore ends as a partial success. Any other
// error is returned as it is.
func notRestored(ctx context.Context, opts Options, src *source, table string, result TableResult, err error, log zerolog.Logger) (TableResult, []FailedEntity, error) {
	if !isTableFailure(ctx, opts.Service, err) {
		return result, nil, err
	}
	code := errorCode(err)
	if code == "RequestFailed" && isUnreachable(err) {
		code = codeNoResponse
	}
	message := "table not restored: " + err.Error()
	var failed []FailedEntity
	for _, s := range src.chain {
		info, ok := s.table(table)
		if !ok {
			continue
		}
		deleted, _ := s.deletes(table)
		for _, name := range []string{info.File, deleted} {
			if name == "" {
				continue
			}
			listed, lerr := listLines(s, table, name, opts, func(line int64, key entity.Key) FailedEntity {
				return FailedEntity{Table: table, File: src.file(s, name), Line: line, Key: key, Code: code, Message: message}
			})
			failed = append(failed, listed...)
			if lerr != nil {
				return result, failed, fmt.Errorf("restore table %q: %w; list the entities not written from %s: %w", table, err, src.file(s, name), lerr)
			}
		}
	}
	result.Failed += int64(len(failed))
	log.Error().Err(err).Int64("failed", int64(len(failed))).Msg("table not restored; every entity of its files is named as not written, and the other tables go on")
	return result, failed, nil
}

func isUnreachable(err error) bool {
	var se *tables.ServiceError
	var be *tables.BatchError
	return (errors.As(err, &se) && se.Unreachable) || (errors.As(err, &be) && be.Unreachable)
}

// listLines reads the lines of table in the data file name of the backup s
// and returns an entry made by entry for each line.
func listLines(s *step, table, name string, opts Options, entry func(line int64, key entity.Key) FailedEntity) ([]FailedEntity, error) {
	d, err := openData(s, table, name, opts.Keys, opts.LegacyTypes)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	var out []FailedEntity
	for {
		e, line, err := d.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("%w: %v", errChanged, err)
		}
		out = append(out, entry(line, e.Key()))
	}
}
