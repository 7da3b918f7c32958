package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// The dependency graph's version. Two updates that each add a parent can together close a
// cycle (A gains B while B gains A) though each, read alone, closes none: the checks are
// separate items, so the check's own version condition cannot see the other. So every update
// that adds a parent also bumps one small item per project, PROJECT#<id>/GRAPH (attribute gv,
// a counter; absent: 0), on the condition that it still holds the number read before the
// graph was: of two such updates that read the same graph, one loses and is decided again on
// the graph the other left. Updates that add no parent, pings, the sweep and deletes (which
// only remove edges) never touch it.
//
// No data-model step: older builds never read the item, and it changes nothing they write. It
// sits in the project's partition, so DeleteProject's last sweep of the partition (this build's
// and older ones') takes it along. An older build running during a deploy updates depends_on
// without it, as it always did, so the guard holds from the moment only this build writes.

// graphSK is the sort key of a project's graph version.
const graphSK = "GRAPH"

// maxGraphAttempts bounds how often an update that adds a parent is decided again because
// another one came first, before UpdateDependencies gives up with store.ErrConflict.
const maxGraphAttempts = 5

// errGraphLost is writeCheck's answer when the graph version moved since it was read.
var errGraphLost = fmt.Errorf("%w: the project's dependency graph changed", errLost)

func graphKey(projectID string) item { return key(projectPrefix+projectID, graphSK) }

// graphRead is one attempt's view of a project's graph: the version, read before any check of
// the graph (so a change after it makes the write lose), and the checks read through it.
type graphRead struct {
	s         *Store
	ctx       context.Context
	projectID string
	version   int64
	read      bool // version read
}

// ensureVersion reads the graph version once per attempt, strongly consistent.
func (g *graphRead) ensureVersion() error {
	if g.read {
		return nil
	}
	m, err := g.s.get(g.ctx, graphKey(g.projectID), true)
	if err != nil {
		return fmt.Errorf("read the dependency graph version of project %s: %w", g.projectID, err)
	}
	g.version = 0
	if v, ok := m["gv"]; ok {
		if g.version, err = numberOf(v); err != nil {
			return fmt.Errorf("read the dependency graph version of project %s: %w", g.projectID, err)
		}
	}
	g.read = true
	return nil
}

// check is the store.Graph: a check read strongly consistent, after the version.
func (g *graphRead) check(id string) (*check.Check, error) {
	if err := g.ensureVersion(); err != nil {
		return nil, err
	}
	m, err := g.s.get(g.ctx, checkKey(id), true)
	if err != nil {
		return nil, fmt.Errorf("load check %s: %w", id, err)
	}
	if m == nil {
		return nil, fmt.Errorf("load check %s: %w", id, store.ErrNotFound)
	}
	it, err := unmarshal[checkItem](m)
	if err != nil {
		return nil, fmt.Errorf("load check %s: %w", id, err)
	}
	return it.check(), nil
}

// bump is the transaction item that moves the version on from the one read.
func (g *graphRead) bump() (*types.TransactWriteItem, error) {
	if err := g.ensureVersion(); err != nil {
		return nil, err
	}
	cond := "#gv = :read"
	values := item{":next": num(g.version + 1), ":read": num(g.version)}
	if g.version == 0 {
		cond = "attribute_not_exists(#gv)"
		delete(values, ":read")
	}
	return &types.TransactWriteItem{Update: &types.Update{
		Key:                       graphKey(g.projectID),
		UpdateExpression:          aws.String("SET #gv = :next"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  map[string]string{"#gv": "gv"},
		ExpressionAttributeValues: values,
	}}, nil
}

// UpdateDependencies is UpdateCheck for an update that may add parents (store.Store): fn's
// Graph reads checks strongly consistent, after the project's graph version, and a write that
// adds a parent bumps that version in the same transaction, on the condition that it is still
// the one read. Losing it calls fn again on the check and graph as they are then, after a
// backoff; after maxGraphAttempts losses it is store.ErrConflict. A write that adds no parent
// goes as UpdateCheck's does.
func (s *Store) UpdateDependencies(ctx context.Context, id string, fn func(c *check.Check, g store.Graph) (store.Change, error)) (*check.Check, error) {
	var g *graphRead
	return s.updateCheck(ctx, id, func(c *check.Check) (store.Change, error) {
		g = &graphRead{s: s, ctx: ctx, projectID: c.ProjectID} // each attempt reads afresh
		return fn(c, g.check)
	}, func(prevDeps []string, c *check.Check) (*types.TransactWriteItem, error) {
		if !store.AddsParent(prevDeps, c.DependsOn) {
			return nil, nil
		}
		return g.bump()
	})
}
