package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// Reports and reminders (data model version 14) add attributes to the user item and one item
// type; nothing existing needs migrating, so the step is nil in steps:
//
//	item      pk          sk                       notes
//	user      USER#<id>   USER                     + rp, rm (settings), rs, ms (the reporter's cursor), uv (version)
//	mailing   USER#<id>   MAILING#<kind>#<slot>    the idempotent record of one report or reminder; TTL at
//	                                               people.MailingRetention after its creation
//
// UpdateUser writes only the attributes it owns (not the name, time zone or password hash,
// which SetProfile and SetPasswordHash write), on the condition that the version it read (uv,
// absent before the first update) is still there, and tries again on a lost race. The mailing items live
// in their user's partition: a claim is a PutItem on attribute_not_exists(pk) returning the
// existing record when it loses, an update is conditional on the record's version, and both
// carry a write token, as deliveries do, so that a request the SDK sent again after DynamoDB
// applied it is not mistaken for a lost race.
const (
	mailingPrefix = "MAILING#"

	// updateUserTries bounds UpdateUser's retries of a lost race: the reporter's cursor and a
	// person's own settings are the only writers, so two is already rare.
	updateUserTries = 8
)

func mailingKey(userID string, kind people.MailingKind, slot string) item {
	return key(userPrefix+userID, mailingPrefix+string(kind)+"#"+slot)
}

type mailingItem struct {
	PK          string `dynamodbav:"pk"`
	SK          string `dynamodbav:"sk"`
	UserID      string `dynamodbav:"uid"`
	Kind        string `dynamodbav:"kind"`
	Slot        string `dynamodbav:"slot"`
	Status      string `dynamodbav:"st"`
	Attempts    int    `dynamodbav:"att"`
	NextAttempt int64  `dynamodbav:"na,omitempty"`
	LastError   string `dynamodbav:"err,omitempty"`
	Created     int64  `dynamodbav:"cr"`
	Updated     int64  `dynamodbav:"up"`
	Version     int64  `dynamodbav:"v"`
	WriteToken  string `dynamodbav:"wt"`
	TTL         int64  `dynamodbav:"ttl"`
}

func (it *mailingItem) mailing() *people.Mailing {
	return &people.Mailing{UserID: it.UserID, Kind: people.MailingKind(it.Kind), Slot: it.Slot,
		Status: people.MailingStatus(it.Status), Attempts: it.Attempts, NextAttempt: fromMicros(it.NextAttempt),
		LastError: it.LastError, Created: fromMicros(it.Created), Updated: fromMicros(it.Updated), Version: int(it.Version)}
}

// UpdateUser reads the user strongly consistent, calls fn, and writes the attributes it owns
// (the report and reminder periods and cursors) on the condition that the user's version is
// the one read; on a lost race it reads again and calls fn again, at most updateUserTries times.
func (p *People) UpdateUser(ctx context.Context, id string, fn func(u *people.User) error) (*people.User, error) {
	if err := p.s.guardWrite(ctx); err != nil {
		return nil, fmt.Errorf("update user %s: %w", id, err)
	}
	k := key(userPrefix+id, userSK)
	for range updateUserTries {
		m, err := p.s.get(ctx, k, true)
		if err != nil {
			return nil, fmt.Errorf("update user %s: %w", id, err)
		}
		if m == nil {
			return nil, fmt.Errorf("update user %s: %w", id, store.ErrNotFound)
		}
		it, err := unmarshal[userItem](m)
		if err != nil {
			return nil, fmt.Errorf("update user %s: %w", id, err)
		}
		u := it.user()
		orig := *u
		if err := fn(u); err != nil {
			return nil, err
		}
		u.ID, u.Email, u.Name, u.PasswordHash, u.TimeZone, u.Created = orig.ID, orig.Email, orig.Name, orig.PasswordHash, orig.TimeZone, orig.Created
		if err := u.Validate(); err != nil {
			return nil, fmt.Errorf("update user %s: %w", id, err)
		}
		token := newToken()
		names := map[string]string{"#pk": PartitionKey, "#uv": "uv", "#wt": writeTokenAttr}
		values := item{":v": num(it.Version + 1), ":wt": str(token)}
		set := []string{"#uv = :v", "#wt = :wt"}
		var remove []string
		for _, a := range []struct{ attr, value string }{
			{"rp", string(u.Reports)}, {"rm", string(u.Reminders)}, {"rs", u.ReportSlot}, {"ms", u.ReminderSlot},
		} {
			names["#"+a.attr] = a.attr
			if a.value == "" {
				remove = append(remove, "#"+a.attr)
				continue
			}
			set, values[":"+a.attr] = append(set, "#"+a.attr+" = :"+a.attr), str(a.value)
		}
		expr := "SET " + strings.Join(set, ", ")
		if len(remove) > 0 {
			expr += " REMOVE " + strings.Join(remove, ", ")
		}
		cond := "attribute_exists(#pk) AND attribute_not_exists(#uv)"
		if it.Version != 0 {
			cond, values[":from"] = "attribute_exists(#pk) AND #uv = :from", num(it.Version)
		}
		_, err = p.s.update(ctx, &dynamodb.UpdateItemInput{
			Key:                                 k,
			UpdateExpression:                    aws.String(expr),
			ConditionExpression:                 aws.String(cond),
			ExpressionAttributeNames:            names,
			ExpressionAttributeValues:           values,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}, func() cost { return cost{table: 1} })
		var ccf *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			return u, nil
		case errors.As(err, &ccf) && len(ccf.Item) == 0:
			return nil, fmt.Errorf("update user %s: %w", id, store.ErrNotFound)
		case errors.As(err, &ccf) && stringOf(ccf.Item[writeTokenAttr]) == token:
			return u, nil // our own update, sent again by the SDK after DynamoDB had applied it
		case errors.As(err, &ccf):
			continue // another writer got there first: read again
		default:
			return nil, fmt.Errorf("update user %s: %w", id, err)
		}
	}
	return nil, fmt.Errorf("update user %s: lost the race %d times: %w", id, updateUserTries, store.ErrConflict)
}

// ClaimMailing puts the record on attribute_not_exists(pk); a failure hands back the existing
// one.
func (p *People) ClaimMailing(ctx context.Context, m *people.Mailing) (bool, *people.Mailing, error) {
	if err := m.Validate(); err != nil {
		return false, nil, fmt.Errorf("claim mailing: %w", err)
	}
	if err := p.s.guardWrite(ctx); err != nil {
		return false, nil, fmt.Errorf("claim mailing %s: %w", m.ID(), err)
	}
	k := mailingKey(m.UserID, m.Kind, m.Slot)
	token := newToken()
	it := marshal(&mailingItem{PK: stringOf(k[PartitionKey]), SK: stringOf(k[SortKey]), UserID: m.UserID,
		Kind: string(m.Kind), Slot: m.Slot, Status: string(m.Status), Attempts: m.Attempts, NextAttempt: micros(m.NextAttempt),
		LastError: m.LastError, Created: micros(m.Created), Updated: micros(m.Updated), Version: 1, WriteToken: token,
		TTL: ttlOf(m.Created.Add(people.MailingRetention))})
	err := p.s.put(ctx, &dynamodb.PutItemInput{
		Item:                                it,
		ConditionExpression:                 notExists,
		ExpressionAttributeNames:            pkNames,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}, func(replaced item) cost { return writeCost(replaced, it, false) })
	var ccf *types.ConditionalCheckFailedException
	switch {
	case err == nil:
	case errors.As(err, &ccf):
		existing := ccf.Item
		if len(existing) == 0 {
			if existing, err = p.s.get(ctx, k, true); err != nil {
				return false, nil, fmt.Errorf("claim mailing %s: read the existing record: %w", m.ID(), err)
			}
			if existing == nil {
				return false, nil, fmt.Errorf("claim mailing %s: the record that was there is gone: %w", m.ID(), store.ErrConflict)
			}
		}
		if stringOf(existing[writeTokenAttr]) != token {
			rec, err := unmarshal[mailingItem](existing)
			if err != nil {
				return false, nil, fmt.Errorf("claim mailing %s: %w", m.ID(), err)
			}
			return false, rec.mailing(), nil
		}
		// Our own put, sent again by the SDK after DynamoDB had applied it: the claim is ours.
	default:
		return false, nil, fmt.Errorf("claim mailing %s: %w", m.ID(), err)
	}
	m.Version = 1
	return true, nil, nil
}

// UpdateMailing updates the record's state on the condition that its version is m.Version.
func (p *People) UpdateMailing(ctx context.Context, m *people.Mailing) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("update mailing: %w", err)
	}
	if err := p.s.guardWrite(ctx); err != nil {
		return fmt.Errorf("update mailing %s: %w", m.ID(), err)
	}
	token := newToken()
	next := int64(m.Version) + 1
	names := map[string]string{"#pk": PartitionKey, "#v": "v", "#wt": writeTokenAttr, "#st": "st", "#att": "att",
		"#up": "up", "#na": "na", "#err": "err"}
	values := item{":from": num(int64(m.Version)), ":v": num(next), ":wt": str(token), ":st": str(string(m.Status)),
		":att": num(int64(m.Attempts)), ":up": num(micros(m.Updated))}
	set := []string{"#v = :v", "#wt = :wt", "#st = :st", "#att = :att", "#up = :up"}
	var remove []string
	if na := micros(m.NextAttempt); na != 0 {
		set, values[":na"] = append(set, "#na = :na"), num(na)
	} else {
		remove = append(remove, "#na")
	}
	if m.LastError != "" {
		set, values[":err"] = append(set, "#err = :err"), str(m.LastError)
	} else {
		remove = append(remove, "#err")
	}
	expr := "SET " + strings.Join(set, ", ")
	if len(remove) > 0 {
		expr += " REMOVE " + strings.Join(remove, ", ")
	}
	_, err := p.s.update(ctx, &dynamodb.UpdateItemInput{
		Key:                                 mailingKey(m.UserID, m.Kind, m.Slot),
		UpdateExpression:                    aws.String(expr),
		ConditionExpression:                 aws.String("attribute_exists(#pk) AND #v = :from"),
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}, func() cost { return cost{table: 1} })
	var ccf *types.ConditionalCheckFailedException
	switch {
	case err == nil:
	case errors.As(err, &ccf) && len(ccf.Item) == 0:
		return fmt.Errorf("update mailing %s: %w", m.ID(), store.ErrNotFound)
	case errors.As(err, &ccf) && stringOf(ccf.Item[writeTokenAttr]) == token:
		// Our own update, sent again by the SDK after DynamoDB had applied it.
	case errors.As(err, &ccf):
		return fmt.Errorf("update mailing %s: version %d is stale: %w", m.ID(), m.Version, store.ErrConflict)
	default:
		return fmt.Errorf("update mailing %s: %w", m.ID(), err)
	}
	m.Version = int(next)
	return nil
}
