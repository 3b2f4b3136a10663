package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/tables"
)

// changeStats counts the changes makeChanges made.
type changeStats struct {
	updated, inserted, deleted int
}

func (c changeStats) String() string {
	return fmt.Sprintf("%d updated, %d inserted, %d deleted", c.updated, c.inserted, c.deleted)
}

// maxChangesPerTable bounds the entities makeChanges reads from each
// table, so that the changes stay a small part of the data, as between
// two hourly backups.
const maxChangesPerTable = 200

// makeChanges changes the source account between the full and the
// incremental backup, as an identity server would. Among the first
// entities of each table, every 9th is deleted, every 5th gets a new
// property and every 11th is copied under a new RowKey.
func makeChanges(ctx context.Context, svc *tables.Service, names []string) (changeStats, error) {
	var stats changeStats
	for _, name := range names {
		var page []*entity.Entity
		err := svc.Query(ctx, name, tables.Query{Top: maxChangesPerTable}, func(p tables.Page) error {
			if page == nil {
				page = p.Entities
			}
			return errStop
		})
		if err != nil && !errors.Is(err, errStop) {
			return stats, fmt.Errorf("read %s: %w", name, err)
		}
		for i, e := range page {
			var op tables.Operation
			switch {
			case i%9 == 4:
				op = tables.Operation{Action: tables.Delete, Entity: e}
				stats.deleted++
			case i%5 == 2:
				changed := *e
				changed.Properties = append(append([]entity.Property{}, e.Properties...),
					entity.Property{Name: "DemoRevision", Type: entity.Int32, Value: json.RawMessage("2")})
				op = tables.Operation{Action: tables.Upsert, Entity: &changed}
				stats.updated++
			case i%11 == 7:
				copied := *e
				copied.RowKey = e.RowKey + "-copy"
				op = tables.Operation{Action: tables.Upsert, Entity: &copied}
				stats.inserted++
			default:
				continue
			}
			b := tables.NewBatch(name)
			b.Add(svc.Account().Endpoint, op)
			if err := svc.SubmitBatch(ctx, b); err != nil {
				return stats, fmt.Errorf("change %s %s: %w", name, e.Key(), err)
			}
		}
	}
	return stats, nil
}

// errStop ends a query after its first page.
var errStop = errors.New("first page read")
