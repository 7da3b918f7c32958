package schedule

import (
	"errors"
	"math/bits"
	"strings"
	"time"
)

// The cron dialect is cronsim 2.7's, which Healthchecks uses: parsing rules,
// error texts and the order in which fields are checked all follow it, so the
// API reports the same "Bad <field>" message Healthchecks would.

type cronField int

const (
	cronSecond cronField = iota
	cronMinute
	cronHour
	cronDay
	cronMonth
	cronDOW
)

var cronFieldNames = [...]string{"second", "minute", "hour", "day-of-month", "month", "day-of-week"}

// cronMax is the largest value of each field; all but day and month start at 0.
var cronMax = [...]int64{59, 59, 23, 31, 12, 7}

var (
	cronDayNames   = strings.Fields("SUN MON TUE WED THU FRI SAT")
	cronMonthNames = strings.Fields("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC")
	// daysInMonthMax is the longest each month can be (February in a leap year).
	daysInMonthMax = [...]int64{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
)

func (f cronField) err() error { return errors.New("Bad " + cronFieldNames[f]) }

func (f cronField) min() int64 {
	if f == cronDay || f == cronMonth {
		return 1
	}
	return 0
}

// cronSet is the parsed form of one field: plain values as bits, plus the
// day-of-month (L, LW) and day-of-week (<dow>L, <dow>#<n>) extensions.
type cronSet struct {
	bits        uint64
	last        bool     // L in day-of-month
	lastWeekday bool     // LW in day-of-month
	lastDOW     uint8    // <dow>L: bit per weekday, Sunday = 0 or 7
	nth         [8]uint8 // <dow>#<n>: bit n of nth[dow]
}

func (s *cronSet) union(o cronSet) {
	s.bits |= o.bits
	s.last = s.last || o.last
	s.lastWeekday = s.lastWeekday || o.lastWeekday
	s.lastDOW |= o.lastDOW
	for i := range s.nth {
		s.nth[i] |= o.nth[i]
	}
}

// onlyExtension reports whether the set is exactly {L} or exactly {LW}.
func (s cronSet) onlyExtension() bool {
	return s.bits == 0 && s.lastDOW == 0 && s.nth == [8]uint8{} && s.last != s.lastWeekday
}

func (s cronSet) size() int {
	n := bits.OnesCount64(s.bits) + bits.OnesCount8(s.lastDOW)
	for _, x := range s.nth {
		n += bits.OnesCount8(x)
	}
	if s.last {
		n++
	}
	if s.lastWeekday {
		n++
	}
	return n
}

// number parses a non-empty run of ASCII digits. Values too large to matter
// saturate rather than overflow.
func number(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var v int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v < 1<<40 {
			v = v*10 + int64(c-'0')
		}
	}
	return v, true
}

func (f cronField) int(s string) (int64, error) {
	if f == cronMonth {
		for i, n := range cronMonthNames {
			if s == n {
				return int64(i + 1), nil
			}
		}
	}
	if f == cronDOW {
		for i, n := range cronDayNames {
			if s == n {
				return int64(i), nil
			}
		}
	}
	v, ok := number(s)
	if !ok || v < f.min() || v > cronMax[f] {
		return 0, f.err()
	}
	return v, nil
}

// parse parses one (upper-cased) field, checking the forms in cronsim's order.
func (f cronField) parse(s string) (cronSet, error) {
	if s == "*" {
		return cronSet{bits: rangeBits(f.min(), cronMax[f], 1)}, nil
	}
	if strings.Contains(s, ",") {
		var out cronSet
		for term := range strings.SplitSeq(s, ",") {
			t, err := f.parse(term)
			if err != nil {
				return cronSet{}, err
			}
			out.union(t)
		}
		return out, nil
	}
	if f == cronDOW && strings.Contains(s, "L") {
		value := s[:len(s)-1]
		if _, ok := number(value); !ok {
			return cronSet{}, f.err()
		}
		dow, err := f.int(value)
		if err != nil {
			return cronSet{}, err
		}
		return cronSet{lastDOW: 1 << dow}, nil
	}
	if f == cronDOW && strings.Contains(s, "#") {
		term, nthText, _ := strings.Cut(s, "#")
		nth, ok := number(nthText)
		if !ok || nth < 1 || nth > 5 {
			return cronSet{}, f.err()
		}
		dow, err := f.int(term)
		if err != nil {
			return cronSet{}, err
		}
		var out cronSet
		out.nth[dow] = 1 << nth
		return out, nil
	}
	if term, stepText, ok := strings.Cut(s, "/"); ok {
		step, ok := number(stepText)
		if !ok || step == 0 {
			return cronSet{}, f.err()
		}
		items, err := f.parse(term)
		if err != nil {
			return cronSet{}, err
		}
		if items.onlyExtension() {
			return items, nil
		}
		if items.size() == 1 {
			// "a/n" runs from a to the end of the field's range.
			start := int64(bits.TrailingZeros64(items.bits))
			return cronSet{bits: rangeBits(start, cronMax[f], step)}, nil
		}
		return cronSet{bits: everyNth(items.bits, step)}, nil
	}
	if a, b, ok := strings.Cut(s, "-"); ok {
		start, err := f.int(a)
		if err != nil {
			return cronSet{}, err
		}
		end, err := f.int(b)
		if err != nil {
			return cronSet{}, err
		}
		if end < start {
			return cronSet{}, f.err()
		}
		return cronSet{bits: rangeBits(start, end, 1)}, nil
	}
	if f == cronDay && s == "LW" {
		return cronSet{lastWeekday: true}, nil
	}
	if f == cronDay && s == "L" {
		return cronSet{last: true}, nil
	}
	v, err := f.int(s)
	if err != nil {
		return cronSet{}, err
	}
	return cronSet{bits: 1 << v}, nil
}

// rangeBits sets every step-th value from start to end inclusive.
func rangeBits(start, end, step int64) uint64 {
	var b uint64
	for v := start; v <= end; v += step {
		b |= 1 << v
	}
	return b
}

// everyNth keeps the 1st, (n+1)th, (2n+1)th... set bit in ascending order.
func everyNth(set uint64, n int64) uint64 {
	var out uint64
	var i int64
	for set != 0 {
		low := set & -set
		if i%n == 0 {
			out |= low
		}
		set &^= low
		i++
	}
	return out
}

// cronExpr is a parsed cron expression.
type cronExpr struct {
	seconds, minutes, hours, months uint64
	days                            cronSet // bits 1..31 plus L / LW
	dows                            cronSet // bits 0..6, Sunday = 0
	// dayAnd: the day-of-month or day-of-week field starts with "*", so both
	// must match (Debian); otherwise either may.
	dayAnd bool
	// fixedTime: a five-field expression whose minute and hour fields do not
	// start with "*". Outside UTC these run on the local wall clock with
	// Debian cron's DST handling. cronsim never applies it to six-field
	// expressions, whatever their seconds field: Debian cron has none.
	fixedTime bool
}

func parseCron(expr string) (*cronExpr, error) {
	parts := pyFields(strings.ToUpper(expr))
	five := len(parts) == 5
	if five {
		parts = append([]string{"0"}, parts...)
	}
	if len(parts) != 6 {
		return nil, ErrFieldCount
	}
	c := &cronExpr{
		dayAnd:    strings.HasPrefix(parts[3], "*") || strings.HasPrefix(parts[5], "*"),
		fixedTime: five && !strings.HasPrefix(parts[1], "*") && !strings.HasPrefix(parts[2], "*"),
	}
	var sets [6]cronSet
	for f := cronSecond; f <= cronDOW; f++ {
		s, err := f.parse(parts[f])
		if err != nil {
			return nil, err
		}
		sets[f] = s
	}
	c.seconds, c.minutes, c.hours = sets[cronSecond].bits, sets[cronMinute].bits, sets[cronHour].bits
	c.days, c.months = sets[cronDay], sets[cronMonth].bits
	c.dows = sets[cronDOW]
	// 7 is another name for Sunday.
	if c.dows.bits&(1<<7) != 0 {
		c.dows.bits = c.dows.bits&^(1<<7) | 1
	}
	if c.dows.lastDOW&(1<<7) != 0 {
		c.dows.lastDOW = c.dows.lastDOW&^(1<<7) | 1
	}
	c.dows.nth[0] |= c.dows.nth[7]
	c.dows.nth[7] = 0

	// A day-of-month that no selected month can have never fires.
	if !c.days.last && !c.days.lastWeekday {
		first := int64(bits.TrailingZeros64(c.days.bits))
		if first > 29 {
			longest := int64(0)
			for m := int64(1); m <= 12; m++ {
				if c.months&(1<<m) != 0 {
					longest = max(longest, daysInMonthMax[m])
				}
			}
			if first > longest {
				return nil, cronDay.err()
			}
		}
	}
	return c, nil
}

// lastWeekday returns the last Monday-to-Friday date of a month.
func lastWeekday(y, m int64) int64 {
	last := daysIn(y, m)
	switch weekday(daysFromCivil(y, m, last)) {
	case 6: // Sunday
		return last - 2
	case 5: // Saturday
		return last - 1
	}
	return last
}

func (c *cronExpr) matchDay(t date) bool {
	dom := c.days.bits&(1<<t.d) != 0 ||
		(c.days.lastWeekday && t.d >= 26 && t.d == lastWeekday(t.y, t.m)) ||
		(c.days.last && t.d == t.last)
	if c.dayAnd && !dom {
		return false
	}
	if !c.dayAnd && dom {
		return true
	}
	dow := (t.wd + 1) % 7 // Sunday = 0
	return c.dows.bits&(1<<dow) != 0 ||
		(c.dows.lastDOW&(1<<dow) != 0 && t.d+7 > t.last) ||
		c.dows.nth[dow]&(1<<((t.d+6)/7)) != 0
}

// next returns cronsim's first result after instant u in loc.
func (c *cronExpr) next(u int64, loc *time.Location) (int64, bool) {
	if loc == time.UTC {
		cur := cursor{wall: u}
		if c.walk(&cur) != walkFound {
			return 0, false
		}
		return cur.wall, true
	}
	z := newZone(loc)
	if c.fixedTime {
		cur := startCursor(u, z, true)
		if c.walk(&cur) != walkFound {
			return 0, false
		}
		// Debian cron runs a job whose time was skipped by a spring-forward
		// transition at the first minute after the gap; an ambiguous time
		// runs at its first occurrence (fold=0).
		for {
			gap, end := z.imaginary(cur.wall)
			if !gap {
				break
			}
			cur.wall += max(1, floorDiv(end-cur.wall+59, 60)) * 60
		}
		return z.toUTC(cur.wall, false), true
	}
	cur := startCursor(u, z, false)
	switch c.walk(&cur) {
	case walkNever:
		return 0, false
	case walkFound:
		if t := z.toUTC(cur.wall, cur.fold); t > u {
			return t, true
		}
	}
	// cronsim's walk went back in time, or round in circles: a transition
	// that is not on the hour (Lord Howe's half-hour shift, Chatham's at
	// :45) or a midnight inside a repeated hour made it restart an hour or
	// a day from a wall time that resolves to an earlier instant. Its
	// answer, if any, lies before u, so search real instants instead.
	return c.nextInstant(u, z)
}

// nextInstant returns the first instant after u whose wall-clock reading in
// z matches, searching one UTC-offset period at a time: within a period the
// wall clock is the instant plus a constant, so a wall-clock walk finds the
// period's first match.
func (c *cronExpr) nextInstant(u int64, z *zone) (int64, bool) {
	for range 200 { // two periods a year for 50 years, with room to spare
		p := z.at(u + 1)
		cur := cursor{wall: u + p.off}
		if c.walk(&cur) != walkFound {
			return 0, false
		}
		if t := cur.wall - p.off; t < p.end {
			return t, true
		}
		u = p.end - 1
	}
	return 0, false
}

// walkLimit bounds the steps of one walk. An honest walk takes at most a
// few per month searched (about 600 for 50 years); cronsim's walk can cycle
// forever when a day starts inside a repeated hour (St John's moved its
// clocks at 00:01 until 2011).
const walkLimit = 5000

// walkResult is how a walk ended.
type walkResult int

const (
	walkFound walkResult = iota
	walkNever            // no match within 50 years
	walkStuck            // cycling; see walkLimit
)

// walk advances cur to cronsim's next match after it, emulating cronsim's
// walk: month, then day, hour, minute and second, each step either
// confirming the field or moving forward and starting over.
func (c *cronExpr) walk(cur *cursor) walkResult {
	cur.tick(1)
	startYear, _, _ := cur.date()
	for range walkLimit {
		c.advanceMonth(cur)
		if y, _, _ := cur.date(); y > startYear+50 {
			return walkNever
		}
		if c.advanceDay(cur) || c.advanceHour(cur) || c.advanceMinute(cur) || c.advanceSecond(cur) {
			continue
		}
		return walkFound
	}
	return walkStuck
}

func (c *cronExpr) advanceMonth(cur *cursor) {
	y, m, _ := cur.date()
	if c.months&(1<<m) != 0 {
		return
	}
	for c.months&(1<<m) == 0 {
		if m++; m > 12 {
			y, m = y+1, 1
		}
	}
	cur.midnight(daysFromCivil(y, m, 1))
}

func (c *cronExpr) advanceDay(cur *cursor) bool {
	t := dateOf(cur.day())
	if c.matchDay(t) {
		return false
	}
	for !c.matchDay(t) {
		if t.inc(); t.d == 1 {
			// A new month: let the walk re-check the month.
			break
		}
	}
	cur.midnight(t.n)
	return true
}

func (c *cronExpr) advanceHour(cur *cursor) bool {
	if c.hours&(1<<cur.hour()) != 0 {
		return false
	}
	cur.wall -= floorMod(cur.wall, 3600) // replace(minute=0, second=0)
	cur.stepUntil(3600, 24, c.hours)
	return true
}

func (c *cronExpr) advanceMinute(cur *cursor) bool {
	minute := cur.minute()
	if c.minutes&(1<<minute) != 0 {
		return false
	}
	cur.wall -= cur.second()
	if bits.OnesCount64(c.minutes) == 1 {
		// cronsim jumps straight to a lone minute with one tick, even across
		// a DST transition; taking the same jump keeps results identical.
		target := int64(bits.TrailingZeros64(c.minutes))
		cur.tick(floorMod(target-minute, 60) * 60)
	}
	cur.stepUntil(60, 60, c.minutes)
	return true
}

func (c *cronExpr) advanceSecond(cur *cursor) bool {
	second := cur.second()
	if c.seconds&(1<<second) != 0 {
		return false
	}
	if bits.OnesCount64(c.seconds) == 1 {
		target := int64(bits.TrailingZeros64(c.seconds))
		cur.tick(floorMod(target-second, 60))
	}
	cur.stepUntil(1, 60, c.seconds)
	return true
}
