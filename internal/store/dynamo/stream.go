package dynamo

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/overduehq/overdue/internal/check"
)

// FlipFromImage decodes an item image from the table's stream (a record's NewImage or
// OldImage, in the SDK's attribute type) into the flip it holds. It reports false, with no
// error, for any item that is not a flip (checks, pings, projects, delivery records, META), so
// that a stream consumer can hand it every record and keep the flips. A flip item that lacks
// its creation time or new status, or whose key is not a flip's, is an error: the item layout
// is this package's, and a consumer must not guess at a damaged one.
func FlipFromImage(image map[string]types.AttributeValue) (*check.Flip, bool, error) {
	pk, sk := stringOf(image[PartitionKey]), stringOf(image[SortKey])
	if !strings.HasPrefix(pk, checkPrefix) || !strings.HasPrefix(sk, flipPrefix) {
		return nil, false, nil
	}
	it, err := unmarshal[flipItem](image)
	if err != nil {
		return nil, false, err
	}
	f := it.flip()
	if _, ok := parseFlipID(f.ID); !ok || f.CheckID == "" {
		return nil, false, fmt.Errorf("flip item %s %s: the key is not a check's flip", pk, sk)
	}
	if f.Created.IsZero() || f.NewStatus == "" {
		return nil, false, fmt.Errorf("flip item %s %s lacks its creation time or new status", pk, sk)
	}
	return f, true, nil
}
