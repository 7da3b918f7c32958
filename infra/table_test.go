package main

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/store/dynamo"
)

// tableShape is what must agree between the CDK's table and the store's: keys with their
// types, indexes with their keys and projections, billing, stream and TTL.
type tableShape struct {
	Keys    []string          // "name HASH|RANGE S|N"
	Indexes map[string]string // name -> "keys; projection"
	Billing string
	Stream  string
	TTL     string
}

// TestTableMatchesStore creates the store's table with dynamo.CreateTable, the reference the
// store's own tests run against, on moto_server, and compares it with the synthesized one.
// The CDK table is not typed from CreateTable, so this is what catches the two drifting apart.
func TestTableMatchesStore(t *testing.T) {
	url := os.Getenv("OVERDUE_MOTO_URL")
	if url == "" {
		t.Fatal("moto_server is not running: run the tests with 'make test' (which starts it), or install it with pip install 'moto[server]'")
	}
	ctx := context.Background()
	client := dynamodb.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	}, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(url) })

	name := fmt.Sprintf("infra-reference-%d", time.Now().UnixNano())
	if err := dynamo.CreateTable(ctx, client, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
			t.Errorf("delete %s: %v", name, err)
		}
	})
	desc, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	ttl, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}

	d := desc.Table
	types := map[string]string{}
	for _, a := range d.AttributeDefinitions {
		types[*a.AttributeName] = string(a.AttributeType)
	}
	keys := func(name string, typ string) string { return name + " " + typ + " " + types[name] }
	want := tableShape{Indexes: map[string]string{}, Stream: string(d.StreamSpecification.StreamViewType)}
	for _, k := range d.KeySchema {
		want.Keys = append(want.Keys, keys(*k.AttributeName, string(k.KeyType)))
	}
	for _, g := range d.GlobalSecondaryIndexes {
		var ks []string
		for _, k := range g.KeySchema {
			ks = append(ks, keys(*k.AttributeName, string(k.KeyType)))
		}
		want.Indexes[*g.IndexName] = fmt.Sprint(ks, "; ", g.Projection.ProjectionType, g.Projection.NonKeyAttributes)
	}
	if d.BillingModeSummary != nil {
		want.Billing = string(d.BillingModeSummary.BillingMode)
	}
	if ttl.TimeToLiveDescription != nil && ttl.TimeToLiveDescription.AttributeName != nil {
		want.TTL = *ttl.TimeToLiveDescription.AttributeName
	}

	s := synth(t, devContext)
	_, table := s.only(t, "AWS::DynamoDB::Table")
	p := props(table)
	types = map[string]string{}
	for _, a := range p["AttributeDefinitions"].([]any) {
		a := a.(map[string]any)
		types[a["AttributeName"].(string)] = a["AttributeType"].(string)
	}
	keyList := func(v any) []string {
		var ks []string
		for _, k := range v.([]any) {
			k := k.(map[string]any)
			ks = append(ks, keys(k["AttributeName"].(string), k["KeyType"].(string)))
		}
		return ks
	}
	got := tableShape{
		Keys:    keyList(p["KeySchema"]),
		Indexes: map[string]string{},
		Billing: p["BillingMode"].(string),
		Stream:  p["StreamSpecification"].(map[string]any)["StreamViewType"].(string),
		TTL:     p["TimeToLiveSpecification"].(map[string]any)["AttributeName"].(string),
	}
	for _, g := range p["GlobalSecondaryIndexes"].([]any) {
		g := g.(map[string]any)
		proj := g["Projection"].(map[string]any)
		var nonKey []string
		if nk, ok := proj["NonKeyAttributes"].([]any); ok {
			for _, a := range nk {
				nonKey = append(nonKey, a.(string))
			}
		}
		got.Indexes[g["IndexName"].(string)] = fmt.Sprint(keyList(g["KeySchema"]), "; ", proj["ProjectionType"], nonKey)
	}
	// Attributes defined but used by no key are refused by CloudFormation and DynamoDB alike,
	// so comparing the keys compares the definitions too.
	if len(types) != len(d.AttributeDefinitions) {
		t.Errorf("%d attribute definitions, the store's table has %d", len(types), len(d.AttributeDefinitions))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CDK table differs from dynamo.CreateTable (-store +cdk):\n%s", diff)
	}
}
