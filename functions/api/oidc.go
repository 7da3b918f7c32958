package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/lambdaenv"
	"github.com/overduehq/overdue/internal/web"
)

// The OIDC variables, set by the CDK app from the stage's "oidc" settings (infra/oidc.go).
const (
	envOIDCIssuer    = "OIDC_ISSUER"
	envOIDCClientID  = "OIDC_CLIENT_ID"
	envOIDCName      = "OIDC_NAME"
	envOIDCSecretARN = "OIDC_CLIENT_SECRET_ARN"
	envSSODomains    = "SSO_DOMAINS"
	envSSOCreate     = "SSO_CREATE_ACCOUNTS"
)

// oidcSettings is sign-in with an OpenID Connect provider as the environment gives it; Issuer ""
// is off. The client secret is not here: it is read from Secrets Manager at the cold start.
type oidcSettings struct {
	Issuer, ClientID, Name, SecretARN string
	Domains                           string // comma-separated
	CreateAccounts                    bool
}

// loadOIDC reads the OIDC variables, reporting what is wrong with them to env.
func loadOIDC(env *lambdaenv.Env) oidcSettings {
	o := oidcSettings{Issuer: env.Get(envOIDCIssuer), ClientID: env.Get(envOIDCClientID), Name: env.Get(envOIDCName),
		SecretARN: env.Get(envOIDCSecretARN), Domains: env.Get(envSSODomains)}
	switch v := env.Get(envSSOCreate); v {
	case "", "false":
	case "true":
		o.CreateAccounts = true
	default:
		env.Fail(fmt.Errorf("environment variable %s is %q: want true or false", envSSOCreate, v))
	}
	if o.Issuer == "" {
		if o.ClientID != "" || o.SecretARN != "" {
			env.Fail(fmt.Errorf("environment variables %s and %s go with %s", envOIDCClientID, envOIDCSecretARN, envOIDCIssuer))
		}
		return o
	}
	if u, err := url.Parse(o.Issuer); err != nil || u.Scheme != "https" || u.Host == "" {
		env.Fail(fmt.Errorf("environment variable %s is %q: want the provider's https:// issuer URL", envOIDCIssuer, o.Issuer))
	}
	if o.ClientID == "" {
		env.Fail(fmt.Errorf("environment variable %s is not set: %s needs the client ID registered at the provider", envOIDCClientID, envOIDCIssuer))
	}
	if _, err := account.ParseDomains(o.Domains); err != nil {
		env.Fail(fmt.Errorf("environment variable %s: %w", envSSODomains, err))
	}
	return o
}

// config reads the client secret (one GetSecretValue, once per cold start) and returns the pages'
// OIDC configuration; nil when OIDC is off.
func (o oidcSettings) config(ctx context.Context, sm lambdaenv.SecretsClient) (*web.OIDCConfig, error) {
	if o.Issuer == "" {
		return nil, nil
	}
	domains, err := account.ParseDomains(o.Domains)
	if err != nil {
		return nil, err
	}
	var secret string
	if o.SecretARN != "" {
		out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(o.SecretARN)})
		if err != nil {
			return nil, fmt.Errorf("load OIDC client secret %s: %w", o.SecretARN, err)
		}
		if secret = strings.TrimSpace(aws.ToString(out.SecretString)); secret == "" {
			return nil, errors.New("load OIDC client secret " + o.SecretARN + ": it holds no string; store the client secret as the secret's plain text")
		}
	}
	name := o.Name
	if name == "" {
		u, _ := url.Parse(o.Issuer)
		name = u.Hostname()
	}
	return &web.OIDCConfig{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: secret, Name: name,
		Policy: account.ExternalPolicy{Domains: domains, CreateAccounts: o.CreateAccounts}}, nil
}
