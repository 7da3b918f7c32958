package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadStage(t *testing.T) {
	ctxOf := func(m map[string]any) func(string) any { return func(k string) any { return m[k] } }
	envOf := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	withName := func(s Stage, f func(*Stage)) Stage { f(&s); return s }

	for _, tc := range []struct {
		name    string
		ctx     map[string]any
		env     map[string]string
		want    Stage
		wantErr string
	}{
		{
			name: "dev by default",
			ctx:  map[string]any{"stages": map[string]any{"dev": map[string]any{"emailFrom": "alerts@example.org"}}},
			want: withName(devStage("dev"), func(s *Stage) {
				s.Dist, s.EmailFrom, s.Migrate, s.Build = "dist", "alerts@example.org", true, "unversioned"
			}),
		},
		{
			name: "prod retains",
			ctx:  map[string]any{"stage": "prod", "build": " v0.3.0-2-gabc1234 ", "stages": map[string]any{"prod": map[string]any{"emailFrom": "alerts@example.org"}}},
			env:  map[string]string{"CDK_DEFAULT_ACCOUNT": "123456789012", "CDK_DEFAULT_REGION": "eu-west-1", "OVERDUE_DIST": "/tmp/d"},
			want: withName(prodStage(), func(s *Stage) {
				s.Account, s.Region, s.Dist, s.EmailFrom, s.Migrate = "123456789012", "eu-west-1", "/tmp/d", "alerts@example.org", true
				s.Build = "v0.3.0-2-gabc1234"
				if !s.Retain || s.LogRetentionDays != 90 || s.ReservedConcurrency.API == 0 {
					panic("prod defaults changed: update this test")
				}
			}),
		},
		{
			name: "another stage starts from dev, settings from cdk.json",
			ctx: map[string]any{
				"stage": "staging",
				"dist":  "out",
				"stages": map[string]any{
					"staging": map[string]any{"retain": true, "alarmEmail": "ops@example.org", "emailFrom": "a@example.org", "memory": map[string]any{"api": 512}},
					"prod":    map[string]any{"alarmEmail": "other@example.org"},
				},
			},
			env: map[string]string{"OVERDUE_DIST": "ignored: the context wins"},
			want: withName(devStage("staging"), func(s *Stage) {
				s.Retain, s.AlarmEmail, s.EmailFrom, s.Memory.API, s.Dist, s.Migrate = true, "ops@example.org", "a@example.org", 512, "out", true
				s.Build = "unversioned"
			}),
		},
		{
			name: "settings as a JSON string, as -c passes them",
			ctx:  map[string]any{"stages": `{"dev": {"emailFrom": "Overdue <alerts@example.org>", "logLevel": "debug"}}`, "migrate": "false"},
			want: withName(devStage("dev"), func(s *Stage) {
				s.EmailFrom, s.LogLevel, s.Dist, s.Migrate, s.Build = "Overdue <alerts@example.org>", "debug", "dist", false, "unversioned"
			}),
		},
		{
			name: "service URLs",
			ctx:  map[string]any{"stages": map[string]any{"dev": map[string]any{"emailFrom": "alerts@example.org", "serviceUrls": map[string]any{"pd": "https://events.eu.pagerduty.com"}}}},
			want: withName(devStage("dev"), func(s *Stage) {
				s.Dist, s.EmailFrom, s.Migrate, s.Build = "dist", "alerts@example.org", true, "unversioned"
				s.ServiceURLs = map[string]string{"pd": "https://events.eu.pagerduty.com"}
			}),
		},
		{name: "service URL of a kind without one", ctx: map[string]any{"stages": map[string]any{"dev": map[string]any{"serviceUrls": map[string]any{"slack": "https://x.example"}}}},
			wantErr: "serviceUrls.slack: not a channel kind with a service URL; use one of pd, opsgenie"},
		{name: "service URL not a URL", ctx: map[string]any{"stages": map[string]any{"dev": map[string]any{"serviceUrls": map[string]any{"pd": "events.eu.pagerduty.com"}}}},
			wantErr: `serviceUrls: environment variable OVERDUE_URL_PD is "events.eu.pagerduty.com"`},
		{name: "no sender", wantErr: `emailFrom is not set`},
		{name: "bad stage name", ctx: map[string]any{"stage": "Prod_1"}, wantErr: `stage "Prod_1"`},
		{name: "unknown setting", ctx: map[string]any{"stages": map[string]any{"dev": map[string]any{"alarmMail": "x@example.org"}}}, wantErr: `unknown field "alarmMail"`},
		{name: "domain without certificate", ctx: map[string]any{"stages": map[string]any{"dev": map[string]any{"domainName": "status.example.org"}}}, wantErr: "domainName and certificateArn go together"},
		{name: "retention CloudWatch lacks", ctx: map[string]any{"stages": map[string]any{"dev": map[string]any{"logRetentionDays": 10}}}, wantErr: "logRetentionDays 10"},
		{name: "sender not an address", ctx: map[string]any{"stages": map[string]any{"dev": map[string]any{"emailFrom": "alerts"}}}, wantErr: `emailFrom "alerts"`},
		{name: "memory out of range", ctx: map[string]any{"stages": map[string]any{"dev": map[string]any{"memory": map[string]any{"sweep": 64}}}}, wantErr: "memory.sweep = 64"},
		{name: "zone without domain", ctx: map[string]any{"stages": map[string]any{"dev": map[string]any{"hostedZoneId": "Z123", "hostedZoneName": "example.org"}}}, wantErr: "hostedZoneId is set without domainName"},
		{name: "zone id without name", ctx: map[string]any{"stages": map[string]any{"dev": map[string]any{"hostedZoneId": "Z123"}}}, wantErr: "hostedZoneId and hostedZoneName go together"},
		{name: "domain outside the zone", ctx: map[string]any{"stages": map[string]any{"dev": map[string]any{"domainName": "status.example.org", "certificateArn": "arn:aws:acm:us-east-1:1:certificate/x", "hostedZoneId": "Z123", "hostedZoneName": "example.com"}}}, wantErr: `domainName "status.example.org" is not in hostedZoneName "example.com"`},
		{name: "heartbeat not a URL", ctx: map[string]any{"stages": map[string]any{"dev": map[string]any{"heartbeatUrl": "hc-ping.com/secret-uuid"}}}, wantErr: "heartbeatUrl: want an absolute http(s) URL"},
		{name: "negative concurrency", ctx: map[string]any{"stages": map[string]any{"dev": map[string]any{"reservedConcurrency": map[string]any{"notify": -1}}}}, wantErr: "reservedConcurrency.notify = -1"},
		{name: "oidc without client", ctx: map[string]any{"stages": map[string]any{"dev": map[string]any{"oidc": map[string]any{"issuer": "https://sso.example.org"}}}}, wantErr: "oidc.clientId is not set"},
		{name: "oidc issuer over http", ctx: map[string]any{"stages": map[string]any{"dev": map[string]any{"oidc": map[string]any{"issuer": "http://sso.example.org", "clientId": "c"}}}}, wantErr: `oidc.issuer "http://sso.example.org"`},
		{name: "oidc secret by name", ctx: map[string]any{"stages": map[string]any{"dev": map[string]any{"oidc": map[string]any{"issuer": "https://sso.example.org", "clientId": "c", "clientSecretArn": "overdue/oidc"}}}}, wantErr: `oidc.clientSecretArn "overdue/oidc": want a secret's complete ARN`},
		{name: "oidc domain with @", ctx: map[string]any{"stages": map[string]any{"dev": map[string]any{"oidc": map[string]any{"issuer": "https://sso.example.org", "clientId": "c", "domains": []any{"a@example.org"}}}}}, wantErr: `oidc.domains: email domain "a@example.org"`},
		{name: "empty build", ctx: map[string]any{"build": " "}, wantErr: `context "build"`},
		{name: "migrate not a bool", ctx: map[string]any{"migrate": "yes please"}, wantErr: `context "migrate"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := loadStage(ctxOf(tc.ctx), envOf(tc.env))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("loadStage() error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("loadStage() error = %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("loadStage() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTableName(t *testing.T) {
	if got, want := TableName("dev"), "overdue-dev-v1"; got != want {
		t.Errorf("TableName(dev) = %q, want %q (if the generation changed, change this test with it)", got, want)
	}
}
