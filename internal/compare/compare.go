// Package compare checks that tables in two storage accounts contain the same
// entities: the same keys, and for each entity the same property names, EDM
// types and raw JSON values. The service-maintained Timestamp is ignored,
// because a restore always gives entities a new one.
//
// The two sides are called A and B in reports, in the order they are
// passed.
package compare

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/tables"
)

// MaxListed is the number of differences a TableReport lists. Beyond it,
// differences are only counted, so that a table restored into the wrong
// account does not produce a line per entity.
const MaxListed = 50

// Kind classifies a difference.
type Kind int

// Kinds of differences.
const (
	// TableMissing is a table that does not exist on one side or on either.
	TableMissing Kind = iota
	EntityOnlyInA
	EntityOnlyInB
	PropertyOnlyInA
	PropertyOnlyInB
	// TypeDiffers is a property with the same name but another EDM type,
	// such as an Int32 on one side and an Int64 on the other.
	TypeDiffers
	// ValueDiffers is a property of the same type whose raw JSON value
	// differs, such as 5.0 on one side and 5 on the other.
	ValueDiffers
)

func (k Kind) String() string {
	switch k {
	case TableMissing:
		return "table missing"
	case EntityOnlyInA:
		return "entity only in A"
	case EntityOnlyInB:
		return "entity only in B"
	case PropertyOnlyInA:
		return "property only in A"
	case PropertyOnlyInB:
		return "property only in B"
	case TypeDiffers:
		return "type differs"
	case ValueDiffers:
		return "value differs"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Difference is one way in which the two sides of a table differ.
type Difference struct {
	Table string
	Kind  Kind
	// Key is the entity that differs. It is the zero Key for TableMissing.
	Key entity.Key
	// Property is the name of the property that differs, or empty when the
	// difference is about a whole entity or table.
	Property string
	// Detail describes the difference, such as
	// "type Edm.Int32 in A, Edm.Int64 in B".
	Detail string
}

func (d Difference) String() string {
	s := fmt.Sprintf("table %q", d.Table)
	if d.Kind != TableMissing {
		s += ": " + d.Key.String()
	}
	if d.Property != "" {
		s += fmt.Sprintf(": property %q", d.Property)
	}
	return s + ": " + d.Detail
}

// TableReport is the result of comparing one table.
type TableReport struct {
	Name string
	// EntitiesA and EntitiesB count the entities read from each side.
	EntitiesA, EntitiesB int
	// DifferenceCount counts every difference found. Differences lists the
	// first MaxListed of them.
	DifferenceCount int
	Differences     []Difference
}

// Identical reports whether both sides of the table contain the same
// entities.
func (t *TableReport) Identical() bool { return t.DifferenceCount == 0 }

func (t *TableReport) add(d Difference) {
	d.Table = t.Name
	t.DifferenceCount++
	if len(t.Differences) < MaxListed {
		t.Differences = append(t.Differences, d)
	}
}

// Report is the result of comparing several tables, in the order they were
// named.
type Report struct {
	Tables []TableReport
}

// Identical reports whether every table compared is identical.
func (r Report) Identical() bool {
	for i := range r.Tables {
		if !r.Tables[i].Identical() {
			return false
		}
	}
	return true
}

// Entities returns the number of entities read from side A and from side
// B over all tables.
func (r Report) Entities() (a, b int) {
	for _, t := range r.Tables {
		a += t.EntitiesA
		b += t.EntitiesB
	}
	return a, b
}

// DifferenceCount returns the number of differences over all tables.
func (r Report) DifferenceCount() int {
	n := 0
	for _, t := range r.Tables {
		n += t.DifferenceCount
	}
	return n
}

// Differences returns the listed differences of every table.
func (r Report) Differences() []Difference {
	var out []Difference
	for _, t := range r.Tables {
		out = append(out, t.Differences...)
	}
	return out
}

// Entities compares two in-memory versions of a table. Keys must be unique
// within each side. A key that appears twice in b is reported as an entity
// only in B.
func Entities(table string, a, b []*entity.Entity) TableReport {
	c := newTableComparer(table)
	for _, e := range a {
		c.addA(e)
	}
	for _, e := range b {
		c.checkB(e)
	}
	return c.finish()
}

// tableComparer compares one table by keeping side A in memory and
// checking side B against it entity by entity, so that only one side's
// entities are in memory at a time.
type tableComparer struct {
	report TableReport
	// pending contains the entities of A that no entity of B has matched yet.
	pending map[entity.Key]*entity.Entity
}

func newTableComparer(table string) *tableComparer {
	return &tableComparer{
		report:  TableReport{Name: table},
		pending: make(map[entity.Key]*entity.Entity),
	}
}

func (c *tableComparer) addA(e *entity.Entity) {
	c.report.EntitiesA++
	c.pending[e.Key()] = e
}

func (c *tableComparer) checkB(e *entity.Entity) {
	c.report.EntitiesB++
	a, ok := c.pending[e.Key()]
	if !ok {
		c.report.add(Difference{Kind: EntityOnlyInB, Key: e.Key(), Detail: "entity not found in A"})
		return
	}
	delete(c.pending, e.Key())
	compareProperties(&c.report, a, e)
}

// finish reports every entity of A that B lacked, in key order, and
// returns the report.
func (c *tableComparer) finish() TableReport {
	keys := make([]entity.Key, 0, len(c.pending))
	for k := range c.pending {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y entity.Key) int {
		return cmp.Or(cmp.Compare(x.PartitionKey, y.PartitionKey), cmp.Compare(x.RowKey, y.RowKey))
	})
	for _, k := range keys {
		c.report.add(Difference{Kind: EntityOnlyInA, Key: k, Detail: "entity not found in B"})
	}
	return c.report
}

// compareProperties reports each property that differs between two
// entities with the same key. Property order does not matter.
func compareProperties(report *TableReport, a, b *entity.Entity) {
	key := a.Key()
	for _, pa := range a.Properties {
		pb, ok := b.Property(pa.Name)
		switch {
		case !ok:
			report.add(Difference{Kind: PropertyOnlyInA, Key: key, Property: pa.Name,
				Detail: fmt.Sprintf("%s %s in A, missing in B", pa.Type, preview(pa.Value))})
		case pa.Type != pb.Type:
			report.add(Difference{Kind: TypeDiffers, Key: key, Property: pa.Name,
				Detail: fmt.Sprintf("type %s in A, %s in B (values %s and %s)", pa.Type, pb.Type, preview(pa.Value), preview(pb.Value))})
		case !bytes.Equal(pa.Value, pb.Value):
			report.add(Difference{Kind: ValueDiffers, Key: key, Property: pa.Name,
				Detail: fmt.Sprintf("%s value %s in A, %s in B", pa.Type, preview(pa.Value), preview(pb.Value))})
		}
	}
	for _, pb := range b.Properties {
		if _, ok := a.Property(pb.Name); !ok {
			report.add(Difference{Kind: PropertyOnlyInB, Key: key, Property: pb.Name,
				Detail: fmt.Sprintf("missing in A, %s %s in B", pb.Type, preview(pb.Value))})
		}
	}
}

// maxPreview is the number of bytes of a value that a message shows.
const maxPreview = 60

func preview(raw []byte) string {
	if len(raw) <= maxPreview {
		return string(raw)
	}
	// Cut at a character boundary so that the message stays valid UTF-8.
	end := maxPreview
	for end > 0 && !utf8.RuneStart(raw[end]) {
		end--
	}
	return fmt.Sprintf("%s… (%d bytes)", raw[:end], len(raw))
}

// Accounts compares the named tables of two accounts by reading every
// entity of each table from both. A table that exists in neither or in
// only one account is a TableMissing difference, not an error. It returns
// an error when a query fails for another reason or ctx ends.
func Accounts(ctx context.Context, a, b *tables.Service, tableNames []string) (Report, error) {
	var r Report
	for _, name := range tableNames {
		t, err := Table(ctx, a, b, name)
		if err != nil {
			return r, err
		}
		r.Tables = append(r.Tables, t)
	}
	return r, nil
}

// Table compares one table of two accounts. Side A is held in memory while
// side B is read page by page.
func Table(ctx context.Context, a, b *tables.Service, name string) (TableReport, error) {
	c := newTableComparer(name)

	missingA, err := queryAll(ctx, a, name, c.addA)
	if err != nil {
		return c.report, fmt.Errorf("compare table %q: account A: %w", name, err)
	}
	if missingA {
		// Count B's entities without listing each as only in B, because
		// the missing table is the one difference that matters.
		missingB, err := queryAll(ctx, b, name, func(*entity.Entity) { c.report.EntitiesB++ })
		if err != nil {
			return c.report, fmt.Errorf("compare table %q: account B: %w", name, err)
		}
		detail := "table not found in A"
		if missingB {
			detail = "table not found in A or B"
		}
		c.report.add(Difference{Kind: TableMissing, Detail: detail})
		return c.report, nil
	}

	missingB, err := queryAll(ctx, b, name, c.checkB)
	if err != nil {
		return c.report, fmt.Errorf("compare table %q: account B: %w", name, err)
	}
	if missingB {
		c.report.add(Difference{Kind: TableMissing, Detail: "table not found in B"})
		return c.report, nil
	}
	return c.finish(), nil
}

// queryAll calls fn with every entity of the table and reports whether the
// table does not exist.
func queryAll(ctx context.Context, svc *tables.Service, table string, fn func(*entity.Entity)) (missing bool, err error) {
	err = svc.Query(ctx, table, tables.Query{}, func(p tables.Page) error {
		for _, e := range p.Entities {
			fn(e)
		}
		return nil
	})
	if tables.IsCode(err, "TableNotFound") || tables.IsCode(err, "ResourceNotFound") {
		return true, nil
	}
	return false, err
}
