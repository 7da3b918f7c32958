package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/seal"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/dynamo"
	"github.com/overduehq/overdue/internal/sweep"
)

// request is a CloudFormation custom resource request as the CDK Provider framework hands it
// to its onEvent function: CloudFormation's own fields, unchanged. It is declared here rather
// than taken from aws-lambda-go's cfn.Event, which lacks the top-level ServiceToken, so that the
// fixtures in testdata round-trip whole.
type request struct {
	RequestType           string         `json:"RequestType"` // Create, Update or Delete
	ServiceToken          string         `json:"ServiceToken,omitempty"`
	ResponseURL           string         `json:"ResponseURL"` // the framework answers it, not us
	StackID               string         `json:"StackId"`
	RequestID             string         `json:"RequestId"`
	LogicalResourceID     string         `json:"LogicalResourceId"`
	PhysicalResourceID    string         `json:"PhysicalResourceId,omitempty"` // Update and Delete
	ResourceType          string         `json:"ResourceType"`
	ResourceProperties    map[string]any `json:"ResourceProperties"`
	OldResourceProperties map[string]any `json:"OldResourceProperties,omitempty"` // Update
}

// response is what onEvent returns to the Provider framework, which passes it on to
// CloudFormation as SUCCESS. Data is readable in the template with Fn::GetAtt (Version,
// MinReader). Failing is returning an error: the framework reports FAILED with the error's
// message as the Reason, and CloudFormation rolls the stack back.
type response struct {
	PhysicalResourceID string            `json:"PhysicalResourceId"`
	Data               map[string]string `json:"Data,omitempty"`
}

// The resource's properties, as the CDK app sets them. CloudFormation passes every scalar
// property to a custom resource as a string.
const (
	// propSchemaVersion is the schema.Current of the build being deployed. The stack and this
	// function are built from the same commit, so it equals this binary's schema.Current
	// except while CloudFormation rolls back (see handle).
	propSchemaVersion = "SchemaVersion"
	// propTableName is the table to guard and migrate; TABLE_NAME when absent.
	propTableName = "TableName"
	// propBuild names the build in the table's migration history: the CDK app sets it to the
	// release (`git describe`, from make).
	propBuild = "Build"
	// propPhase is which migrations the resource applies: "expand" (the resource the
	// functions depend on: the leading expand steps, before the new code takes traffic),
	// "contract" (the resource that depends on the functions: everything left, once no old
	// code runs) or, when absent, everything at once (resources from before the two phases).
	// See schema.Build.Split.
	propPhase = "Phase"
)

// handler guards and migrates the table on every deploy.
type handler struct {
	db       *dynamodb.Client
	table    string       // TABLE_NAME: the table when the properties name none
	build    schema.Build // this binary's data model: schema.This()
	now      func() time.Time
	lockWait time.Duration // how long to wait for another migration (an operator's) to finish
	log      *slog.Logger
	box      *seal.Box // seals channel values (migration 8)
	secret   []byte    // the signing secret, to adopt a canary derived from it (sweep.AdoptCanary)
}

// handle answers one custom resource request.
//
// Create and Update run schema.Run on the table: an empty table gets its data model, older
// data is migrated under the table's migration lock (in the resource's phase: the expand
// resource applies the leading expand steps, the contract resource the rest), data this build
// can use is left as it is, and data it cannot use is refused with schema.Check's message,
// having written nothing.
// The refusal fails the resource, so CloudFormation rolls the deploy back before any function
// that depends on the resource has changed: a rollback to a build that cannot read the data
// is stopped here.
//
// An Update whose SchemaVersion is not this binary's is CloudFormation rolling back: it sends
// the previous properties while this function still runs the code of the deploy that failed
// (the function is rolled back after the resources that depend on it). Failing it would leave
// the stack in UPDATE_ROLLBACK_FAILED, and migrating for another build would be wrong, so it
// succeeds, writes nothing, and reports the data's version; the functions of the build rolled
// back to check the data again at their cold start.
//
// Delete never touches the data: deleting the stack, or replacing the resource, must not
// delete or change what the table holds.
func (h *handler) handle(ctx context.Context, req request) (response, error) {
	log := h.log.With("request_type", req.RequestType, "stack", req.StackID, "cfn_request", req.RequestID)
	switch req.RequestType {
	case "Delete":
		log.InfoContext(ctx, "delete: the table's data is left as it is")
		return response{PhysicalResourceID: req.PhysicalResourceID}, nil
	case "Create", "Update":
	default:
		return response{}, fmt.Errorf("unknown RequestType %q: want Create, Update or Delete", req.RequestType)
	}
	props, err := h.properties(req.ResourceProperties)
	if err != nil {
		return response{}, err
	}
	log = log.With("table", props.table, "build", props.build, "phase", string(props.phase))
	st := dynamo.New(h.db, props.table, store.Options{Box: h.box})
	st.LockWait = h.lockWait

	if props.schemaVersion != h.build.Current {
		v, err := st.Version(ctx)
		if err != nil {
			return response{}, err
		}
		log.WarnContext(ctx, "the properties are for another build's data model (a rollback in progress): the data is left as it is",
			"properties_version", props.schemaVersion, "function_version", h.build.Current, "data", v.String())
		return h.answer(props.table, v), nil
	}

	rep, err := schema.Run(ctx, st, schema.RunOptions{Build: h.build, Name: props.build, Now: h.now, Phase: props.phase})
	if err != nil {
		attrs := []any{"error", err.Error()}
		if rep != nil {
			attrs = append(attrs, "decision", rep.Decision.String(), "before", rep.Before.String(), "after", rep.After.String())
		}
		log.ErrorContext(ctx, "data model not ready: failing the deploy", attrs...)
		// The framework makes this the Reason CloudFormation shows: for a refusal, the guard's
		// message whole, naming both versions and what to do.
		return response{}, fmt.Errorf("table %s: %w", props.table, err)
	}
	log.InfoContext(ctx, "data model ready", "decision", rep.Decision.String(),
		"before", rep.Before.String(), "after", rep.After.String(),
		"applied", versions(rep.Applied), "deferred_to_contract", versions(rep.Deferred))
	// Before the new sweep runs (it depends on this resource): a stage whose earlier functions
	// derived the ingestion canary's IDs from the secret keeps that canary and its pings. A
	// failure costs the history only (the sweep then makes a new canary): it does not fail
	// the deploy.
	if h.secret != nil {
		if err := sweep.AdoptCanary(ctx, st, h.secret); err != nil {
			log.WarnContext(ctx, "the ingestion canary of earlier builds not adopted; the sweep makes a new one", "error", err.Error())
		}
	}
	return h.answer(props.table, rep.After), nil
}

// versions lists the migrations' versions for the log: "4,5".
func versions(ms []schema.Migration) string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = strconv.Itoa(m.Version)
	}
	return strings.Join(out, ",")
}

// answer is the success response: the table's name as the physical ID, which stays the same
// for the table, so an Update is never a replacement (a new table generation is a new
// resource, and the Delete of the old one does nothing), and the data's version.
func (h *handler) answer(table string, v schema.Version) response {
	return response{
		PhysicalResourceID: table,
		Data: map[string]string{
			"Version":   strconv.Itoa(v.Version),
			"MinReader": strconv.Itoa(v.MinReader),
		},
	}
}

// properties are the resource's properties, checked.
type properties struct {
	schemaVersion int
	table         string
	build         string
	phase         schema.Phase // "" for every migration at once
}

func (h *handler) properties(p map[string]any) (properties, error) {
	var out properties
	sv, ok := p[propSchemaVersion]
	if !ok {
		return out, fmt.Errorf("resource property %s is missing: set it to the build's schema.Current", propSchemaVersion)
	}
	n, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(sv)))
	if err != nil || n < 1 {
		return out, fmt.Errorf("resource property %s is %q: want a data-model version such as \"%d\"", propSchemaVersion, fmt.Sprint(sv), h.build.Current)
	}
	out.schemaVersion = n
	if t, ok := p[propTableName].(string); ok {
		out.table = strings.TrimSpace(t)
	}
	if out.table == "" {
		out.table = h.table
	}
	if out.table == "" {
		return out, fmt.Errorf("no table: set resource property %s or the environment variable TABLE_NAME", propTableName)
	}
	if b, ok := p[propBuild].(string); ok {
		out.build = strings.TrimSpace(b)
	}
	if ph, ok := p[propPhase]; ok {
		switch out.phase = schema.Phase(strings.TrimSpace(fmt.Sprint(ph))); out.phase {
		case schema.Expand, schema.Contract:
		default:
			return out, fmt.Errorf("resource property %s is %q: want %q or %q", propPhase, fmt.Sprint(ph), schema.Expand, schema.Contract)
		}
	}
	return out, nil
}
