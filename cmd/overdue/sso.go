package main

import (
	"flag"
	"net/url"
	"os"
	"strings"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/web"
)

// oidcSecretEnv holds the OIDC client secret when --oidc-client-secret-file is not given.
const oidcSecretEnv = "OVERDUE_OIDC_CLIENT_SECRET"

// ssoFlags are serve's single sign-on flags: an OpenID Connect provider, and the trusted header
// of an authenticating proxy, with one policy for both.
type ssoFlags struct {
	issuer, clientID, secretFile, name *string
	header                             *string
	domains                            *string
	create                             *bool
}

func addSSOFlags(fs *flag.FlagSet) *ssoFlags {
	return &ssoFlags{
		issuer:     fs.String("oidc-issuer", "", "sign in with this OpenID Connect provider (its issuer URL; discovery at /.well-known/openid-configuration); register SITE-ROOT"+web.OIDCCallbackPath+" as its redirect URI"),
		clientID:   fs.String("oidc-client-id", "", "with --oidc-issuer: the client ID registered at the provider"),
		secretFile: fs.String("oidc-client-secret-file", "", "with --oidc-issuer: a file holding the client secret (default: "+oidcSecretEnv+")"),
		name:       fs.String("oidc-name", "", `with --oidc-issuer: the provider's name on the button "Sign in with NAME" (default: the issuer's host)`),
		header:     fs.String("trusted-header", "", "DANGEROUS unless behind an authenticating proxy that strips it from clients: sign in whoever this header names by email (Healthchecks' REMOTE_USER_HEADER; X-Forwarded-Email or HTTP_X_FORWARDED_EMAIL); off by default"),
		domains:    fs.String("sso-domains", "", "with --oidc-issuer or --trusted-header: let in only emails of these domains (comma-separated, e.g. example.org,example.com)"),
		create:     fs.Bool("sso-create-accounts", false, "with --oidc-issuer or --trusted-header: create an account (no password, no project) for an email that has none"),
	}
}

// config checks the flags and builds the pages' single sign-on settings (nil for what is off).
func (f *ssoFlags) config() (*web.OIDCConfig, *web.TrustedHeader, error) {
	domains, err := account.ParseDomains(*f.domains)
	if err != nil {
		return nil, nil, usagef("serve: --sso-domains: %s", err)
	}
	policy := account.ExternalPolicy{Domains: domains, CreateAccounts: *f.create}
	var oidc *web.OIDCConfig
	switch {
	case *f.issuer == "" && (*f.clientID != "" || *f.secretFile != "" || *f.name != ""):
		return nil, nil, usagef("serve: --oidc-client-id, --oidc-client-secret-file and --oidc-name go with --oidc-issuer URL")
	case *f.issuer != "":
		u, err := url.Parse(*f.issuer)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, nil, usagef("serve: --oidc-issuer %q: want the provider's issuer URL, e.g. https://sso.example.org/realms/ops", *f.issuer)
		}
		if *f.clientID == "" {
			return nil, nil, usagef("serve: --oidc-issuer needs --oidc-client-id (the client registered at the provider)")
		}
		secret := os.Getenv(oidcSecretEnv)
		if *f.secretFile != "" {
			b, err := os.ReadFile(*f.secretFile)
			if err != nil {
				return nil, nil, usagef("serve: --oidc-client-secret-file: %s", err)
			}
			secret = strings.TrimSpace(string(b))
			if secret == "" {
				return nil, nil, usagef("serve: --oidc-client-secret-file %s is empty", *f.secretFile)
			}
		}
		name := *f.name
		if name == "" {
			name = u.Hostname()
		}
		oidc = &web.OIDCConfig{Issuer: *f.issuer, ClientID: *f.clientID, ClientSecret: secret, Name: name, Policy: policy}
	}
	var header *web.TrustedHeader
	if *f.header != "" {
		name, err := web.ParseHeaderName(*f.header)
		if err != nil {
			return nil, nil, usagef("serve: --trusted-header: %s", err)
		}
		header = &web.TrustedHeader{Name: name, Policy: policy}
	}
	if oidc == nil && header == nil && (*f.domains != "" || *f.create) {
		return nil, nil, usagef("serve: --sso-domains and --sso-create-accounts go with --oidc-issuer or --trusted-header")
	}
	return oidc, header, nil
}
