package lambdaenv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

func envOf(vars map[string]string) *Env {
	return New(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
}

func TestRequireNamesEveryMissingVariable(t *testing.T) {
	e := envOf(map[string]string{"TABLE_NAME": "  "})
	e.Require(TableName)
	e.Require(EmailFrom)
	err := e.Err()
	if err == nil {
		t.Fatal("Err() = nil, want the missing variables")
	}
	for _, name := range []string{"TABLE_NAME", "EMAIL_FROM"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("Err() = %q, does not name %s", err, name)
		}
	}
	if err := envOf(map[string]string{"TABLE_NAME": "t"}).Err(); err != nil {
		t.Errorf("Err() with nothing read = %v", err)
	}
}

func TestLevel(t *testing.T) {
	tests := []struct {
		in      string
		want    slog.Level
		wantErr bool
	}{
		{"", slog.LevelInfo, false},
		{"debug", slog.LevelDebug, false},
		{"WARN", slog.LevelWarn, false},
		{"error", slog.LevelError, false},
		{"loud", slog.LevelInfo, true},
	}
	for _, tt := range tests {
		e := envOf(map[string]string{"LOG_LEVEL": tt.in})
		got := e.Level()
		if got != tt.want || (e.Err() != nil) != tt.wantErr {
			t.Errorf("Level(%q) = %v, err %v; want %v, error %v", tt.in, got, e.Err(), tt.want, tt.wantErr)
		}
	}
}

func TestSecret(t *testing.T) {
	const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:overdue-dev-AbCdEf"
	tests := []struct {
		name    string
		vars    map[string]string
		want    Secret
		wantErr string
	}{
		{"arn wins", map[string]string{"SECRET_ARN": arn, "OVERDUE_SECRET_KEY": "0123456789abcdef"}, Secret{ARN: arn}, ""},
		{"key", map[string]string{"OVERDUE_SECRET_KEY": "0123456789abcdef"}, Secret{Key: []byte("0123456789abcdef")}, ""},
		{"neither", nil, Secret{Key: []byte{}}, "SECRET_ARN"},
		{"short key", map[string]string{"OVERDUE_SECRET_KEY": "short"}, Secret{Key: []byte("short")}, "at least 16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := envOf(tt.vars)
			got := e.Secret()
			if got.ARN != tt.want.ARN || string(got.Key) != string(tt.want.Key) {
				t.Errorf("Secret() = %+v, want %+v", got, tt.want)
			}
			err := e.Err()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Err() = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Err() = %v, want one mentioning %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "short\"") {
				t.Errorf("Err() = %q carries the key", err)
			}
		})
	}
}

// fakeSecrets is a Secrets Manager that knows one secret and counts the calls.
type fakeSecrets struct {
	arn, value string
	calls      int
}

func (f *fakeSecrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.calls++
	if aws.ToString(in.SecretId) != f.arn {
		return nil, errors.New("ResourceNotFoundException: Secrets Manager can't find the specified secret")
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(f.value)}, nil
}

func TestSecretLoad(t *testing.T) {
	ctx := t.Context()
	const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:s"
	sm := &fakeSecrets{arn: arn, value: "f00dfeedf00dfeedf00dfeedf00dfeed\n"}
	got, err := Secret{ARN: arn}.Load(ctx, sm)
	if err != nil || string(got) != "f00dfeedf00dfeedf00dfeedf00dfeed" || sm.calls != 1 {
		t.Errorf("Load(ARN) = %q, %v after %d calls; want the trimmed secret after 1", got, err, sm.calls)
	}
	got, err = Secret{Key: []byte("0123456789abcdef")}.Load(ctx, nil)
	if err != nil || string(got) != "0123456789abcdef" {
		t.Errorf("Load(key) = %q, %v", got, err)
	}
	if _, err := (Secret{ARN: arn + "x"}).Load(ctx, sm); err == nil {
		t.Error("Load(unknown ARN) = nil error")
	}
	short := &fakeSecrets{arn: arn, value: "tiny"}
	if _, err := (Secret{ARN: arn}).Load(ctx, short); err == nil || strings.Contains(err.Error(), "tiny") {
		t.Errorf("Load(short secret) = %v, want an error without the value", err)
	}
}

func TestLoggerWritesJSON(t *testing.T) {
	var buf bytes.Buffer
	log := Logger(&buf, slog.LevelInfo)
	log.Debug("hidden")
	log.Info("swept", "flipped", 2)
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log output %q is not one JSON line: %v", buf.String(), err)
	}
	if line["msg"] != "swept" || line["flipped"] != float64(2) {
		t.Errorf("log line = %v", line)
	}
}

func TestLoggerAddsRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := Logger(&buf, slog.LevelInfo).With("fn", "sweep")
	ctx := lambdacontext.NewContext(t.Context(), &lambdacontext.LambdaContext{AwsRequestID: "8476a536-e9f4-11e8-9739-2dfe598c3fcd"})
	log.InfoContext(ctx, "swept")
	log.Info("no invocation")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("log = %q, want two lines", buf.String())
	}
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	if first["request"] != "8476a536-e9f4-11e8-9739-2dfe598c3fcd" || first["fn"] != "sweep" {
		t.Errorf("line with an invocation context = %v, want its request ID and the logger's attributes", first)
	}
	if _, ok := second["request"]; ok {
		t.Errorf("line without one = %v, want no request attribute", second)
	}
}

func TestDuration(t *testing.T) {
	const def = 5 * time.Second
	tests := []struct {
		value   string
		want    time.Duration
		wantErr bool
	}{
		{"", def, false},
		{"500ms", 500 * time.Millisecond, false},
		{" 1ns ", time.Nanosecond, false},
		{"5", def, true},
		{"0s", def, true},
		{"-1s", def, true},
	}
	for _, tt := range tests {
		env := envOf(map[string]string{GuardMaxAge: tt.value})
		got := env.Duration(GuardMaxAge, def)
		err := env.Err()
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("Duration(%s=%q) = %v, error %v; want %v, error %v", GuardMaxAge, tt.value, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), GuardMaxAge) {
			t.Errorf("Duration(%s=%q) error %q does not name the variable", GuardMaxAge, tt.value, err)
		}
	}
}
