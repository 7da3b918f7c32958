package lambdaenv

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// The sweep's lag metric: how late each sweep started after the time EventBridge scheduled it,
// in milliseconds, in RefusedNamespace with the dimension RefusedDimension (the function's
// name). The stack alarms on it and graphs it on the dashboard.
//
// TimerLagMetric is the timers' lateness: how long after a check's deadline the timer function
// looked at it, in milliseconds, the largest of each invocation's batch.
//
// IngestionUnhealthyMetric is what each sweep found of ping intake: 1 while an outage lasts (the
// canary's pings stopped arriving, or the api function's counts show failed pings or a ping rate
// far below its usual), 0 otherwise. The stack alarms on it.
const (
	SweepLagMetric           = "SweepLag"
	TimerLagMetric           = "TimerLag"
	IngestionUnhealthyMetric = "IngestionUnhealthy"
)

// Metrics writes CloudWatch metrics as Embedded Metric Format lines to the function's log, like
// Refusals: one line per datapoint, in namespace RefusedNamespace ("Overdue"), with the function's
// name as the only dimension. CloudWatch Logs turns each line into a datapoint; no client,
// permission or PutMetricData call is needed.
type Metrics struct {
	// W receives the lines: the function's standard output.
	W io.Writer
	// Function is the function's name, the metric's dimension.
	Function string
	// Now is the clock, for the datapoint's timestamp.
	Now func() time.Time

	mu sync.Mutex
}

// Put writes one datapoint of the metric name with the given unit (a CloudWatch unit such as
// Milliseconds or Count).
func (m *Metrics) Put(name, unit string, value float64) {
	line, err := json.Marshal(map[string]any{
		"_aws": emfMeta{
			Timestamp: m.Now().UnixMilli(),
			Metrics: []emfMetric{{
				Namespace:  RefusedNamespace,
				Dimensions: [][]string{{RefusedDimension}},
				Metrics:    []emfSeries{{Name: name, Unit: unit}},
			}},
		},
		RefusedDimension: m.Function,
		name:             value,
	})
	if err != nil {
		return // strings and a float always marshal
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, _ = m.W.Write(append(line, '\n'))
}
