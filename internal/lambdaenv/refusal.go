package lambdaenv

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// The metric every function emits when it refuses the data model, for the stack's alarm: one
// datapoint of RefusedMetric in RefusedNamespace, with the dimension RefusedDimension set to the
// function's name as Lambda gives it (AWS_LAMBDA_FUNCTION_NAME, which carries the stack's name, so
// the stages in one account do not mix).
const (
	RefusedNamespace = "Overdue"
	RefusedMetric    = "DataModelRefused"
	RefusedDimension = "Function"
	// FunctionName is the variable Lambda sets to the function's name.
	FunctionName = "AWS_LAMBDA_FUNCTION_NAME"
)

// Refusals reports a function's refusals of the data model as a CloudWatch metric, by writing
// one line in Embedded Metric Format per refusal to the function's log: CloudWatch Logs turns the
// line into the metric, so no PutMetricData call, permission or client is needed. The line
// carries the refusal's message, which names both versions, and nothing else of the request.
type Refusals struct {
	// W receives the lines: the function's standard output.
	W io.Writer
	// Function is the function's name, the metric's dimension.
	Function string
	// Now is the clock, for the metric's timestamp.
	Now func() time.Time

	mu sync.Mutex
}

// emf is one Embedded Metric Format line: the metadata under "_aws", the dimension and the
// metric's value as top-level members.
type emf struct {
	AWS      emfMeta `json:"_aws"`
	Function string  `json:"Function"`
	Refused  int     `json:"DataModelRefused"`
	Message  string  `json:"message"`
}

type emfMeta struct {
	Timestamp int64       `json:"Timestamp"` // milliseconds since the epoch
	Metrics   []emfMetric `json:"CloudWatchMetrics"`
}

type emfMetric struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfSeries `json:"Metrics"`
}

type emfSeries struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

// Refused writes the metric line for refusal, the guard's error.
func (r *Refusals) Refused(refusal error) {
	line, err := json.Marshal(emf{
		AWS: emfMeta{
			Timestamp: r.Now().UnixMilli(),
			Metrics: []emfMetric{{
				Namespace:  RefusedNamespace,
				Dimensions: [][]string{{RefusedDimension}},
				Metrics:    []emfSeries{{Name: RefusedMetric, Unit: "Count"}},
			}},
		},
		Function: r.Function,
		Refused:  1,
		Message:  refusal.Error(),
	})
	if err != nil {
		return // a struct of strings and numbers always marshals
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, _ = r.W.Write(append(line, '\n'))
}
