package main

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/overduehq/overdue/internal/account"
)

// OIDCStage is a stage's sign-in with an OpenID Connect provider (the sign-in pages' "Sign in
// with <Name>"), e.g. in cdk.json: "oidc": {"issuer": "https://sso.example.org/realms/ops",
// "clientId": "overdue", "clientSecretArn": "arn:aws:secretsmanager:…", "name": "Keycloak"}.
// The provider's redirect URI is the site root followed by /accounts/oidc/callback/.
type OIDCStage struct {
	// Issuer is the provider's issuer URL (https). Required.
	Issuer string `json:"issuer"`
	// ClientID is the client registered at the provider. Required.
	ClientID string `json:"clientId"`
	// ClientSecretARN is the complete ARN of the Secrets Manager secret whose string is the
	// client secret; only the api function may read it. Optional, for a public client.
	ClientSecretARN string `json:"clientSecretArn"`
	// Name is the provider's name on the button. Optional: the issuer's host.
	Name string `json:"name"`
	// Domains, when set, are the only email domains let in.
	Domains []string `json:"domains"`
	// CreateAccounts creates an account for a verified email that has none.
	CreateAccounts bool `json:"createAccounts"`
}

// validate names everything wrong with the settings.
func (o *OIDCStage) validate() error {
	var errs []error
	if u, err := url.Parse(o.Issuer); err != nil || u.Scheme != "https" || u.Host == "" {
		errs = append(errs, fmt.Errorf("oidc.issuer %q: want the provider's https:// issuer URL, e.g. https://sso.example.org/realms/ops", o.Issuer))
	}
	if o.ClientID == "" {
		errs = append(errs, errors.New("oidc.clientId is not set: give the client ID registered at the provider"))
	}
	if o.ClientSecretARN != "" && !secretARN.MatchString(o.ClientSecretARN) {
		errs = append(errs, fmt.Errorf("oidc.clientSecretArn %q: want a secret's complete ARN, arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>", o.ClientSecretARN))
	}
	if _, err := account.ParseDomains(strings.Join(o.Domains, ",")); err != nil {
		errs = append(errs, fmt.Errorf("oidc.domains: %w", err))
	}
	return errors.Join(errs...)
}

// addOIDC gives the api function the stage's OIDC settings (the OIDC_* and SSO_* variables
// functions/api reads) and the right to read the client secret: secretsmanager:GetSecretValue on
// that one secret, and on nothing else.
func addOIDC(fn awslambda.Function, o *OIDCStage) {
	if o == nil {
		return
	}
	fn.AddEnvironment(jsii.String("OIDC_ISSUER"), jsii.String(o.Issuer), nil)
	fn.AddEnvironment(jsii.String("OIDC_CLIENT_ID"), jsii.String(o.ClientID), nil)
	if o.Name != "" {
		fn.AddEnvironment(jsii.String("OIDC_NAME"), jsii.String(o.Name), nil)
	}
	if len(o.Domains) > 0 {
		fn.AddEnvironment(jsii.String("SSO_DOMAINS"), jsii.String(strings.Join(o.Domains, ",")), nil)
	}
	if o.CreateAccounts {
		fn.AddEnvironment(jsii.String("SSO_CREATE_ACCOUNTS"), jsii.String("true"), nil)
	}
	if o.ClientSecretARN != "" {
		fn.AddEnvironment(jsii.String("OIDC_CLIENT_SECRET_ARN"), jsii.String(o.ClientSecretARN), nil)
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
			Resources: jsii.Strings(o.ClientSecretARN),
		}))
	}
}
