package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store/dynamo"
)

// Stream records carry items as the table stores them, in aws-lambda-go's attribute type. This
// file converts them to the SDK's type; the dynamo store, which owns the item layout, decodes
// the flip (dynamo.FlipFromImage).

// errNoImage: the record has no new image, so the stream is not NEW_IMAGE or
// NEW_AND_OLD_IMAGES as the table is made (dynamo.CreateTable and the CDK app).
var errNoImage = errors.New("stream record has no NewImage: the table's stream must carry new images")

// flipFromRecord returns the flip a stream record inserted, and false for every other record:
// changes to flips (marking one processed is a MODIFY), removals (TTL), and other items.
func flipFromRecord(rec events.DynamoDBEventRecord) (*check.Flip, bool, error) {
	if rec.EventName != string(events.DynamoDBOperationTypeInsert) {
		return nil, false, nil
	}
	// Only flips are worth decoding, and the keys tell; FlipFromImage checks them again.
	if sk, ok := rec.Change.Keys[dynamo.SortKey]; ok &&
		(sk.DataType() != events.DataTypeString || !strings.HasPrefix(sk.String(), dynamo.FlipSortKeyPrefix)) {
		return nil, false, nil
	}
	if len(rec.Change.NewImage) == 0 {
		return nil, false, errNoImage
	}
	f, ok, err := flipFromImage(rec.Change.NewImage)
	if err != nil {
		return nil, false, fmt.Errorf("stream record %s: %w", rec.EventID, err)
	}
	return f, ok, nil
}

// flipFromImage decodes a stream image; false when it is not a flip item.
func flipFromImage(image map[string]events.DynamoDBAttributeValue) (*check.Flip, bool, error) {
	m, err := toItem(image)
	if err != nil {
		return nil, false, err
	}
	return dynamo.FlipFromImage(m)
}

// toItem converts a stream image, in aws-lambda-go's attribute type, to the SDK's, which the
// attributevalue package decodes.
func toItem(image map[string]events.DynamoDBAttributeValue) (map[string]types.AttributeValue, error) {
	m := make(map[string]types.AttributeValue, len(image))
	for name, av := range image {
		v, err := toAttributeValue(av)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", name, err)
		}
		m[name] = v
	}
	return m, nil
}

// toAttributeValue converts one attribute value, recursively for lists and maps.
func toAttributeValue(av events.DynamoDBAttributeValue) (types.AttributeValue, error) {
	switch av.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: av.String()}, nil
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: av.Number()}, nil
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: av.Binary()}, nil
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: av.Boolean()}, nil
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: av.StringSet()}, nil
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: av.NumberSet()}, nil
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: av.BinarySet()}, nil
	case events.DataTypeList:
		list := av.List()
		out := make([]types.AttributeValue, len(list))
		for i, v := range list {
			c, err := toAttributeValue(v)
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			out[i] = c
		}
		return &types.AttributeValueMemberL{Value: out}, nil
	case events.DataTypeMap:
		m, err := toItem(av.Map())
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	}
	return nil, fmt.Errorf("unknown attribute type %d", av.DataType())
}
