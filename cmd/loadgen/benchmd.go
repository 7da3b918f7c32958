package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// benchLine is one result line of `go test -bench` output.
type benchLine struct {
	params map[string]string // key=value parts of the name: checks=1000
	rest   []string          // the other parts of the name, after the benchmark's own
	values map[string]float64
}

var gomaxprocsSuffix = regexp.MustCompile(`-\d+$`)

// parseBench reads the result lines of `go test -bench` output, ignoring everything else.
func parseBench(r io.Reader) ([]benchLine, []string, error) {
	var (
		lines []benchLine
		units []string // in order of first appearance
		known = map[string]bool{}
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue // a name printed by -v, not a result
		}
		l := benchLine{params: map[string]string{}, values: map[string]float64{}}
		parts := strings.Split(gomaxprocsSuffix.ReplaceAllString(f[0], ""), "/")
		for _, p := range parts[1:] {
			if k, v, ok := strings.Cut(p, "="); ok {
				l.params[k] = v
			} else {
				l.rest = append(l.rest, p)
			}
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, nil, fmt.Errorf("benchmark line %q: value %q: %w", sc.Text(), f[i], err)
			}
			l.values[f[i+1]] = v
			if !known[f[i+1]] {
				known[f[i+1]] = true
				units = append(units, f[i+1])
			}
		}
		lines = append(lines, l)
	}
	return lines, units, sc.Err()
}

// cmdBenchMD is `loadgen benchmd [--params checks,due] [--cols 'ns/op=time,RCU/op=RCU'] [--note
// HEADER]`: `go test -bench` output on stdin as a markdown table, one row per result. Name
// parts of the form key=value become the leading columns (--params picks and orders them),
// other name parts a column headed --note; --cols picks, orders and heads the value columns
// (default: every unit, headed by its name). Times (ns/op) are shown in µs or ms, counts with
// thousands separators; a zero time is "—".
func cmdBenchMD(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("benchmd", flag.ContinueOnError)
	paramsFlag := fs.String("params", "", "key=value name parts to show as columns, in order (default: all)")
	colsFlag := fs.String("cols", "", "units to show, as unit=header, comma-separated (default: all)")
	note := fs.String("note", "", "header of a column for the other name parts (default: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	lines, units, err := parseBench(stdin)
	if err != nil {
		return err
	}
	if len(lines) == 0 {
		return fmt.Errorf("benchmd: no benchmark results on stdin")
	}
	var params []string
	if *paramsFlag != "" {
		params = strings.Split(*paramsFlag, ",")
	} else {
		seen := map[string]bool{}
		for _, l := range lines {
			for _, p := range orderedKeys(l.params) {
				if !seen[p] {
					seen[p] = true
					params = append(params, p)
				}
			}
		}
	}
	type col struct{ unit, header string }
	var cols []col
	if *colsFlag != "" {
		for _, c := range strings.Split(*colsFlag, ",") {
			unit, header, ok := strings.Cut(c, "=")
			if !ok {
				header = unit
			}
			cols = append(cols, col{unit, header})
		}
	} else {
		for _, u := range units {
			cols = append(cols, col{u, u})
		}
	}

	var head, align []string
	for _, p := range params {
		head, align = append(head, p), append(align, "---:")
	}
	if *note != "" {
		head, align = append(head, *note), append(align, "---")
	}
	for _, c := range cols {
		head, align = append(head, c.header), append(align, "---:")
	}
	fmt.Fprintf(stdout, "| %s |\n|%s|\n", strings.Join(head, " | "), strings.Join(align, "|"))
	for _, l := range lines {
		var cells []string
		for _, p := range params {
			cells = append(cells, number(l.params[p]))
		}
		if *note != "" {
			cells = append(cells, strings.Join(l.rest, " "))
		}
		for _, c := range cols {
			v, ok := l.values[c.unit]
			switch {
			case !ok:
				cells = append(cells, "—")
			case c.unit == "ns/op":
				cells = append(cells, nanos(v))
			default:
				cells = append(cells, formatValue(v))
			}
		}
		fmt.Fprintf(stdout, "| %s |\n", strings.Join(cells, " | "))
	}
	return nil
}

// orderedKeys lists a name's key=value keys alphabetically (a map keeps no order).
func orderedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}

// number shows a whole number with thousands separators and anything else as it is.
func number(s string) string {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return thousands(float64(n))
	}
	return s
}

// formatValue shows whole values with thousands separators and others with up to two
// decimals.
func formatValue(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return thousands(v)
	}
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

// nanos shows a time per operation in µs below a millisecond and in ms above.
func nanos(v float64) string {
	if v == 0 {
		return "—"
	}
	d := time.Duration(v)
	if d < time.Millisecond {
		return fmt.Sprintf("%.0f µs", v/1e3)
	}
	return ms(d)
}
