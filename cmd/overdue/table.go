package main

import (
	"context"
	"fmt"
	"io"

	"github.com/overduehq/overdue/internal/store/dynamo"
)

// cmdTableCreate is `overdue table create --table NAME`: a DynamoDB table with the keys, indexes,
// stream and TTL the CDK app creates, for local work against moto or DynamoDB Local.
func cmdTableCreate(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("table create")
	table := fs.String("table", "", "table name (required)")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := noPositional(fs, pos); err != nil {
		return err
	}
	if *table == "" {
		return usagef("table create: --table is required")
	}
	client, err := dynamoClient(ctx)
	if err != nil {
		return err
	}
	if err := dynamo.CreateTable(ctx, client, *table); err != nil {
		return fmt.Errorf("create table %s: %w", *table, err)
	}
	fmt.Fprintf(stdout, "Table %s created (generation %d).\n", *table, dynamo.TableGeneration)
	return nil
}
