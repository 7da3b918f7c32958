package dynamo

import (
	"math"
	"reflect"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Usage is what a Store's requests consumed.
type Usage struct {
	// Requests counts DynamoDB API calls, failed ones included.
	Requests int
	// RCU and WCU are read and write capacity units as DynamoDB bills them, computed from the
	// sizes of the items read and written by its published rules (see the package doc).
	RCU, WCU float64
	// ReportedRCU and ReportedWCU add up the ConsumedCapacity the service returned. DynamoDB's
	// agree with RCU and WCU; moto returns a constant per request instead (0.5 for GetItem and
	// UpdateItem, 1 for PutItem and Query, nothing for TransactWriteItems).
	ReportedRCU, ReportedWCU float64
}

// Add returns the sum of two usages.
func (u Usage) Add(v Usage) Usage {
	return Usage{
		Requests:    u.Requests + v.Requests,
		RCU:         u.RCU + v.RCU,
		WCU:         u.WCU + v.WCU,
		ReportedRCU: u.ReportedRCU + v.ReportedRCU,
		ReportedWCU: u.ReportedWCU + v.ReportedWCU,
	}
}

// Sub returns u minus v: the usage between two readings.
func (u Usage) Sub(v Usage) Usage {
	return Usage{
		Requests:    u.Requests - v.Requests,
		RCU:         u.RCU - v.RCU,
		WCU:         u.WCU - v.WCU,
		ReportedRCU: u.ReportedRCU - v.ReportedRCU,
		ReportedWCU: u.ReportedWCU - v.ReportedWCU,
	}
}

// A Meter adds up the Usage of the stores it is attached to (Store.Meter). It is safe for
// concurrent use. A store without a meter computes nothing and asks for no ConsumedCapacity.
type Meter struct {
	mu sync.Mutex
	u  Usage
}

// Usage returns the usage so far.
func (m *Meter) Usage() Usage {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.u
}

func (m *Meter) add(u Usage) {
	m.mu.Lock()
	m.u = m.u.Add(u)
	m.mu.Unlock()
}

// Capacity rules (Amazon DynamoDB Developer Guide, "Read and write operations" and "Item sizes
// and formats"): a read unit is 4 KB strongly consistent, half of that eventually consistent; a
// write unit is 1 KB, and two in a transaction; every request costs at least one unit.
const (
	readUnitSize  = 4096
	writeUnitSize = 1024
)

// readUnits is what reading size bytes in one unit of account (an item for GetItem and
// BatchGetItem, a page for Query) costs.
func readUnits(size int, consistent bool) float64 {
	u := math.Max(1, math.Ceil(float64(size)/readUnitSize))
	if !consistent {
		u /= 2
	}
	return u
}

// writeUnits is what writing, replacing or deleting an item of size bytes costs.
func writeUnits(size int) float64 {
	return math.Max(1, math.Ceil(float64(size)/writeUnitSize))
}

// itemSize is an item's size as DynamoDB counts it: attribute names plus values.
func itemSize(it item) int {
	n := 0
	for name, v := range it {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return numberSize(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range v.Value {
			n += numberSize(s)
		}
		return n
	case *types.AttributeValueMemberBS:
		n := 0
		for _, b := range v.Value {
			n += len(b)
		}
		return n
	}
	return 0
}

// numberSize is one byte per two significant digits plus one.
func numberSize(s string) int {
	s = strings.TrimLeft(s, "-+")
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		s = s[:i]
	}
	s = strings.Replace(s, ".", "", 1)
	s = strings.Trim(s, "0")
	return (len(s)+1)/2 + 1
}

// cost is the capacity a write consumes in the table and in its indexes. A write that fails
// its condition is charged the table part only: nothing reaches the indexes.
type cost struct{ table, index float64 }

func (c cost) plus(d cost) cost { return cost{c.table + d.table, c.index + d.index} }

// charged is what a write that succeeded (ok) or failed its condition is billed.
func (c cost) charged(ok bool) float64 {
	if ok {
		return c.table + c.index
	}
	return c.table
}

// writeCost is what writing an item costs, before being the item as it was (nil: none) and
// after as it is written (nil: deleted): the larger of the two in the table, doubled in a
// transaction, plus the writes to each index the change touches.
func writeCost(before, after item, transactional bool) cost {
	if before == nil && after == nil {
		return cost{} // no item written (a flip without a ping): nothing billed
	}
	u := writeUnits(max(itemSize(before), itemSize(after)))
	if transactional {
		u *= 2
	}
	return cost{u, indexWriteUnits(before, after)}
}

// indexWriteUnits is what keeping the indexes up to date costs. An index entry is written when
// an item enters or changes a projected attribute, deleted when it leaves, and both when its
// index key changes. Index writes are plain writes, in a transaction too.
func indexWriteUnits(before, after item) float64 {
	u := 0.0
	for _, ix := range indexes {
		o, n := indexEntry(ix, before), indexEntry(ix, after)
		switch {
		case o == nil && n == nil:
		case o == nil:
			u += writeUnits(itemSize(n))
		case n == nil:
			u += writeUnits(itemSize(o))
		case !reflect.DeepEqual(o[ix.pk], n[ix.pk]) || !reflect.DeepEqual(o[ix.sk], n[ix.sk]):
			u += writeUnits(itemSize(o)) + writeUnits(itemSize(n))
		case !reflect.DeepEqual(o, n):
			u += writeUnits(max(itemSize(o), itemSize(n)))
		}
	}
	return u
}

// indexEntry is what index ix holds of it, or nil when it is not in the index.
func indexEntry(ix indexSpec, it item) item {
	if it == nil || it[ix.pk] == nil || it[ix.sk] == nil {
		return nil
	}
	if ix.all {
		return it
	}
	return item{
		PartitionKey: it[PartitionKey], SortKey: it[SortKey],
		ix.pk: it[ix.pk], ix.sk: it[ix.sk],
	}
}

// reported adds up the capacity units in ConsumedCapacity results.
func reported(cc ...types.ConsumedCapacity) float64 {
	u := 0.0
	for _, c := range cc {
		if c.CapacityUnits != nil {
			u += *c.CapacityUnits
		}
	}
	return u
}

func reportedOne(cc *types.ConsumedCapacity) float64 {
	if cc == nil {
		return 0
	}
	return reported(*cc)
}

// conditionCheckCost is a transaction's ConditionCheck on a small item: a transactional write
// unit pair, though nothing is written.
var conditionCheckCost = cost{table: 2}
