package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/overduehq/overdue/internal/check"
)

// runsFormat is the first byte of an encoded run list, so that the format can change.
const runsFormat = 1

// EncodeRuns packs a check's runs (check.Check.Runs) into the bytes both stores keep on the
// check (SQLite checks.runs, the DynamoDB check item's runs attribute): about 7 bytes a run,
// because on DynamoDB every byte of the check item is paid for on every ping's write. Each run
// is its ping number (after the first, as the step from the one before) shifted left once with
// the failure bit, its end in Unix milliseconds (after the first, as the step from the one
// before) and its duration in milliseconds, each a varint. No runs encode as nil.
func EncodeRuns(runs []check.Run) []byte {
	if len(runs) == 0 {
		return nil
	}
	b := make([]byte, 1, 1+8*len(runs))
	b[0] = runsFormat
	var n, at int64
	for _, r := range runs {
		flag := uint64(0)
		if r.Failed {
			flag = 1
		}
		ms := r.At.UnixMilli()
		b = binary.AppendUvarint(b, uint64(int64(r.N)-n)<<1|flag)
		b = binary.AppendVarint(b, ms-at)
		b = binary.AppendUvarint(b, uint64(r.Duration.Milliseconds()))
		n, at = int64(r.N), ms
	}
	return b
}

// DecodeRuns unpacks what EncodeRuns packed; nil and empty are no runs. Instants come back in
// UTC.
func DecodeRuns(b []byte) ([]check.Run, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if b[0] != runsFormat {
		return nil, fmt.Errorf("decode runs: format %d is not one this build reads", b[0])
	}
	b = b[1:]
	out := make([]check.Run, 0, len(b)/4) // a run takes 4 bytes or more
	var n, at int64
	for len(b) > 0 {
		nf, k1 := binary.Uvarint(b)
		if k1 <= 0 {
			return nil, errCorruptRuns
		}
		dAt, k2 := binary.Varint(b[k1:])
		if k2 <= 0 {
			return nil, errCorruptRuns
		}
		d, k3 := binary.Uvarint(b[k1+k2:])
		if k3 <= 0 {
			return nil, errCorruptRuns
		}
		b = b[k1+k2+k3:]
		n += int64(nf >> 1)
		at += dAt
		out = append(out, check.Run{N: int(n), At: time.UnixMilli(at).UTC(), Failed: nf&1 == 1,
			Duration: time.Duration(d) * time.Millisecond})
	}
	return out, nil
}

// LoadRuns is the Runs and RunsN of a check as a store read them (b from EncodeRuns, n the
// stored count): runs that do not decode are dropped and marked behind (RunsN -1, never equal
// to a ping count), so that readers fall back to the pings and the next write rebuilds them,
// instead of a check that cannot be loaded.
func LoadRuns(b []byte, n int) ([]check.Run, int) {
	runs, err := DecodeRuns(b)
	if err != nil {
		return nil, -1
	}
	return runs, n
}

var errCorruptRuns = errors.New("decode runs: the bytes end inside a run")
