package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53targets"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/overduehq/overdue/internal/store/dynamo"
)

// APIProps configures the API construct.
type APIProps struct {
	// Stage is the stage being deployed.
	Stage Stage
	// Data is the table and secret the function uses.
	Data *Data
}

// API is the public HTTP edge: an API Gateway HTTP API whose routes all go to the api
// function, which serves internal/httpapi's one http.Handler.
type API struct {
	constructs.Construct
	// Function is the api function.
	Function awslambda.Function
	// Live is its live alias (the function itself when the stage turns aliases off), which the API invokes.
	Live awslambda.IFunction
	// AccessLogs receives one JSON line per request (accessLogFormat).
	AccessLogs awslogs.LogGroup
	// HTTPAPI is the API Gateway HTTP API.
	HTTPAPI awsapigatewayv2.HttpApi
	// Stage is the API's $default stage, which carries the throttling.
	Stage awsapigatewayv2.HttpStage
	// Domain is the custom domain, nil without one.
	Domain awsapigatewayv2.DomainName
	// URL is the API's public base URL, without a trailing slash.
	URL *string
}

// apiRoutes are the paths the api function serves; anything else is answered 404 by API
// Gateway without invoking it. A greedy variable must end a route key, so the metrics
// endpoints (/projects/{id}/metrics/{key}, /projects/{id}/checks/metrics/{key} and the
// bearer-token /projects/{id}/metrics/) are served under /projects/{proxy+}: that also matches
// the trailing-slash form, which /projects/{project}/metrics/{proxy+} (an empty greedy
// variable) would not.
var apiRoutes = []string{
	"/ping/{proxy+}",     // the ping API: /ping/<uuid>[/start|/fail|/log|/<exit>], /ping/<key>/<slug>[/...]
	"/api/{proxy+}",      // the management API v1-v3
	"/badge/{proxy+}",    // project and tag badges
	"/b/{proxy+}",        // per-check badges
	"/projects/{proxy+}", // Prometheus metrics, and the dashboard's checks lists
	"/",                  // the home page (signed in: one's projects; else the sign-in form)
	"/accounts/{proxy+}", // the sign-in pages (internal/web)
	"/static/{proxy+}",   // the pages' stylesheet and scripts, under hashed names
	"/checks/{proxy+}",   // the dashboard's check pages (/projects/{proxy+} has the checks lists)
}

// accessLogFormat is the access log line: who asked for which route, and what came of it. It
// never holds the path, the query string or the body: a ping path can carry the project's ping
// key (/ping/<key>/<slug>), and a query string or body anything. The route key names the
// route pattern (ANY /ping/{proxy+}), not the path.
var accessLogFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",` +
	`"requestTime":"$context.requestTime","method":"$context.httpMethod","routeKey":"$context.routeKey",` +
	`"status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength",` +
	`"latency":"$context.responseLatency","integrationLatency":"$context.integrationLatency",` +
	`"integrationStatus":"$context.integrationStatus","integrationError":"$context.integrationErrorMessage"}`

// NewAPI creates the api function and the HTTP API in front of it.
//
// X-Ray tracing is on in the function only: API Gateway HTTP APIs do not support X-Ray (REST
// APIs do), so a trace starts at the function. The access logs and the API's metrics cover
// the part before it.
func NewAPI(scope constructs.Construct, id string, props *APIProps) *API {
	c := constructs.NewConstruct(scope, jsii.String(id))
	st := props.Stage

	fn, live := newFunction(c, "Function", functionProps{
		Stage:               st,
		Name:                "api",
		Description:         fmt.Sprintf("Overdue %s: ping, management and badge API", st.Name),
		MemoryMB:            st.Memory.API,
		ReservedConcurrency: st.ReservedConcurrency.API,
		// API Gateway gives up on an integration after 30 s.
		Timeout: awscdk.Duration_Seconds(jsii.Number(29)),
		Environment: map[string]*string{
			"SECRET_ARN": props.Data.Secret.SecretArn(),
			// The sign-in pages mail reset and invitation links from the stage's sender.
			"EMAIL_FROM": jsii.String(st.EmailFrom),
		},
		Data: props.Data,
	})
	// Account mail goes out without the configuration set: a bounce of it is no channel's
	// fault, and the feedback the set publishes is about channels.
	senders := senderIdentities(c, st)
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ses:SendEmail"),
		Resources: &senders,
	}))
	// The management API does everything the store offers: it lists a project's checks and
	// channels (the project index) and its parked deliveries (the unprocessed index).
	props.Data.GrantItems(fn, concat(readActions, writeActions, manageActions), dynamo.ProjectIndex, dynamo.UnprocessedIndex)
	props.Data.Secret.GrantRead(fn, nil)
	addOIDC(fn, st.OIDC)

	httpAPI := awsapigatewayv2.NewHttpApi(c, jsii.String("HttpApi"), &awsapigatewayv2.HttpApiProps{
		ApiName:     jsii.String("Overdue-" + st.Name),
		Description: jsii.String(fmt.Sprintf("Overdue %s", st.Name)),
		// The $default stage is made below, with throttling, which HttpApiProps cannot set.
		CreateDefaultStage: jsii.Bool(false),
		// With a custom domain, the domain is the only way in: the execute-api endpoint would
		// be a second address that bypasses whatever is in front of the domain.
		DisableExecuteApiEndpoint: jsii.Bool(st.DomainName != ""),
	})

	var domain awsapigatewayv2.DomainName
	var mapping *awsapigatewayv2.DomainMappingOptions
	if st.DomainName != "" {
		domain = awsapigatewayv2.NewDomainName(c, jsii.String("Domain"), &awsapigatewayv2.DomainNameProps{
			DomainName:  jsii.String(st.DomainName),
			Certificate: awscertificatemanager.Certificate_FromCertificateArn(c, jsii.String("Certificate"), jsii.String(st.CertificateARN)),
		})
		mapping = &awsapigatewayv2.DomainMappingOptions{DomainName: domain}
		if st.HostedZoneID != "" {
			zone := awsroute53.HostedZone_FromHostedZoneAttributes(c, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
				HostedZoneId: jsii.String(st.HostedZoneID),
				ZoneName:     jsii.String(st.HostedZoneName),
			})
			awsroute53.NewARecord(c, jsii.String("DomainRecord"), &awsroute53.ARecordProps{
				Zone:       zone,
				RecordName: jsii.String(st.DomainName + "."),
				Target: awsroute53.RecordTarget_FromAlias(awsroute53targets.NewApiGatewayv2DomainProperties(
					domain.RegionalDomainName(), domain.RegionalHostedZoneId())),
				Comment: jsii.String(fmt.Sprintf("Overdue %s API", st.Name)),
			})
		}
	}

	retention, _ := st.logRetention() // validated by loadStage
	accessLogs := awslogs.NewLogGroup(c, jsii.String("AccessLogs"), &awslogs.LogGroupProps{
		Retention:     retention,
		RemovalPolicy: st.removalPolicy(),
	})

	stage := awsapigatewayv2.NewHttpStage(c, jsii.String("DefaultStage"), &awsapigatewayv2.HttpStageProps{
		HttpApi:    httpAPI,
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle: &awsapigatewayv2.ThrottleSettings{
			RateLimit:  jsii.Number(st.ThrottleRate),
			BurstLimit: jsii.Number(float64(st.ThrottleBurst)),
		},
		DomainMapping: mapping,
	})
	// HttpStageProps' AccessLogSettings wants an interface that Go code cannot implement
	// through jsii; the CloudFormation property is set on the stage resource directly.
	stage.Node().DefaultChild().(awsapigatewayv2.CfnStage).SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: accessLogs.LogGroupArn(),
		Format:         jsii.String(accessLogFormat),
	})

	integration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("Lambda"), live, nil)
	for _, path := range apiRoutes {
		httpAPI.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(path),
			Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_ANY},
			Integration: integration,
		})
	}

	// SITE_ROOT is the base of the URLs the API hands out (ping URLs, badge URLs): the stage's
	// siteRoot if set, else the custom domain if there is one, else the API's own endpoint,
	// read from the AWS::ApiGatewayV2::Api resource. The function then depends on the API, and
	// that is no cycle: the API resource itself refers to nothing, and the integration, routes
	// and permissions that refer to the function are separate resources, created after both.
	// ApiEndpoint has no trailing slash, unlike the stage's URL.
	var url *string
	switch {
	case st.SiteRoot != "":
		url = jsii.String(st.SiteRoot)
	case st.DomainName != "":
		url = jsii.String("https://" + st.DomainName)
	default:
		url = httpAPI.ApiEndpoint()
	}
	fn.AddEnvironment(jsii.String("SITE_ROOT"), url, nil)

	return &API{Construct: c, Function: fn, Live: live, AccessLogs: accessLogs, HTTPAPI: httpAPI, Stage: stage, Domain: domain, URL: url}
}
