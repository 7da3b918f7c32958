package schedule

import (
	"errors"
	"math/bits"
	"strings"
	"time"
)

// The OnCalendar dialect is that of the Python oncalendar library (1.1),
// which Healthchecks uses: a subset of systemd.time(7) calendar events with
// the library's parsing rules and error texts.

// calMaxYear ends iteration: systemd (and the library) stop at year 2200.
const calMaxYear = 2200

type calField int

const (
	calDOW calField = iota
	calYear
	calMonth
	calDay
	calHour
	calMinute
	calSecond
)

var calFieldNames = [...]string{"day-of-week", "year", "month", "day-of-month", "hour", "minute", "second"}

// calRange is each field's valid values, inclusive.
var calRange = [...][2]int64{{0, 6}, {1970, calMaxYear - 1}, {1, 12}, {1, 31}, {0, 23}, {0, 59}, {0, 59}}

// calBase is the value of bit 0 in a field's calSet. Days go down to -31
// because "~n" (the n-th day from the end of the month) is stored as -n.
var calBase = [...]int64{0, 1970, 0, -31, 0, 0, 0}

var (
	calDayNames      = strings.Fields("MONDAY TUESDAY WEDNESDAY THURSDAY FRIDAY SATURDAY SUNDAY")
	calShortDayNames = strings.Fields("MON TUE WED THU FRI SAT SUN")
	calSpecials      = map[string]string{
		"minutely":     "*-*-* *:*:00",
		"hourly":       "*-*-* *:00:00",
		"daily":        "*-*-* 00:00:00",
		"monthly":      "*-*-01 00:00:00",
		"weekly":       "Mon *-*-* 00:00:00",
		"yearly":       "*-01-01 00:00:00",
		"annually":     "*-01-01 00:00:00",
		"quarterly":    "*-01,04,07,10-01 00:00:00",
		"semiannually": "*-01,07-01 00:00:00",
	}
)

func (f calField) err() error { return errors.New("Bad " + calFieldNames[f]) }

// calSet is a set of field values, value v at bit v-calBase[field].
type calSet [4]uint64

func (s *calSet) add(f calField, v int64) {
	i := v - calBase[f]
	s[i/64] |= 1 << (i % 64)
}

func (s *calSet) has(f calField, v int64) bool {
	i := v - calBase[f]
	if i < 0 || i >= 256 {
		return false
	}
	return s[i/64]&(1<<(i%64)) != 0
}

func (s *calSet) union(o calSet) {
	for i := range s {
		s[i] |= o[i]
	}
}

func (s *calSet) size() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}

// values lists the set in ascending order.
func (s *calSet) values(f calField) []int64 {
	var out []int64
	for i, w := range s {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			out = append(out, int64(i*64+b)+calBase[f])
			w &^= 1 << b
		}
	}
	return out
}

// word returns the 64 bits of the set from value lo upwards, for fields whose
// values all fit in one word.
func (s *calSet) word(f calField, lo int64) uint64 {
	var out uint64
	for v := lo; v < lo+64; v++ {
		if s.has(f, v) {
			out |= 1 << (v - lo)
		}
	}
	return out
}

func (f calField) full() calSet {
	var s calSet
	for v := calRange[f][0]; v <= calRange[f][1]; v++ {
		s.add(f, v)
	}
	return s
}

func (f calField) int(s string) (int64, error) {
	if f == calDOW {
		s = strings.ToUpper(s)
		for i := range calDayNames {
			if s == calDayNames[i] || s == calShortDayNames[i] {
				return int64(i), nil
			}
		}
		return 0, f.err()
	}
	v, ok := number(s)
	if !ok {
		return 0, f.err()
	}
	if f == calYear && v < 70 {
		v += 2000
	}
	if f == calYear && v < 100 {
		v += 1900
	}
	if v < calRange[f][0] || v > calRange[f][1] {
		return 0, f.err()
	}
	return v, nil
}

// parse parses one component, checking the forms in the library's order.
// reverse is set inside a "~" day-of-month.
func (f calField) parse(s string, reverse bool) (calSet, error) {
	if f == calDay && strings.HasPrefix(s, "~") {
		return f.parse(s[1:], true)
	}
	if f != calDOW && s == "*" {
		return f.full(), nil
	}
	if strings.Contains(s, "*") {
		// "*" is not allowed in lists, ranges or steps.
		return calSet{}, f.err()
	}
	if f == calDOW && strings.HasSuffix(s, ",") {
		// "Mon, 12:00" is accepted as "Mon 12:00".
		return f.parse(s[:len(s)-1], false)
	}
	if f == calDOW && strings.Contains(s, "-") {
		// "Mon-Fri" means "Mon..Fri".
		return f.parse(strings.ReplaceAll(s, "-", ".."), false)
	}
	if strings.Contains(s, ",") {
		var out calSet
		for term := range strings.SplitSeq(s, ",") {
			t, err := f.parse(term, reverse)
			if err != nil {
				return calSet{}, err
			}
			out.union(t)
		}
		return out, nil
	}
	if term, stepText, ok := strings.Cut(s, "/"); ok && f != calDOW {
		step, ok := number(stepText)
		if !ok || step == 0 {
			return calSet{}, f.err()
		}
		items, err := f.parse(term, reverse)
		if err != nil {
			return calSet{}, err
		}
		var out calSet
		if items.size() == 1 {
			// "a/n" runs to the end of the range (to day 0 when reversed).
			start := items.values(f)[0]
			end := calRange[f][1]
			if reverse {
				end = 0
			}
			for v := start; v <= end; v += step {
				out.add(f, v)
			}
			return out, nil
		}
		for i, v := range items.values(f) {
			if int64(i)%step == 0 {
				out.add(f, v)
			}
		}
		return out, nil
	}
	if a, b, ok := strings.Cut(s, ".."); ok {
		start, err := f.int(a)
		if err != nil {
			return calSet{}, err
		}
		end, err := f.int(b)
		if err != nil {
			return calSet{}, err
		}
		if end < start {
			return calSet{}, f.err()
		}
		if reverse {
			start, end = -end, -start
		}
		var out calSet
		for v := start; v <= end; v++ {
			out.add(f, v)
		}
		return out, nil
	}
	v, err := f.int(s)
	if err != nil {
		return calSet{}, err
	}
	if reverse {
		// systemd rejects "~" days above 28.
		if v > 28 {
			return calSet{}, f.err()
		}
		v = -v
	}
	var out calSet
	out.add(f, v)
	return out, nil
}

// calExpr is one parsed OnCalendar line.
type calExpr struct {
	loc     *time.Location // the line's own zone; nil means the schedule's
	years   calSet
	months  uint64 // bits 1..12
	days    uint64 // bits 1..31
	revDays uint64 // bit n: the n-th day from the end of the month (~n)
	dows    uint64 // bits 0..6, Monday = 0
	hours   uint64
	minutes uint64
	seconds uint64
}

// parseCalLine parses one line of an OnCalendar expression, including an
// optional trailing time zone.
func parseCalLine(line string) (*calExpr, error) {
	c := &calExpr{}
	line = strings.TrimFunc(line, isPySpace)
	if strings.Contains(line, " ") {
		head, last := rsplitField(line)
		if loc := calZone(last); loc != nil {
			line, c.loc = head, loc
		}
	}
	if !strings.ContainsRune(line, 'İ') { // Python lowercases it to two runes
		if s, ok := calSpecials[strings.ToLower(line)]; ok {
			line = s
		}
	}
	parts := pyFields(strings.ReplaceAll(line, "~", "-~"))
	if len(parts) == 0 {
		return nil, ErrFieldCount
	}

	hours, minutes, seconds := calSet{}, calSet{}, calSet{}
	hours.add(calHour, 0)
	minutes.add(calMinute, 0)
	seconds.add(calSecond, 0)
	if last := parts[len(parts)-1]; strings.Contains(last, ":") {
		parts = parts[:len(parts)-1]
		tp := strings.Split(last, ":")
		if len(tp) != 2 && len(tp) != 3 {
			return nil, errors.New("Bad time")
		}
		if len(tp) == 2 {
			tp = append(tp, "0")
		}
		var err error
		if hours, err = calHour.parse(tp[0], false); err != nil {
			return nil, err
		}
		if minutes, err = calMinute.parse(tp[1], false); err != nil {
			return nil, err
		}
		if seconds, err = calSecond.parse(tp[2], false); err != nil {
			return nil, err
		}
	}

	years, months, days := calYear.full(), calMonth.full(), calDay.full()
	if n := len(parts); n > 0 && strings.Contains(parts[n-1], "-") && strings.IndexByte("0123456789*", parts[n-1][0]) >= 0 {
		dp := strings.Split(parts[n-1], "-")
		parts = parts[:n-1]
		if len(dp) != 2 && len(dp) != 3 {
			return nil, errors.New("Bad date")
		}
		if len(dp) == 2 {
			dp = append([]string{"*"}, dp...)
		}
		var err error
		if years, err = calYear.parse(dp[0], false); err != nil {
			return nil, err
		}
		if months, err = calMonth.parse(dp[1], false); err != nil {
			return nil, err
		}
		if days, err = calDay.parse(dp[2], false); err != nil {
			return nil, err
		}
	}

	dows := calDOW.full()
	if len(parts) > 0 {
		var err error
		if dows, err = calDOW.parse(parts[0], false); err != nil {
			return nil, err
		}
		parts = parts[1:]
	}
	if len(parts) > 0 {
		return nil, ErrFieldCount
	}

	c.years = years
	c.months = months.word(calMonth, 0)
	c.days = days.word(calDay, 0)
	c.revDays = bits.Reverse64(days.word(calDay, -63)) // bit n <- value -n
	c.dows = dows.word(calDOW, 0)
	c.hours = hours.word(calHour, 0)
	c.minutes = minutes.word(calMinute, 0)
	c.seconds = seconds.word(calSecond, 0)
	return c, nil
}

// calZone returns the zone a line's last word names, or nil if it names none.
func calZone(name string) *time.Location {
	if strings.IndexByte("0123456789*", name[0]) >= 0 {
		return nil
	}
	loc, err := loadZone(name)
	if err != nil {
		return nil
	}
	return loc
}

func (c *calExpr) matchDay(t date) bool {
	return c.dows&(1<<t.wd) != 0 &&
		(c.days&(1<<t.d) != 0 || c.revDays&(1<<(t.last-t.d+1)) != 0)
}

// next returns the library's first result after instant u, emulating its
// walk (year, month, day, hour, minute, second) on the local wall clock of
// the line's zone. Wall times skipped by a spring-forward transition are
// skipped; repeated ones are taken once, at their first occurrence.
func (c *calExpr) next(u int64, loc *time.Location) (int64, bool) {
	if c.loc != nil {
		loc = c.loc
	}
	var z *zone
	if loc != time.UTC {
		z = newZone(loc)
	}
	cur := startCursor(u, z, true)
	cur.tick(1)
	for {
		c.advanceYear(&cur)
		if y, _, _ := cur.date(); y >= calMaxYear {
			return 0, false
		}
		if c.advanceMonth(&cur) || c.advanceDay(&cur) || c.advanceHour(&cur) || c.advanceMinute(&cur) || c.advanceSecond(&cur) {
			continue
		}
		if z == nil {
			return cur.wall, true
		}
		if gap, end := z.imaginary(cur.wall); gap {
			// The library steps one second at a time until it is out of
			// the gap; every wall time before end is in it.
			cur.wall = end
			continue
		}
		return z.toUTC(cur.wall, false), true
	}
}

func (c *calExpr) advanceYear(cur *cursor) {
	y, _, _ := cur.date()
	if c.years.has(calYear, y) {
		return
	}
	for !c.years.has(calYear, y) && y < calMaxYear {
		y++
	}
	cur.midnight(daysFromCivil(y, 1, 1))
}

func (c *calExpr) advanceMonth(cur *cursor) bool {
	y, m, _ := cur.date()
	if c.months&(1<<m) != 0 {
		return false
	}
	for c.months&(1<<m) == 0 {
		if m++; m > 12 {
			y, m = y+1, 1
		}
	}
	cur.midnight(daysFromCivil(y, m, 1))
	return true
}

func (c *calExpr) advanceDay(cur *cursor) bool {
	t := dateOf(cur.day())
	if c.matchDay(t) {
		return false
	}
	for !c.matchDay(t) {
		if t.inc(); t.d == 1 {
			break
		}
	}
	cur.midnight(t.n)
	return true
}

func (c *calExpr) advanceHour(cur *cursor) bool {
	if c.hours&(1<<cur.hour()) != 0 {
		return false
	}
	cur.wall -= floorMod(cur.wall, 3600)
	cur.stepUntil(3600, 24, c.hours)
	return true
}

func (c *calExpr) advanceMinute(cur *cursor) bool {
	if c.minutes&(1<<cur.minute()) != 0 {
		return false
	}
	cur.wall -= cur.second()
	cur.stepUntil(60, 60, c.minutes)
	return true
}

func (c *calExpr) advanceSecond(cur *cursor) bool {
	second := cur.second()
	if c.seconds&(1<<second) != 0 {
		return false
	}
	if bits.OnesCount64(c.seconds) == 1 {
		cur.tick(floorMod(int64(bits.TrailingZeros64(c.seconds))-second, 60))
	}
	cur.stepUntil(1, 60, c.seconds)
	return true
}
