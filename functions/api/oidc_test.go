package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/overduehq/overdue/internal/lambdaenv"
)

// secrets is a Secrets Manager that knows one secret and records what was asked.
type secrets struct {
	arn, value string
	asked      []string
}

func (s *secrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	s.asked = append(s.asked, aws.ToString(in.SecretId))
	if aws.ToString(in.SecretId) != s.arn {
		return nil, errors.New("ResourceNotFoundException: Secrets Manager can't find the specified secret")
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(s.value)}, nil
}

const testSecretARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:overdue/oidc-AbC123"

func envOf(m map[string]string) *lambdaenv.Env {
	return lambdaenv.New(func(k string) (string, bool) { v, ok := m[k]; return v, ok })
}

func TestOIDCSettings(t *testing.T) {
	env := envOf(map[string]string{"OIDC_ISSUER": "https://sso.example.org/realms/ops", "OIDC_CLIENT_ID": "overdue",
		"OIDC_CLIENT_SECRET_ARN": testSecretARN, "SSO_DOMAINS": "example.org,example.com", "SSO_CREATE_ACCOUNTS": "true"})
	o := loadOIDC(env)
	if err := env.Err(); err != nil {
		t.Fatalf("loadOIDC: %v", err)
	}
	sm := &secrets{arn: testSecretARN, value: "s3cret\n"}
	cfg, err := o.config(t.Context(), sm)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	if cfg.ClientSecret != "s3cret" || cfg.ClientID != "overdue" || cfg.Name != "sso.example.org" ||
		!cfg.Policy.CreateAccounts || strings.Join(cfg.Policy.Domains, ",") != "example.org,example.com" {
		t.Errorf("config = %+v", cfg)
	}
	if len(sm.asked) != 1 {
		t.Errorf("GetSecretValue called %d times, want once", len(sm.asked))
	}

	if _, err := (oidcSettings{Issuer: "https://sso.example.org", ClientID: "c", SecretARN: testSecretARN + "x"}).config(t.Context(), sm); err == nil ||
		!strings.Contains(err.Error(), "load OIDC client secret") {
		t.Errorf("config with an unknown secret = %v, want an error naming it", err)
	}
	if _, err := (oidcSettings{Issuer: "https://sso.example.org", ClientID: "c", SecretARN: testSecretARN}).config(t.Context(), &secrets{arn: testSecretARN, value: " "}); err == nil {
		t.Errorf("config with an empty secret = nil error")
	}
	if cfg, err := (oidcSettings{}).config(t.Context(), nil); cfg != nil || err != nil {
		t.Errorf("config without an issuer = %v, %v; want nil, nil", cfg, err)
	}

	for _, tc := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"OIDC_CLIENT_ID": "c"}, "go with OIDC_ISSUER"},
		{map[string]string{"OIDC_ISSUER": "http://sso.example.org", "OIDC_CLIENT_ID": "c"}, "https:// issuer URL"},
		{map[string]string{"OIDC_ISSUER": "https://sso.example.org"}, "OIDC_CLIENT_ID is not set"},
		{map[string]string{"OIDC_ISSUER": "https://sso.example.org", "OIDC_CLIENT_ID": "c", "SSO_DOMAINS": "a@b.org"}, "SSO_DOMAINS"},
		{map[string]string{"SSO_CREATE_ACCOUNTS": "yes"}, "SSO_CREATE_ACCOUNTS"},
	} {
		env := envOf(tc.vars)
		loadOIDC(env)
		if err := env.Err(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("loadOIDC(%v) error = %v, want one containing %q", tc.vars, err, tc.want)
		}
	}
}

// TestOIDCButtonThroughAPIGateway: with OIDC configured, the sign-in page served through the
// adapter offers the provider's button.
func TestOIDCButtonThroughAPIGateway(t *testing.T) {
	st := newStore(t)
	cfg, err := (oidcSettings{Issuer: "https://sso.example.org", ClientID: "c", Name: "Keycloak"}).config(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := newHandler(st, testSettings(), []byte("0123456789abcdef0123456789abcdef"), slog.New(slog.DiscardHandler), fixedClock, nil, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := readEvent(t, "login.json")
	ev.RawPath, ev.RequestContext.HTTP.Path, ev.RequestContext.HTTP.Method = "/accounts/login/", "/accounts/login/", http.MethodGet
	ev.Body, ev.Headers["content-length"] = "", "0"
	resp, err := httpadapter.NewV2(h).ProxyWithContext(t.Context(), ev)
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, `href="/accounts/oidc/login/">Sign in with Keycloak</a>`) {
		t.Fatalf("GET /accounts/login/ = %d, %v; want the button\n%s", resp.StatusCode, err, resp.Body)
	}
}
