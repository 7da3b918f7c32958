package dynamo

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// Accounts (store.People, data model version 6) are item types of their own; no existing item
// changes, so the step that introduced them has nothing to migrate:
//
//	item                 pk                  sk                 notes
//	user                 USER#<id>           USER               gpk USERS, gsk USER: listed through the project index
//	email uniqueness     EMAIL#<email>       EMAIL              the user's ID; put with the user, both on attribute_not_exists
//	membership           PROJECT#<project>   MEMBER#<user>      role, created: the project's members, one Query
//	membership (copy)    USER#<user>         MEMBER#<project>   the same: the user's projects, one Query
//	owner count          PROJECT#<project>   OWNERS             n: how many owners, changed with every membership write
//	invitation           INVITE#<hash>       INVITE             consumed by a conditional delete; TTL at its expiry
//	invitation (pointer) PROJECT#<project>   INVITE#<hash>      so that deleting the project finds its invitations; same TTL
//	set-password link    RESET#<hash>        RESET              the same
//	link (pointer)       USER#<user>         RESET#<hash>       so that setting the password deletes every link; same TTL
//	session              SESSION#<hash>      SESSION            looked up by the cookie's hash; TTL at its expiry
//	session (pointer)    USER#<user>         SESSION#<hash>     so that "sign out everywhere" finds every session; same TTL
//	API token            TOKEN#<hash>        TOKEN              looked up by the presented token's hash
//	API token (pointer)  USER#<user>         TOKEN#<id>         the token's hash, so that revoking by ID finds it
//
// Why so: everything a request looks up arrives as a hash (a cookie, a link, a bearer token),
// so each has its own partition and costs one strongly consistent GetItem. Everything listed
// per user or per project lives in that user's or project's partition and costs one Query,
// strongly consistent, where an index would be eventually consistent: a session created a moment
// before "sign out everywhere" must not survive it. The membership is written twice (project
// and user partitions) in one transaction, never one without the other.
//
// The races that matter are decided by conditions: the email item is put on
// attribute_not_exists, so two sign-ups with one email cannot both win; an invitation or link
// is consumed by a DeleteItem conditional on its existence and expiry, so exactly one caller
// gets it; and the last owner is kept by the owner count: a write that demotes or removes an
// owner decrements it on the condition n > 1, in the same transaction as the membership write,
// which is itself conditional on the role it read. DynamoDB's TTL deletes expired items within
// days, not at once, so every read checks the expiry itself.
const (
	userPrefix    = "USER#"
	emailPrefix   = "EMAIL#"
	memberPrefix  = "MEMBER#"
	invitePrefix  = "INVITE#"
	resetPrefix   = "RESET#"
	sessionPrefix = "SESSION#"
	tokenPrefix   = "TOKEN#"

	userSK    = "USER"
	emailSK   = "EMAIL"
	ownersSK  = "OWNERS"
	inviteSK  = "INVITE"
	resetSK   = "RESET"
	sessionSK = "SESSION"
	tokenSK   = "TOKEN"

	// usersGPK is the project index partition that lists every user.
	usersGPK = "USERS"
)

func key(pk, sk string) item { return item{PartitionKey: str(pk), SortKey: str(sk)} }

type userItem struct {
	PK           string `dynamodbav:"pk"`
	SK           string `dynamodbav:"sk"`
	ID           string `dynamodbav:"id"`
	Email        string `dynamodbav:"em"`
	Name         string `dynamodbav:"nm,omitempty"`
	PasswordHash string `dynamodbav:"ph,omitempty"`
	TimeZone     string `dynamodbav:"tz,omitempty"`
	Created      int64  `dynamodbav:"cr,omitempty"`
	GPK          string `dynamodbav:"gpk"`
	GSK          string `dynamodbav:"gsk"`
	// Reports, Reminders, ReportSlot, ReminderSlot and Version are data model 14's
	// (mailing.go): absent on users no UpdateUser has written.
	Reports      string `dynamodbav:"rp,omitempty"`
	Reminders    string `dynamodbav:"rm,omitempty"`
	ReportSlot   string `dynamodbav:"rs,omitempty"`
	ReminderSlot string `dynamodbav:"ms,omitempty"`
	Version      int64  `dynamodbav:"uv,omitempty"`
}

func (it *userItem) user() *people.User {
	return &people.User{ID: it.ID, Email: it.Email, Name: it.Name, PasswordHash: it.PasswordHash,
		TimeZone: it.TimeZone, Created: fromMicros(it.Created), Reports: people.ReportPeriod(it.Reports),
		Reminders: people.ReminderPeriod(it.Reminders), ReportSlot: it.ReportSlot, ReminderSlot: it.ReminderSlot}
}

type emailItem struct {
	PK     string `dynamodbav:"pk"`
	SK     string `dynamodbav:"sk"`
	UserID string `dynamodbav:"uid"`
}

type memberItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	ProjectID string `dynamodbav:"pid"`
	UserID    string `dynamodbav:"uid"`
	Role      string `dynamodbav:"role"`
	Created   int64  `dynamodbav:"cr,omitempty"`
}

func (it *memberItem) membership() people.Membership {
	return people.Membership{ProjectID: it.ProjectID, UserID: it.UserID, Role: people.Role(it.Role), Created: fromMicros(it.Created)}
}

type inviteItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	ProjectID string `dynamodbav:"pid"`
	Email     string `dynamodbav:"em"`
	Role      string `dynamodbav:"role"`
	InviterID string `dynamodbav:"by"`
	Created   int64  `dynamodbav:"cr,omitempty"`
	Expires   int64  `dynamodbav:"ex"`
	TTL       int64  `dynamodbav:"ttl"`
}

type resetItem struct {
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	UserID  string `dynamodbav:"uid"`
	Created int64  `dynamodbav:"cr,omitempty"`
	Expires int64  `dynamodbav:"ex"`
	TTL     int64  `dynamodbav:"ttl"`
}

type sessionItem struct {
	PK       string `dynamodbav:"pk"`
	SK       string `dynamodbav:"sk"`
	UserID   string `dynamodbav:"uid"`
	Created  int64  `dynamodbav:"cr,omitempty"`
	LastSeen int64  `dynamodbav:"ls,omitempty"`
	Expires  int64  `dynamodbav:"ex"`
	Client   string `dynamodbav:"cl,omitempty"`
	TTL      int64  `dynamodbav:"ttl"`
}

func (it *sessionItem) session() *people.Session {
	return &people.Session{IDHash: strings.TrimPrefix(it.PK, sessionPrefix), UserID: it.UserID,
		Created: fromMicros(it.Created), LastSeen: fromMicros(it.LastSeen), Expires: fromMicros(it.Expires), Client: it.Client}
}

// pointerItem is a user-partition pointer to a session or a token.
type pointerItem struct {
	PK   string `dynamodbav:"pk"`
	SK   string `dynamodbav:"sk"`
	Hash string `dynamodbav:"h"`
	TTL  int64  `dynamodbav:"ttl,omitempty"`
}

type tokenItem struct {
	PK       string `dynamodbav:"pk"`
	SK       string `dynamodbav:"sk"`
	ID       string `dynamodbav:"id"`
	UserID   string `dynamodbav:"uid"`
	Name     string `dynamodbav:"nm"`
	Created  int64  `dynamodbav:"cr,omitempty"`
	LastUsed int64  `dynamodbav:"lu,omitempty"`
}

// ttlOf is the TTL (epoch seconds) of an item that expires at t, rounded up so DynamoDB never
// deletes it before its expiry.
func ttlOf(t time.Time) int64 {
	s := t.Unix()
	if t.After(time.Unix(s, 0)) {
		s++
	}
	return s
}

// People is the DynamoDB implementation of store.People, in the store's table.
type People struct {
	s *Store
}

var _ store.People = (*People)(nil)

// People returns the accounts kept in the store's table. It does no I/O.
func (s *Store) People() *People { return &People{s: s} }

// createPointed puts a new item, on the condition that its key is free, together with the
// pointer item that lets a partition (the user's, the project's) find it; store.ErrConflict if
// the key is taken.
func (p *People) createPointed(ctx context.Context, it, pointer item) error {
	err := p.transact(ctx, []types.TransactWriteItem{
		{Put: &types.Put{Item: it, ConditionExpression: notExists, ExpressionAttributeNames: pkNames}},
		{Put: &types.Put{Item: pointer}},
	})
	if anyConditionFailed(err) {
		return store.ErrConflict
	}
	return err
}

// conditionFailed reports whether the i-th item of a cancelled transaction failed its condition.
func conditionFailed(err error, i int) bool {
	return reasonIs(cancelReasons(err), i, codeConditionFailed)
}

func anyConditionFailed(err error) bool {
	return slices.ContainsFunc(cancelReasons(err), func(r types.CancellationReason) bool {
		return aws.ToString(r.Code) == codeConditionFailed
	})
}

func (p *People) transact(ctx context.Context, items []types.TransactWriteItem) error {
	return p.s.transact(ctx, items, func() cost {
		var c cost
		for _, ti := range items {
			switch {
			case ti.Put != nil:
				c = c.plus(writeCost(nil, ti.Put.Item, true))
			case ti.ConditionCheck != nil:
				c = c.plus(conditionCheckCost)
			default:
				c = c.plus(cost{table: 2})
			}
		}
		return c
	})
}

var notExists = aws.String("attribute_not_exists(#pk)")
var exists = aws.String("attribute_exists(#pk)")

// CreateUser puts the user and its email item in one transaction, each on the condition that
// its key is free.
func (p *People) CreateUser(ctx context.Context, u *people.User) error {
	return p.CreateUserWithFactors(ctx, u, nil, nil)
}

// CreateUserWithFactors puts the user, its email item, its factors and its codes in one
// transaction, each on the condition that its key is free (store.MaxUserFactorsAndCodes keeps
// it within a transaction's 100 writes).
func (p *People) CreateUserWithFactors(ctx context.Context, u *people.User, factors []*people.SecondFactor, codes []string) error {
	if err := store.ValidateUserWithFactors(u, factors, codes); err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	if err := p.s.guardWrite(ctx); err != nil {
		return fmt.Errorf("create user %s: %w", u.ID, err)
	}
	ui := marshal(&userItem{PK: userPrefix + u.ID, SK: userSK, ID: u.ID, Email: u.Email, Name: u.Name,
		PasswordHash: u.PasswordHash, TimeZone: u.TimeZone, Created: micros(u.Created), GPK: usersGPK, GSK: userSK,
		Reports: string(u.Reports), Reminders: string(u.Reminders), ReportSlot: u.ReportSlot, ReminderSlot: u.ReminderSlot})
	ei := marshal(&emailItem{PK: emailPrefix + u.Email, SK: emailSK, UserID: u.ID})
	items := []types.TransactWriteItem{
		{Put: &types.Put{Item: ui, ConditionExpression: notExists, ExpressionAttributeNames: pkNames}},
		{Put: &types.Put{Item: ei, ConditionExpression: notExists, ExpressionAttributeNames: pkNames}},
	}
	for _, f := range factors {
		items = append(items, types.TransactWriteItem{Put: &types.Put{Item: marshal(newFactorItem(f)),
			ConditionExpression: notExists, ExpressionAttributeNames: pkNames}})
	}
	for _, h := range codes {
		items = append(items, types.TransactWriteItem{Put: &types.Put{Item: key(userPrefix+u.ID, recoveryPrefix+h),
			ConditionExpression: notExists, ExpressionAttributeNames: pkNames}})
	}
	err := p.transact(ctx, items)
	if err == nil {
		return nil
	}
	if anyConditionFailed(err) {
		// A request the SDK sent again after DynamoDB applied it finds our own items.
		if got, gerr := p.User(ctx, u.ID); gerr == nil && got.Email == u.Email && got.Created.Equal(fromMicros(micros(u.Created))) &&
			got.PasswordHash == u.PasswordHash {
			return nil
		}
		return fmt.Errorf("create user %s: the ID or the email is taken: %w", u.ID, store.ErrConflict)
	}
	return fmt.Errorf("create user %s: %w", u.ID, err)
}

func (p *People) loadUser(ctx context.Context, k item) (*people.User, error) {
	m, err := p.s.get(ctx, k, true)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, store.ErrNotFound
	}
	it, err := unmarshal[userItem](m)
	if err != nil {
		return nil, err
	}
	return it.user(), nil
}

// User loads a user by ID.
func (p *People) User(ctx context.Context, id string) (*people.User, error) {
	u, err := p.loadUser(ctx, key(userPrefix+id, userSK))
	if err != nil {
		return nil, fmt.Errorf("load user %s: %w", id, err)
	}
	return u, nil
}

// UserByEmail reads the email item, then the user.
func (p *People) UserByEmail(ctx context.Context, email string) (*people.User, error) {
	m, err := p.s.get(ctx, key(emailPrefix+email, emailSK), true)
	if err != nil {
		return nil, fmt.Errorf("find user by email: %w", err)
	}
	if m == nil {
		return nil, fmt.Errorf("find user by email: %w", store.ErrNotFound)
	}
	it, err := unmarshal[emailItem](m)
	if err != nil {
		return nil, fmt.Errorf("find user by email: %w", err)
	}
	return p.User(ctx, it.UserID)
}

// Users lists every user through the project index, oldest first.
func (p *People) Users(ctx context.Context) ([]*people.User, error) {
	entries, err := p.s.query(ctx, &dynamodb.QueryInput{
		IndexName:                 aws.String(ProjectIndex),
		KeyConditionExpression:    aws.String("#gpk = :gpk"),
		ExpressionAttributeNames:  map[string]string{"#gpk": ProjectIndexPartitionKey},
		ExpressionAttributeValues: item{":gpk": str(usersGPK)},
	}, 0)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	items, err := p.s.batchGet(ctx, primaryKeys(entries), false)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	var out []*people.User
	for _, m := range items {
		it, err := unmarshal[userItem](m)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, it.user())
	}
	slices.SortFunc(out, func(a, b *people.User) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// SetPasswordHash updates the user item on the condition that it exists.
func (p *People) SetPasswordHash(ctx context.Context, userID, hash string) error {
	if err := p.s.guardWrite(ctx); err != nil {
		return fmt.Errorf("set password of user %s: %w", userID, err)
	}
	_, err := p.s.update(ctx, &dynamodb.UpdateItemInput{
		Key:                       key(userPrefix+userID, userSK),
		UpdateExpression:          aws.String("SET #ph = :ph"),
		ConditionExpression:       exists,
		ExpressionAttributeNames:  map[string]string{"#pk": PartitionKey, "#ph": "ph"},
		ExpressionAttributeValues: item{":ph": str(hash)},
	}, func() cost { return cost{table: 1} })
	if isConditionFailed(err) {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("set password of user %s: %w", userID, err)
	}
	return nil
}

// SetProfile updates the user item on the condition that it exists; an empty name or zone is
// removed, as CreateUser leaves it out.
func (p *People) SetProfile(ctx context.Context, userID, name, timeZone string) error {
	if err := p.s.guardWrite(ctx); err != nil {
		return fmt.Errorf("set profile of user %s: %w", userID, err)
	}
	names := map[string]string{"#pk": PartitionKey}
	values := item{}
	var set, remove []string
	for _, a := range []struct{ attr, v string }{{"nm", name}, {"tz", timeZone}} {
		names["#"+a.attr] = a.attr
		if a.v == "" {
			remove = append(remove, "#"+a.attr)
			continue
		}
		values[":"+a.attr] = str(a.v)
		set = append(set, "#"+a.attr+" = :"+a.attr)
	}
	expr := ""
	if len(set) > 0 {
		expr = "SET " + strings.Join(set, ", ")
	}
	if len(remove) > 0 {
		expr = strings.TrimSpace(expr + " REMOVE " + strings.Join(remove, ", "))
	}
	in := &dynamodb.UpdateItemInput{
		Key:                      key(userPrefix+userID, userSK),
		UpdateExpression:         aws.String(expr),
		ConditionExpression:      exists,
		ExpressionAttributeNames: names,
	}
	if len(values) > 0 {
		in.ExpressionAttributeValues = values
	}
	_, err := p.s.update(ctx, in, func() cost { return cost{table: 1} })
	if isConditionFailed(err) {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("set profile of user %s: %w", userID, err)
	}
	return nil
}

// member reads the project's membership item of the user, strongly consistent; nil if none.
func (p *People) member(ctx context.Context, projectID, userID string) (*memberItem, error) {
	m, err := p.s.get(ctx, key(projectPrefix+projectID, memberPrefix+userID), true)
	if err != nil || m == nil {
		return nil, err
	}
	return unmarshal[memberItem](m)
}

// ownerChange is the owner count's update when a member's role goes from old ("" for none) to
// new ("" for removed), with the last-owner condition when it falls; nil when it does not change.
func ownerChange(projectID string, old, new people.Role) *types.Update {
	var delta int64
	switch {
	case old != people.RoleOwner && new == people.RoleOwner:
		delta = 1
	case old == people.RoleOwner && new != people.RoleOwner:
		delta = -1
	default:
		return nil
	}
	u := &types.Update{
		Key:                       key(projectPrefix+projectID, ownersSK),
		UpdateExpression:          aws.String("ADD #n :d"),
		ExpressionAttributeNames:  map[string]string{"#n": "n"},
		ExpressionAttributeValues: item{":d": num(delta)},
	}
	if delta < 0 {
		u.ConditionExpression = aws.String("#n > :one")
		u.ExpressionAttributeValues[":one"] = num(1)
	}
	return u
}

// changeMembership writes one membership change (set, or remove when role is "") as a
// transaction conditional on the role it read, retrying when another writer changed it first.
func (p *People) changeMembership(ctx context.Context, projectID, userID string, role people.Role, created time.Time) error {
	return p.decideMembership(ctx, projectID, userID, created, func(people.Role) (people.Role, error) { return role, nil })
}

// decideMembership is changeMembership with the new role decided by decide from the role read
// (""; not a member), on each attempt.
func (p *People) decideMembership(ctx context.Context, projectID, userID string, created time.Time, decide func(cur people.Role) (people.Role, error)) error {
	if err := p.s.guardWrite(ctx); err != nil {
		return err
	}
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return err
			}
		}
		cur, err := p.member(ctx, projectID, userID)
		if err != nil {
			return err
		}
		var old people.Role
		cond := notExists
		names := map[string]string{"#pk": PartitionKey}
		values := item{}
		if cur != nil {
			old, created = people.Role(cur.Role), fromMicros(cur.Created)
			cond = aws.String("#role = :old")
			names = map[string]string{"#role": "role"}
			values[":old"] = str(cur.Role)
		}
		role, err := decide(old)
		if err != nil {
			return err
		}
		if role == "" && cur == nil {
			return store.ErrNotFound
		}
		if role == old {
			return nil // nothing to change
		}
		var items []types.TransactWriteItem
		if cur == nil {
			// A new membership needs its project and its user, as SQLite's foreign keys do.
			for _, k := range []item{projectKey(projectID), key(userPrefix+userID, userSK)} {
				items = append(items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
					Key: k, ConditionExpression: exists, ExpressionAttributeNames: pkNames}})
			}
		}
		guarded := len(items) // the index of the conditional membership write
		projectSide := key(projectPrefix+projectID, memberPrefix+userID)
		userSide := key(userPrefix+userID, memberPrefix+projectID)
		if role == "" {
			items = append(items,
				types.TransactWriteItem{Delete: &types.Delete{Key: projectSide, ConditionExpression: cond,
					ExpressionAttributeNames: names, ExpressionAttributeValues: nilIfEmpty(values)}},
				types.TransactWriteItem{Delete: &types.Delete{Key: userSide}})
		} else {
			mi := memberItem{PK: projectPrefix + projectID, SK: memberPrefix + userID, ProjectID: projectID,
				UserID: userID, Role: string(role), Created: micros(created)}
			ui := mi
			ui.PK, ui.SK = userPrefix+userID, memberPrefix+projectID
			items = append(items,
				types.TransactWriteItem{Put: &types.Put{Item: marshal(&mi), ConditionExpression: cond,
					ExpressionAttributeNames: names, ExpressionAttributeValues: nilIfEmpty(values)}},
				types.TransactWriteItem{Put: &types.Put{Item: marshal(&ui)}})
		}
		owners := -1
		if u := ownerChange(projectID, old, role); u != nil {
			owners = len(items)
			items = append(items, types.TransactWriteItem{Update: u})
		}
		err = p.transact(ctx, items)
		reasons := cancelReasons(err)
		failed := func(i int, code string) bool { return i >= 0 && reasonIs(reasons, i, code) }
		switch {
		case err == nil:
			return nil
		case failed(guarded, codeConditionFailed), isTransactionConflict(err),
			slices.ContainsFunc(reasons, func(r types.CancellationReason) bool {
				return aws.ToString(r.Code) == codeTransactionConflict
			}):
			continue // the membership changed since we read it, or a concurrent write holds an item
		case failed(owners, codeConditionFailed):
			return store.ErrLastOwner
		case cur == nil && (failed(0, codeConditionFailed) || failed(1, codeConditionFailed)):
			return store.ErrNotFound
		default:
			return err
		}
	}
	return store.ErrConflict
}

func nilIfEmpty(m item) item {
	if len(m) == 0 {
		return nil
	}
	return m
}

// SetMembership creates the membership or changes its role, keeping the last owner.
func (p *People) SetMembership(ctx context.Context, m people.Membership) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("set membership: %w", err)
	}
	if err := p.changeMembership(ctx, m.ProjectID, m.UserID, m.Role, m.Created); err != nil {
		return fmt.Errorf("set membership of user %s in project %s: %w", m.UserID, m.ProjectID, err)
	}
	return nil
}

// RemoveMembership removes the membership unless it is the project's last owner.
func (p *People) RemoveMembership(ctx context.Context, projectID, userID string) error {
	if err := p.changeMembership(ctx, projectID, userID, "", time.Time{}); err != nil {
		return fmt.Errorf("remove user %s from project %s: %w", userID, projectID, err)
	}
	return nil
}

func (p *People) queryMembers(ctx context.Context, pk string) ([]people.Membership, error) {
	items, err := p.s.query(ctx, &dynamodb.QueryInput{
		ConsistentRead:            aws.Bool(true),
		KeyConditionExpression:    aws.String("#pk = :pk AND begins_with(#sk, :m)"),
		ExpressionAttributeNames:  map[string]string{"#pk": PartitionKey, "#sk": SortKey},
		ExpressionAttributeValues: item{":pk": str(pk), ":m": str(memberPrefix)},
	}, 0)
	if err != nil {
		return nil, err
	}
	var out []people.Membership
	for _, m := range items {
		it, err := unmarshal[memberItem](m)
		if err != nil {
			return nil, err
		}
		out = append(out, it.membership())
	}
	return out, nil
}

// ChangeMembership changes or removes an existing membership as change decides from the role
// read, in a transaction conditional on that role, deciding again when another writer changed
// it first.
func (p *People) ChangeMembership(ctx context.Context, projectID, userID string, change func(cur people.Role) (people.Role, error)) error {
	err := p.decideMembership(ctx, projectID, userID, time.Time{}, func(cur people.Role) (people.Role, error) {
		if cur == "" {
			return "", store.ErrNotFound
		}
		role, err := change(cur)
		if err == nil && role != "" {
			err = people.Membership{ProjectID: projectID, UserID: userID, Role: role}.Validate()
		}
		return role, err
	})
	if err != nil {
		return fmt.Errorf("change membership of user %s in project %s: %w", userID, projectID, err)
	}
	return nil
}

// Memberships lists the user's memberships, by project ID (the sort key's order).
func (p *People) Memberships(ctx context.Context, userID string) ([]people.Membership, error) {
	out, err := p.queryMembers(ctx, userPrefix+userID)
	if err != nil {
		return nil, fmt.Errorf("list memberships of user %s: %w", userID, err)
	}
	return out, nil
}

// Members lists the project's memberships, by user ID (the sort key's order).
func (p *People) Members(ctx context.Context, projectID string) ([]people.Membership, error) {
	out, err := p.queryMembers(ctx, projectPrefix+projectID)
	if err != nil {
		return nil, fmt.Errorf("list members of project %s: %w", projectID, err)
	}
	return out, nil
}

// putNew puts an item on the condition that its key is free: ErrConflict otherwise.
func (p *People) putNew(ctx context.Context, m item) error {
	if err := p.s.guardWrite(ctx); err != nil {
		return err
	}
	err := p.s.put(ctx, &dynamodb.PutItemInput{Item: m, ConditionExpression: notExists, ExpressionAttributeNames: pkNames},
		func(item) cost { return writeCost(nil, m, false) })
	if isConditionFailed(err) {
		return store.ErrConflict
	}
	return err
}

// consume deletes the item at k if it has not expired at now, and returns it: one conditional
// DeleteItem, so exactly one caller gets it.
func (p *People) consume(ctx context.Context, k item, now time.Time) (item, error) {
	if err := p.s.guardWrite(ctx); err != nil {
		return nil, err
	}
	res, err := p.s.deleteOutput(ctx, &dynamodb.DeleteItemInput{
		Key:                       k,
		ConditionExpression:       aws.String("attribute_exists(#pk) AND #ex > :now"),
		ExpressionAttributeNames:  map[string]string{"#pk": PartitionKey, "#ex": "ex"},
		ExpressionAttributeValues: item{":now": num(micros(now))},
		ReturnValues:              types.ReturnValueAllOld,
	}, func() cost { return cost{table: 1} })
	if isConditionFailed(err) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return res.Attributes, nil
}

// CreateInvitation puts the invitation on the condition that its hash is free.
func (p *People) CreateInvitation(ctx context.Context, inv *people.Invitation) error {
	if err := inv.Validate(); err != nil {
		return fmt.Errorf("create invitation: %w", err)
	}
	m := marshal(&inviteItem{PK: invitePrefix + inv.TokenHash, SK: inviteSK, ProjectID: inv.ProjectID, Email: inv.Email,
		Role: string(inv.Role), InviterID: inv.InviterID, Created: micros(inv.Created), Expires: micros(inv.Expires),
		TTL: ttlOf(inv.Expires)})
	if err := p.s.guardWrite(ctx); err != nil {
		return fmt.Errorf("create invitation to project %s: %w", inv.ProjectID, err)
	}
	// The pointer in the project's partition lets DeleteProject find the project's invitations.
	pi := marshal(&pointerItem{PK: projectPrefix + inv.ProjectID, SK: invitePrefix + inv.TokenHash, Hash: inv.TokenHash,
		TTL: ttlOf(inv.Expires)})
	if err := p.createPointed(ctx, m, pi); err != nil {
		return fmt.Errorf("create invitation to project %s: %w", inv.ProjectID, err)
	}
	return nil
}

// Invitation reads the invitation (strongly consistent, one read) if it has not expired.
func (p *People) Invitation(ctx context.Context, tokenHash string, now time.Time) (*people.Invitation, error) {
	m, err := p.s.get(ctx, key(invitePrefix+tokenHash, inviteSK), true)
	if err != nil {
		return nil, fmt.Errorf("load invitation: %w", err)
	}
	if m == nil {
		return nil, fmt.Errorf("load invitation: %w", store.ErrNotFound)
	}
	it, err := unmarshal[inviteItem](m)
	if err != nil {
		return nil, fmt.Errorf("load invitation: %w", err)
	}
	inv := it.invitation(tokenHash)
	if inv.Expired(now) {
		return nil, fmt.Errorf("load invitation: %w", store.ErrNotFound)
	}
	return inv, nil
}

// ConsumeInvitation deletes and returns the invitation if it has not expired.
func (p *People) ConsumeInvitation(ctx context.Context, tokenHash string, now time.Time) (*people.Invitation, error) {
	m, err := p.consume(ctx, key(invitePrefix+tokenHash, inviteSK), now)
	if err != nil {
		return nil, fmt.Errorf("consume invitation: %w", err)
	}
	it, err := unmarshal[inviteItem](m)
	if err != nil {
		return nil, fmt.Errorf("consume invitation: %w", err)
	}
	// The invitation is ours; a pointer left behind by a failure here is harmless (DeleteProject
	// deletes what it points to, which is gone) and expires with the invitation's TTL.
	_ = p.deleteKeys(ctx, []item{key(projectPrefix+it.ProjectID, invitePrefix+tokenHash)})
	return it.invitation(tokenHash), nil
}

// Invitations reads the project's invitation pointers and the invitations they point to
// (strongly consistent: a cancelled or accepted one is not listed), oldest first.
func (p *People) Invitations(ctx context.Context, projectID string, now time.Time) ([]*people.Invitation, error) {
	ptrs, err := p.partitionPointers(ctx, projectPrefix+projectID, invitePrefix)
	if err != nil {
		return nil, fmt.Errorf("list invitations of project %s: %w", projectID, err)
	}
	keys := make([]item, 0, len(ptrs))
	for _, pi := range ptrs {
		if pi.Hash != "" {
			keys = append(keys, key(invitePrefix+pi.Hash, inviteSK))
		}
	}
	items, err := p.s.batchGet(ctx, keys, true)
	if err != nil {
		return nil, fmt.Errorf("list invitations of project %s: %w", projectID, err)
	}
	var out []*people.Invitation
	for _, m := range items {
		it, err := unmarshal[inviteItem](m)
		if err != nil {
			return nil, fmt.Errorf("list invitations of project %s: %w", projectID, err)
		}
		inv := it.invitation(strings.TrimPrefix(it.PK, invitePrefix))
		if inv.ProjectID == projectID && !inv.Expired(now) {
			out = append(out, inv)
		}
	}
	slices.SortFunc(out, func(a, b *people.Invitation) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.TokenHash, b.TokenHash))
	})
	return out, nil
}

// CancelInvitation deletes the invitation on the condition that it is the project's, then its
// pointer.
func (p *People) CancelInvitation(ctx context.Context, projectID, tokenHash string) error {
	if err := p.s.guardWrite(ctx); err != nil {
		return fmt.Errorf("cancel invitation to project %s: %w", projectID, err)
	}
	err := p.s.delete(ctx, &dynamodb.DeleteItemInput{
		Key:                       key(invitePrefix+tokenHash, inviteSK),
		ConditionExpression:       aws.String("#pid = :pid"),
		ExpressionAttributeNames:  map[string]string{"#pid": "pid"},
		ExpressionAttributeValues: item{":pid": str(projectID)},
	}, func() cost { return cost{table: 1} })
	if isConditionFailed(err) {
		return fmt.Errorf("cancel invitation to project %s: %w", projectID, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("cancel invitation to project %s: %w", projectID, err)
	}
	// As in ConsumeInvitation: a pointer left behind is harmless and expires with its TTL.
	_ = p.deleteKeys(ctx, []item{key(projectPrefix+projectID, invitePrefix+tokenHash)})
	return nil
}

func (it *inviteItem) invitation(tokenHash string) *people.Invitation {
	return &people.Invitation{TokenHash: tokenHash, ProjectID: it.ProjectID, Email: it.Email, Role: people.Role(it.Role),
		InviterID: it.InviterID, Created: fromMicros(it.Created), Expires: fromMicros(it.Expires)}
}

// CreatePasswordReset puts the link on the condition that its hash is free.
func (p *People) CreatePasswordReset(ctx context.Context, r *people.PasswordReset) error {
	if err := r.Validate(); err != nil {
		return fmt.Errorf("create password reset: %w", err)
	}
	m := marshal(&resetItem{PK: resetPrefix + r.TokenHash, SK: resetSK, UserID: r.UserID, Created: micros(r.Created),
		Expires: micros(r.Expires), TTL: ttlOf(r.Expires)})
	if err := p.s.guardWrite(ctx); err != nil {
		return fmt.Errorf("create password reset for user %s: %w", r.UserID, err)
	}
	// The pointer in the user's partition lets DeletePasswordResets find the user's links.
	pi := marshal(&pointerItem{PK: userPrefix + r.UserID, SK: resetPrefix + r.TokenHash, Hash: r.TokenHash, TTL: ttlOf(r.Expires)})
	if err := p.createPointed(ctx, m, pi); err != nil {
		return fmt.Errorf("create password reset for user %s: %w", r.UserID, err)
	}
	return nil
}

// DeletePasswordResets deletes the links the user's partition points to, and the pointers.
// Links made before the pointers existed are not found; they expire within SetPasswordTTL.
func (p *People) DeletePasswordResets(ctx context.Context, userID string) (int, error) {
	if err := p.s.guardWrite(ctx); err != nil {
		return 0, fmt.Errorf("delete password resets of user %s: %w", userID, err)
	}
	ptrs, err := p.pointers(ctx, userID, resetPrefix)
	if err != nil {
		return 0, fmt.Errorf("delete password resets of user %s: %w", userID, err)
	}
	var keys []item
	for _, ptr := range ptrs {
		keys = append(keys, key(resetPrefix+ptr.Hash, resetSK), key(ptr.PK, ptr.SK))
	}
	if err := p.deleteKeys(ctx, keys); err != nil {
		return 0, fmt.Errorf("delete password resets of user %s: %w", userID, err)
	}
	return len(ptrs), nil
}

// ConsumePasswordReset deletes and returns the link if it has not expired.
func (p *People) ConsumePasswordReset(ctx context.Context, tokenHash string, now time.Time) (*people.PasswordReset, error) {
	m, err := p.consume(ctx, key(resetPrefix+tokenHash, resetSK), now)
	if err != nil {
		return nil, fmt.Errorf("consume password reset: %w", err)
	}
	it, err := unmarshal[resetItem](m)
	if err != nil {
		return nil, fmt.Errorf("consume password reset: %w", err)
	}
	_ = p.deleteKeys(ctx, []item{key(userPrefix+it.UserID, resetPrefix+tokenHash)}) // as for an invitation's pointer
	return &people.PasswordReset{TokenHash: tokenHash, UserID: it.UserID, Created: fromMicros(it.Created),
		Expires: fromMicros(it.Expires)}, nil
}

// CreateSession puts the session and its pointer in the user's partition in one transaction.
func (p *People) CreateSession(ctx context.Context, s *people.Session) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	if err := p.s.guardWrite(ctx); err != nil {
		return fmt.Errorf("create session for user %s: %w", s.UserID, err)
	}
	si := marshal(&sessionItem{PK: sessionPrefix + s.IDHash, SK: sessionSK, UserID: s.UserID, Created: micros(s.Created),
		LastSeen: micros(s.LastSeen), Expires: micros(s.Expires), Client: s.Client, TTL: ttlOf(s.Expires)})
	pi := marshal(&pointerItem{PK: userPrefix + s.UserID, SK: sessionPrefix + s.IDHash, Hash: s.IDHash, TTL: ttlOf(s.Expires)})
	if err := p.createPointed(ctx, si, pi); err != nil {
		return fmt.Errorf("create session for user %s: %w", s.UserID, err)
	}
	return nil
}

// Session loads a session that has not expired at now.
func (p *People) Session(ctx context.Context, idHash string, now time.Time) (*people.Session, error) {
	m, err := p.s.get(ctx, key(sessionPrefix+idHash, sessionSK), true)
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	if m == nil {
		return nil, fmt.Errorf("load session: %w", store.ErrNotFound)
	}
	it, err := unmarshal[sessionItem](m)
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	s := it.session()
	if s.Expired(now) {
		return nil, fmt.Errorf("load session: %w", store.ErrNotFound)
	}
	return s, nil
}

// TouchSession updates the session, if it is live at lastSeen, and its pointer's TTL in one
// transaction, so the pointer lives as long as the session.
func (p *People) TouchSession(ctx context.Context, idHash string, lastSeen, expires time.Time) error {
	if err := p.s.guardWrite(ctx); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	// The pointer's key needs the user: read the session first.
	m, err := p.s.get(ctx, key(sessionPrefix+idHash, sessionSK), true)
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	if m == nil {
		return fmt.Errorf("touch session: %w", store.ErrNotFound)
	}
	it, err := unmarshal[sessionItem](m)
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	err = p.transact(ctx, []types.TransactWriteItem{
		{Update: &types.Update{
			Key:                       key(sessionPrefix+idHash, sessionSK),
			UpdateExpression:          aws.String("SET #ls = :ls, #ex = :ex, #ttl = :ttl"),
			ConditionExpression:       aws.String("attribute_exists(#pk) AND #ex > :ls"),
			ExpressionAttributeNames:  map[string]string{"#pk": PartitionKey, "#ls": "ls", "#ex": "ex", "#ttl": TTLAttribute},
			ExpressionAttributeValues: item{":ls": num(micros(lastSeen)), ":ex": num(micros(expires)), ":ttl": num(ttlOf(expires))},
		}},
		{Update: &types.Update{
			Key:                       key(userPrefix+it.UserID, sessionPrefix+idHash),
			UpdateExpression:          aws.String("SET #h = :h, #ttl = :ttl"),
			ExpressionAttributeNames:  map[string]string{"#h": "h", "#ttl": TTLAttribute},
			ExpressionAttributeValues: item{":h": str(idHash), ":ttl": num(ttlOf(expires))},
		}},
	})
	if conditionFailed(err, 0) {
		err = store.ErrNotFound // signed out since we read it, or expired: never brought back
	}
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession removes the session and its pointer.
func (p *People) DeleteSession(ctx context.Context, idHash string) error {
	if err := p.s.guardWrite(ctx); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	m, err := p.s.get(ctx, key(sessionPrefix+idHash, sessionSK), true)
	if err != nil || m == nil {
		if err != nil {
			return fmt.Errorf("delete session: %w", err)
		}
		return nil
	}
	it, err := unmarshal[sessionItem](m)
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	err = p.deleteKeys(ctx, []item{key(sessionPrefix+idHash, sessionSK), key(userPrefix+it.UserID, sessionPrefix+idHash)})
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

func (p *People) deleteKeys(ctx context.Context, keys []item) error {
	writes := make([]types.WriteRequest, len(keys))
	for i, k := range keys {
		writes[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}}
	}
	return p.s.batchWrite(ctx, writes, func(types.WriteRequest) cost { return cost{table: 1} })
}

// pointers lists the user's pointers with the prefix, strongly consistent.
func (p *People) pointers(ctx context.Context, userID, prefix string) ([]*pointerItem, error) {
	return p.partitionPointers(ctx, userPrefix+userID, prefix)
}

// partitionPointers lists the pointers with the prefix in the partition pk, strongly consistent.
func (p *People) partitionPointers(ctx context.Context, pk, prefix string) ([]*pointerItem, error) {
	items, err := p.s.query(ctx, &dynamodb.QueryInput{
		ConsistentRead:            aws.Bool(true),
		KeyConditionExpression:    aws.String("#pk = :pk AND begins_with(#sk, :p)"),
		ExpressionAttributeNames:  map[string]string{"#pk": PartitionKey, "#sk": SortKey},
		ExpressionAttributeValues: item{":pk": str(pk), ":p": str(prefix)},
	}, 0)
	if err != nil {
		return nil, err
	}
	out := make([]*pointerItem, 0, len(items))
	for _, m := range items {
		it, err := unmarshal[pointerItem](m)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

// DeleteSessions removes every session the user's partition points to, with the pointers.
func (p *People) DeleteSessions(ctx context.Context, userID string) (int, error) {
	if err := p.s.guardWrite(ctx); err != nil {
		return 0, fmt.Errorf("delete sessions of user %s: %w", userID, err)
	}
	ptrs, err := p.pointers(ctx, userID, sessionPrefix)
	if err != nil {
		return 0, fmt.Errorf("delete sessions of user %s: %w", userID, err)
	}
	var keys []item
	for _, ptr := range ptrs {
		keys = append(keys, key(sessionPrefix+ptr.Hash, sessionSK), key(ptr.PK, ptr.SK))
	}
	if err := p.deleteKeys(ctx, keys); err != nil {
		return 0, fmt.Errorf("delete sessions of user %s: %w", userID, err)
	}
	return len(ptrs), nil
}

// Sessions reads the sessions the user's partition points to, and keeps the live ones.
func (p *People) Sessions(ctx context.Context, userID string, now time.Time) ([]*people.Session, error) {
	ptrs, err := p.pointers(ctx, userID, sessionPrefix)
	if err != nil {
		return nil, fmt.Errorf("list sessions of user %s: %w", userID, err)
	}
	keys := make([]item, len(ptrs))
	for i, ptr := range ptrs {
		keys[i] = key(sessionPrefix+ptr.Hash, sessionSK)
	}
	items, err := p.s.batchGet(ctx, keys, true)
	if err != nil {
		return nil, fmt.Errorf("list sessions of user %s: %w", userID, err)
	}
	var out []*people.Session
	for _, m := range items {
		it, err := unmarshal[sessionItem](m)
		if err != nil {
			return nil, fmt.Errorf("list sessions of user %s: %w", userID, err)
		}
		if s := it.session(); !s.Expired(now) && s.UserID == userID {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b *people.Session) int {
		return cmp.Or(b.Created.Compare(a.Created), strings.Compare(a.IDHash, b.IDHash))
	})
	return out, nil
}

// CreateAPIToken puts the token and its pointer in one transaction, each on a free key.
func (p *People) CreateAPIToken(ctx context.Context, t *people.APIToken) error {
	if err := t.Validate(); err != nil {
		return fmt.Errorf("create API token: %w", err)
	}
	if err := p.s.guardWrite(ctx); err != nil {
		return fmt.Errorf("create API token %s: %w", t.ID, err)
	}
	ti := marshal(&tokenItem{PK: tokenPrefix + t.Hash, SK: tokenSK, ID: t.ID, UserID: t.UserID, Name: t.Name,
		Created: micros(t.Created), LastUsed: micros(t.LastUsed)})
	pi := marshal(&pointerItem{PK: userPrefix + t.UserID, SK: tokenPrefix + t.ID, Hash: t.Hash})
	err := p.transact(ctx, []types.TransactWriteItem{
		{Put: &types.Put{Item: ti, ConditionExpression: notExists, ExpressionAttributeNames: pkNames}},
		{Put: &types.Put{Item: pi, ConditionExpression: notExists, ExpressionAttributeNames: pkNames}},
	})
	if anyConditionFailed(err) {
		err = store.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("create API token %s: %w", t.ID, err)
	}
	return nil
}

// APITokenByHash reads the token item.
func (p *People) APITokenByHash(ctx context.Context, hash string) (*people.APIToken, error) {
	m, err := p.s.get(ctx, key(tokenPrefix+hash, tokenSK), true)
	if err == nil && m == nil {
		err = store.ErrNotFound
	}
	if err != nil {
		// Never the hash in the message: it identifies the token.
		return nil, fmt.Errorf("find API token: %w", err)
	}
	it, err := unmarshal[tokenItem](m)
	if err != nil {
		return nil, fmt.Errorf("find API token: %w", err)
	}
	return &people.APIToken{ID: it.ID, Hash: hash, UserID: it.UserID, Name: it.Name,
		Created: fromMicros(it.Created), LastUsed: fromMicros(it.LastUsed)}, nil
}

// APITokens reads the tokens the user's partition points to, oldest first.
func (p *People) APITokens(ctx context.Context, userID string) ([]*people.APIToken, error) {
	ptrs, err := p.pointers(ctx, userID, tokenPrefix)
	if err != nil {
		return nil, fmt.Errorf("list API tokens of user %s: %w", userID, err)
	}
	keys := make([]item, len(ptrs))
	for i, ptr := range ptrs {
		keys[i] = key(tokenPrefix+ptr.Hash, tokenSK)
	}
	items, err := p.s.batchGet(ctx, keys, true)
	if err != nil {
		return nil, fmt.Errorf("list API tokens of user %s: %w", userID, err)
	}
	var out []*people.APIToken
	for _, m := range items {
		it, err := unmarshal[tokenItem](m)
		if err != nil {
			return nil, fmt.Errorf("list API tokens of user %s: %w", userID, err)
		}
		out = append(out, &people.APIToken{ID: it.ID, Hash: strings.TrimPrefix(it.PK, tokenPrefix), UserID: it.UserID,
			Name: it.Name, Created: fromMicros(it.Created), LastUsed: fromMicros(it.LastUsed)})
	}
	slices.SortFunc(out, func(a, b *people.APIToken) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// TouchAPIToken sets the token's last use, on the condition that it still exists.
func (p *People) TouchAPIToken(ctx context.Context, hash string, at time.Time) error {
	if err := p.s.guardWrite(ctx); err != nil {
		return fmt.Errorf("touch API token: %w", err)
	}
	_, err := p.s.update(ctx, &dynamodb.UpdateItemInput{
		Key:                       key(tokenPrefix+hash, tokenSK),
		UpdateExpression:          aws.String("SET #lu = :lu"),
		ConditionExpression:       exists,
		ExpressionAttributeNames:  map[string]string{"#pk": PartitionKey, "#lu": "lu"},
		ExpressionAttributeValues: item{":lu": num(micros(at))},
	}, func() cost { return cost{table: 1} })
	if isConditionFailed(err) {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("touch API token: %w", err)
	}
	return nil
}

// RevokeAPIToken finds the token through the user's pointer and deletes both in one
// transaction, on the condition that the pointer is still there.
func (p *People) RevokeAPIToken(ctx context.Context, userID, tokenID string) error {
	if err := p.s.guardWrite(ctx); err != nil {
		return fmt.Errorf("revoke API token %s: %w", tokenID, err)
	}
	pk := key(userPrefix+userID, tokenPrefix+tokenID)
	m, err := p.s.get(ctx, pk, true)
	if err == nil && m == nil {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("revoke API token %s: %w", tokenID, err)
	}
	ptr, err := unmarshal[pointerItem](m)
	if err != nil {
		return fmt.Errorf("revoke API token %s: %w", tokenID, err)
	}
	err = p.transact(ctx, []types.TransactWriteItem{
		{Delete: &types.Delete{Key: pk, ConditionExpression: exists, ExpressionAttributeNames: pkNames}},
		{Delete: &types.Delete{Key: key(tokenPrefix+ptr.Hash, tokenSK)}},
	})
	if conditionFailed(err, 0) {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("revoke API token %s: %w", tokenID, err)
	}
	return nil
}
