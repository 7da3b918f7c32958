package streamtest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// TestLambdaRecord: a record with nested attributes comes out as the JSON Lambda delivers.
func TestLambdaRecord(t *testing.T) {
	at := time.Date(2026, 12, 6, 22, 0, 0, 0, time.UTC)
	r := streamtypes.Record{
		EventID: aws.String("e1"), EventName: streamtypes.OperationTypeInsert,
		EventSource: aws.String("aws:dynamodb"), EventVersion: aws.String("1.1"), AwsRegion: aws.String("us-east-1"),
		Dynamodb: &streamtypes.StreamRecord{
			ApproximateCreationDateTime: &at,
			Keys: map[string]streamtypes.AttributeValue{
				"pk": &streamtypes.AttributeValueMemberS{Value: "CHECK#1"},
				"sk": &streamtypes.AttributeValueMemberS{Value: "FLIP#x"},
			},
			NewImage: map[string]streamtypes.AttributeValue{
				"n":    &streamtypes.AttributeValueMemberN{Value: "7"},
				"tags": &streamtypes.AttributeValueMemberL{Value: []streamtypes.AttributeValue{&streamtypes.AttributeValueMemberS{Value: "a"}}},
				"m":    &streamtypes.AttributeValueMemberM{Value: map[string]streamtypes.AttributeValue{"ok": &streamtypes.AttributeValueMemberBOOL{Value: true}}},
			},
			SequenceNumber: aws.String("100"), SizeBytes: aws.Int64(42), StreamViewType: streamtypes.StreamViewTypeNewAndOldImages,
		},
	}
	rec, err := LambdaRecord(r, "arn:stream")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	change := got["dynamodb"].(map[string]any)
	img := change["NewImage"].(map[string]any)
	if n := img["n"].(map[string]any)["N"]; n != "7" {
		t.Errorf("NewImage.n = %v, want N 7", img["n"])
	}
	if l := img["tags"].(map[string]any)["L"].([]any); len(l) != 1 || l[0].(map[string]any)["S"] != "a" {
		t.Errorf("NewImage.tags = %v, want L [S a]", img["tags"])
	}
	if m := img["m"].(map[string]any)["M"].(map[string]any)["ok"].(map[string]any)["BOOL"]; m != true {
		t.Errorf("NewImage.m = %v, want M {ok: BOOL true}", img["m"])
	}
	if _, ok := change["OldImage"]; ok {
		t.Errorf("OldImage = %v, want it left out when the stream has none", change["OldImage"])
	}
	if got["eventSourceARN"] != "arn:stream" || got["eventName"] != "INSERT" || change["SequenceNumber"] != "100" {
		t.Errorf("record = %s", raw)
	}
}

// TestLambdaRecordUnknownType: an attribute type the conversion does not know is an error, not
// a silently empty value.
func TestLambdaRecordUnknownType(t *testing.T) {
	r := streamtypes.Record{Dynamodb: &streamtypes.StreamRecord{
		NewImage: map[string]streamtypes.AttributeValue{"x": &streamtypes.UnknownUnionMember{Tag: "Z"}},
	}}
	if _, err := LambdaRecord(r, "arn"); err == nil {
		t.Error("LambdaRecord with an unknown attribute type succeeded, want an error")
	}
}
