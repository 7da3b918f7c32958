package schedule

import (
	"math"
	"math/bits"
	"time"
)

// Both reference libraries walk Python datetimes field by field. The types in
// this file model exactly the parts of Python's datetime that the walks rely
// on: a wall-clock reading, PEP 495's fold, naive versus zone-aware
// arithmetic, and zoneinfo's rules for wall times that a DST transition skips
// or repeats. Results near transitions depend on those rules, so they are
// reproduced rather than approximated with time.Date.

const (
	secondsPerDay = 86400
	// minUnix is 0001-01-01T00:00:00Z, the earliest instant Python's datetime
	// (and the zero time.Time) can hold.
	minUnix = -62135596800
	// maxUnix is 9999-12-31T23:59:59Z, the latest instant Python can hold.
	maxUnix = 253402300799
)

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 {
	m := a % b
	if m != 0 && ((m < 0) != (b < 0)) {
		m += b
	}
	return m
}

// daysFromCivil returns the number of days from 1970-01-01 to y-m-d in the
// proleptic Gregorian calendar (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int64) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func isLeap(y int64) bool {
	return y%4 == 0 && (y%100 != 0 || y%400 == 0)
}

func daysIn(y, m int64) int64 {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// weekday returns the day of the week of a day number, Monday = 0 (Python's
// date.weekday()).
func weekday(days int64) int64 {
	return floorMod(days+3, 7) // 1970-01-01 was a Thursday
}

// date is a calendar day with what the day matchers ask about it.
type date struct {
	n       int64 // days since 1970-01-01
	y, m, d int64
	last    int64 // the number of days in the month
	wd      int64 // Monday = 0
}

func dateOf(n int64) date {
	y, m, d := civilFromDays(n)
	return date{n: n, y: y, m: m, d: d, last: daysIn(y, m), wd: weekday(n)}
}

// inc moves to the following day.
func (t *date) inc() {
	t.n++
	t.wd = (t.wd + 1) % 7
	if t.d++; t.d > t.last {
		t.d = 1
		if t.m++; t.m > 12 {
			t.y, t.m = t.y+1, 1
		}
		t.last = daysIn(t.y, t.m)
	}
}

// period is a stretch of time with one UTC offset, [start, end) in Unix
// seconds, with the offsets in force just before and just after it.
type period struct {
	start, end            int64 // math.MinInt64 / math.MaxInt64 when unbounded
	off, prevOff, nextOff int64
}

// zone answers offset questions for one location, caching the period it
// last looked at. A zone is used by a single Next call, so a Schedule stays
// safe for concurrent use.
type zone struct {
	loc *time.Location
	p   period
	ok  bool
}

func newZone(loc *time.Location) *zone { return &zone{loc: loc} }

func (z *zone) at(u int64) period {
	if z.ok && u >= z.p.start && u < z.p.end {
		return z.p
	}
	t := time.Unix(u, 0).In(z.loc)
	_, off := t.Zone()
	s, e := t.ZoneBounds()
	p := period{start: math.MinInt64, end: math.MaxInt64, off: int64(off), prevOff: int64(off), nextOff: int64(off)}
	if !s.IsZero() {
		p.start = s.Unix()
		_, o := time.Unix(p.start-1, 0).In(z.loc).Zone()
		p.prevOff = int64(o)
	}
	if !e.IsZero() {
		p.end = e.Unix()
		_, o := e.In(z.loc).Zone()
		p.nextOff = int64(o)
	}
	z.p, z.ok = p, true
	return p
}

// fromUTC converts an instant to a wall-clock reading the way Python's
// astimezone does: fold is set on the second occurrence of a repeated time.
func (z *zone) fromUTC(u int64) (wall int64, fold bool) {
	p := z.at(u)
	return u + p.off, p.start != math.MinInt64 && u-p.start < p.prevOff-p.off
}

// toUTC converts a wall-clock reading to an instant with zoneinfo's rules: a
// time in a gap or an overlap uses the offset from before the transition
// when fold is false and the one from after it when fold is true. In wall
// terms a transition at instant T therefore happens at T+max(before, after)
// for fold=0 and at T+min(before, after) for fold=1.
func (z *zone) toUTC(wall int64, fold bool) int64 {
	pick := func(a, b int64) int64 {
		if fold {
			return min(a, b)
		}
		return max(a, b)
	}
	guess := int64(0)
	if z.ok {
		guess = z.p.off
	}
	p := z.at(wall - guess)
	// A few steps at most: each moves one period towards the wall time.
	for range 8 {
		if p.start != math.MinInt64 && wall < p.start+pick(p.prevOff, p.off) {
			p = z.at(p.start - 1)
			continue
		}
		if p.end != math.MaxInt64 && wall >= p.end+pick(p.off, p.nextOff) {
			p = z.at(p.end)
			continue
		}
		break
	}
	return wall - p.off
}

// imaginary reports whether a wall time falls in a spring-forward gap, and
// if so the first wall time after the gap.
func (z *zone) imaginary(wall int64) (bool, int64) {
	u := z.toUTC(wall, false)
	w, _ := z.fromUTC(u)
	if w == wall {
		return false, 0
	}
	p := z.at(u)
	end := p.start + p.off
	if end <= wall {
		end = wall + 1
	}
	return true, end
}

// cursor is the datetime a walk advances. wall counts seconds from
// 1970-01-01T00:00 on the local wall clock. With zone nil the cursor is
// naive (or UTC) and ticks add to the wall clock; otherwise ticks move
// through real instants in zone, as Python does for aware datetimes.
type cursor struct {
	wall int64
	fold bool
	zone *zone
}

func (c *cursor) tick(n int64) {
	if c.zone == nil {
		c.wall += n
		c.fold = false
		return
	}
	c.wall, c.fold = c.zone.fromUTC(c.zone.toUTC(c.wall, c.fold) + n)
}

func (c *cursor) day() int64    { return floorDiv(c.wall, secondsPerDay) }
func (c *cursor) hour() int64   { return floorMod(c.wall, secondsPerDay) / 3600 }
func (c *cursor) minute() int64 { return floorMod(c.wall, 3600) / 60 }
func (c *cursor) second() int64 { return floorMod(c.wall, 60) }

func (c *cursor) date() (y, m, d int64) { return civilFromDays(c.day()) }

// midnight is datetime.combine(day, time()): the start of the day, fold 0.
func (c *cursor) midnight(day int64) {
	c.wall = day * secondsPerDay
	c.fold = false
}

// stepUntil emulates the libraries' inner loops,
//
//	while field not in set: tick(step); if field == 0: break
//
// for the second (step 1, mod 60), minute (60, 60) and hour (3600, 24)
// fields, jumping over ticks that cannot stop the loop instead of taking
// them one at a time.
func (c *cursor) stepUntil(step, mod int64, set uint64) {
	field := func(wall int64) int64 { return floorMod(floorDiv(wall, step), mod) }
	f := field(c.wall)
	for set&(1<<f) == 0 {
		if c.zone == nil {
			c.wall += ticksTo(set, field(c.wall), mod) * step
			c.fold = false
			return
		}
		u := c.zone.toUTC(c.wall, c.fold)
		p := c.zone.at(u)
		k := ticksTo(set, field(u+p.off), mod)
		if u+k*step < p.end {
			// No transition before the stop: the wall clock moves in step.
			c.wall, c.fold = c.zone.fromUTC(u + k*step)
			return
		}
		c.wall, c.fold = c.zone.fromUTC(u + step)
		if f = field(c.wall); f == 0 {
			return
		}
	}
}

// ticksTo counts the ticks from field value f to the next value in set, or
// to the wrap to 0, whichever comes first.
func ticksTo(set uint64, f, mod int64) int64 {
	above := set >> uint(f+1) << uint(f+1)
	above &= 1<<uint(mod) - 1
	if above == 0 {
		return mod - f
	}
	return int64(bits.TrailingZeros64(above)) - f
}

// startCursor positions a walk at instant u in loc. A nil zone means UTC.
// With naive set the walk runs on the wall clock (the libraries' Debian-cron
// emulation); a start in the repeated hour of an autumn transition then
// begins at the end of the repetition, because every wall time before that
// maps (fold=0) to an instant at or before u and would not be "after" it.
func startCursor(u int64, z *zone, naive bool) cursor {
	if z == nil {
		return cursor{wall: u}
	}
	wall, fold := z.fromUTC(u)
	if !naive {
		return cursor{wall: wall, fold: fold, zone: z}
	}
	if fold {
		p := z.at(u)
		wall = p.start + p.prevOff - 1
	}
	return cursor{wall: wall}
}
