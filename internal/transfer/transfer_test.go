package transfer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/httpapi"
	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/dynamo"
	"github.com/overduehq/overdue/internal/store/dynamo/dynamotest"
	"github.com/overduehq/overdue/internal/store/sqlite"
	"github.com/overduehq/overdue/internal/store/storetest"
	"github.com/overduehq/overdue/internal/totp"
	"github.com/overduehq/overdue/internal/transfer"
)

// The data the tests move: one project with known keys, two channels, three checks (simple
// with a slug, cron in a zone, paused with filters), pings with bodies, flips, and an account.
const (
	projectID = "0b5d7e7c-3a4e-4f59-9d6f-0c1e2a3b4c5d"
	simpleID  = "6f1d3c2a-9b8e-4d7c-a6f5-e4d3c2b1a091"
	cronID    = "7a2e4d3b-0c9f-4e8d-b7a6-f5e4d3c2b1a0"
	pausedID  = "8b3f5e4c-1d0a-4f9e-8c7b-a6f5e4d3c2b1"
	emailChan = "c1111111-2222-4333-8444-555555555555"
	hookChan  = "c2222222-3333-4444-8555-666666666666"
	statusKey = "statuspagekey0000000001"
)

var (
	keys = check.Keys{APIKey: "hcw_aaaaaaaaaaaaaaaaaaaaaaaaaaaa", ReadOnlyKey: "hcr_bbbbbbbbbbbbbbbbbbbbbbbbbbbb", PingKey: "pingkeypingkeypingkey1"}
	t0   = time.Date(2026, 11, 30, 8, 0, 0, 123456000, time.UTC)
)

func openSQLite(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "overdue.db"), store.Options{Box: storetest.Box(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func openDynamo(t *testing.T) *dynamo.Store {
	t.Helper()
	client := dynamotest.Client(t)
	st := dynamo.New(client, dynamotest.ReadyTable(t, client, "transfer"), store.Options{Box: storetest.Box(t)})
	t.Cleanup(func() { st.Close() })
	return st
}

// seed fills st through the store and through the ping API at a pinned clock, as a running
// server would have.
func seed(t *testing.T, st *sqlite.Store) {
	t.Helper()
	ctx := context.Background()
	p := &check.Project{ID: projectID, Name: "Backups", Created: t0, APIKeyHash: check.HashKey(keys.APIKey),
		ReadOnlyKeyHash: check.HashKey(keys.ReadOnlyKey), PingKeyHash: check.HashKey(keys.PingKey), BadgeKey: "badgekey1"}
	must(t, st.CreateProject(ctx, p))
	must(t, st.CreateChannel(ctx, &check.Channel{ID: emailChan, ProjectID: projectID, Kind: "email", Name: "Ops", Value: "ops@example.org", Created: t0.Add(time.Minute),
		Delay: 15 * time.Minute, Repeat: time.Hour}))
	must(t, st.CreateChannel(ctx, &check.Channel{ID: hookChan, ProjectID: projectID, Kind: "webhook", Name: "Hook", Value: "https://hooks.example.org/x?token=s3cret", Created: t0.Add(2 * time.Minute), Late: true}))

	simple := check.New(simpleID, projectID, t0.Add(3*time.Minute))
	simple.Name, simple.Slug, simple.Tags, simple.Desc = "Nightly backup", "nightly-backup", "prod db", "pg_dump\nto S3"
	simple.Timeout, simple.Grace = time.Hour, 5*time.Minute
	simple.Channels = []string{hookChan, emailChan}
	simple.LateNotice = true
	simple.BadgeKey = "checkbadge1"
	must(t, st.CreateCheck(ctx, simple))

	cron := check.New(cronID, projectID, t0.Add(4*time.Minute))
	cron.Name, cron.Slug, cron.Kind, cron.Schedule, cron.TZ = "Reports", "reports", check.KindCron, "30 2 * * 1-5", "Europe/Riga"
	cron.Methods, cron.Channels = "POST", []string{emailChan}
	cron.StartGrace, cron.MaxRuntime, cron.MinRuntime, cron.FailureTolerance = 10*time.Minute, 2*time.Hour, 30*time.Second, 3
	cron.SnoozeUntil = t0.Add(48 * time.Hour)
	must(t, st.CreateCheck(ctx, cron))

	paused := check.New(pausedID, projectID, t0.Add(5*time.Minute))
	paused.Name, paused.ManualResume, paused.FilterBody, paused.FilterSubject = "Paused one", true, true, true
	paused.SuccessKw, paused.FailureKw, paused.StartKw, paused.FilterDefaultFail = "ok,done", "error", "begin", true
	paused.FailStreak = 2 // failures seen before it was paused
	paused.DependsOn = []string{simpleID, cronID}
	paused.FailureRate = check.FailureRate{Failures: 3, Window: 10 * time.Minute}
	paused.Flap = check.FlapRule{Changes: 4, Window: time.Hour}
	must(t, st.CreateCheck(ctx, paused))

	now := t0.Add(time.Hour)
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Store: st, Now: func() time.Time { return now }, SecretKey: []byte("k")}))
	defer srv.Close()
	for _, step := range []struct {
		advance      time.Duration
		method, path string
		body         string
	}{
		{0, "GET", "/ping/" + simpleID + "/start", ""},
		{time.Minute, "POST", "/ping/" + simpleID, "backup done\x00\xff"},
		{time.Hour, "POST", "/ping/" + simpleID + "/fail", "disk full"},
		{time.Minute, "GET", "/ping/" + keys.PingKey + "/nightly-backup/0", ""},
		{time.Minute, "POST", "/ping/" + cronID + "?rid=2ad1a0fa-7a5c-4c6a-9b0e-3f1c2d4e5f60", "report"},
		{time.Minute, "GET", "/ping/" + cronID + "/7", ""},
	} {
		now = now.Add(step.advance)
		mustPing(t, srv.URL, step.method, step.path, step.body)
	}
	if _, err := st.UpdateCheck(ctx, pausedID, func(c *check.Check) (store.Change, error) {
		return store.Change{Flip: c.Pause(now)}, nil
	}); err != nil {
		t.Fatal(err)
	}
	// The state the rules keep, as a running server may have left it (not what a pause leaves, but the format must carry it).
	_, err := st.UpdateCheck(ctx, pausedID, func(c *check.Check) (store.Change, error) {
		c.FailTimes = []time.Time{t0.Add(-time.Minute)}
		c.ChangeTimes = []time.Time{t0.Add(-20 * time.Minute), t0.Add(-10*time.Minute + time.Microsecond)}
		c.FlapSent, c.HeldParent, c.HeldNote = check.StatusUp, simpleID, "held: Nightly backup is down"
		c.HeldReason, c.HeldUntil = check.ReasonFail, t0.Add(time.Minute)
		c.LateFor = t0.Add(-30 * time.Minute)
		return store.Change{}, nil
	})
	must(t, err)
	// The notifier has handled every flip (an export of a live install may hold unhandled ones:
	// TestUnprocessedFlipsArriveProcessed).
	flips, err := st.UnprocessedFlips(ctx, 100)
	must(t, err)
	for _, f := range flips {
		if _, err := st.MarkFlipProcessed(ctx, f, now); err != nil {
			t.Fatal(err)
		}
	}

	// Maintenance windows: one-off for a check, recurring for a tag, and the whole project.
	must(t, st.CreateWindow(ctx, &check.Window{ID: "w-once", ProjectID: projectID, CheckID: simpleID,
		Start: t0.Add(48 * time.Hour), End: t0.Add(50 * time.Hour), Created: t0.Add(6 * time.Minute)}))
	must(t, st.CreateWindow(ctx, &check.Window{ID: "w-weekly", ProjectID: projectID, Tag: "db",
		Schedule: "0 3 * * 0", TZ: "Europe/Riga", Duration: 2 * time.Hour, Created: t0.Add(7 * time.Minute)}))
	must(t, st.CreateWindow(ctx, &check.Window{ID: "w-all", ProjectID: projectID,
		Start: t0.Add(72 * time.Hour), End: t0.Add(73 * time.Hour), Created: t0.Add(8 * time.Minute)}))
	must(t, st.PutStatusPage(ctx, &check.StatusPage{ProjectID: projectID, Key: statusKey, Public: true, Checks: []string{cronID, simpleID}}))

	ppl := st.People()
	must(t, ppl.CreateUser(ctx, &people.User{ID: "u1", Email: "alice@example.org", Name: "Alice", PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", TimeZone: "Europe/Riga", Created: t0,
		Reports: people.ReportsWeekly, Reminders: people.RemindersHourly, ReportSlot: "2026-W48", ReminderSlot: "2026-11-30T07Z"}))
	must(t, ppl.CreateUser(ctx, &people.User{ID: "u2", Email: "bob@example.org", Created: t0.Add(time.Second)}))
	must(t, ppl.SetMembership(ctx, people.Membership{ProjectID: projectID, UserID: "u1", Role: people.RoleOwner, Created: t0}))
	must(t, ppl.SetMembership(ctx, people.Membership{ProjectID: projectID, UserID: "u2", Role: people.RoleReadOnly, Created: t0.Add(time.Second)}))
	must(t, ppl.CreateAPIToken(ctx, &people.APIToken{ID: "t1", Hash: check.HashKey("token"), UserID: "u1", Name: "ci", Created: t0, LastUsed: now}))
	// Alice's second factors (an app, sealed under the store's secret, and a security key) and
	// her unused recovery codes.
	sealed, err := account.SealTOTPSecret(storetest.Box(t), totpID, totpSecret)
	must(t, err)
	must(t, ppl.CreateSecondFactor(ctx, &people.SecondFactor{ID: totpID, UserID: "u1", Kind: people.FactorTOTP, Name: "phone",
		Secret: sealed, Counter: 59123456, Created: t0.Add(time.Minute)}))
	must(t, ppl.CreateSecondFactor(ctx, &people.SecondFactor{ID: keyID, UserID: "u1", Kind: people.FactorWebAuthn, Name: "yubikey",
		Public: []byte{0xa5, 0x01, 0x02, 0x03, 0x26}, Counter: 17, Created: t0.Add(2 * time.Minute)}))
	must(t, ppl.SetRecoveryCodes(ctx, "u1", []string{check.HashKey("code-b"), check.HashKey("code-a")}))
}

// Alice's second factors.
const (
	totpID = "f1111111-2222-4333-8444-555555555555"
	keyID  = "f2222222-3333-4444-8555-666666666666"
)

var totpSecret = []byte("12345678901234567890")

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustPing(t *testing.T, base, method, path, body string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	must(t, err)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "OK" {
		t.Fatalf("%s %s = %d %q, want 200 OK", method, path, resp.StatusCode, b)
	}
}

func export(t *testing.T, st store.Store, ppl store.People, opts transfer.ExportOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if opts.Box == nil {
		opts.Box = storetest.Box(t) // every store of these tests seals under it
	}
	if _, err := transfer.Export(context.Background(), &buf, st, ppl, opts); err != nil {
		t.Fatalf("Export: %v", err)
	}
	return buf.Bytes()
}

func importFile(t *testing.T, file []byte, st store.Store, ppl store.People, opts transfer.ImportOptions) *transfer.Report {
	t.Helper()
	if opts.Box == nil {
		opts.Box = storetest.Box(t)
	}
	rep, err := transfer.Import(context.Background(), bytes.NewReader(file), st, ppl, opts)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	return rep
}

// TestRoundTrip moves an install SQLite → DynamoDB → SQLite: every export is the same file,
// a second import changes nothing, and the ping URLs work against the imported data.
func TestRoundTrip(t *testing.T) {
	src := openSQLite(t)
	seed(t, src)
	file1 := export(t, src, src.People(), transfer.ExportOptions{})

	want := transfer.Counts{Projects: 1, Channels: 2, Checks: 3, Pings: 6, Flips: 5, Windows: 3, StatusPages: 1, Users: 2, Memberships: 2, APITokens: 1,
		SecondFactors: 2, RecoveryCodes: 1}
	fresh := openSQLite(t)
	if rep := importFile(t, file1, fresh, fresh.People(), transfer.ImportOptions{DryRun: true}); rep.File != want || rep.Created != want {
		t.Errorf("dry run into an empty store: file %v, created %v; want %v for both", rep.File, rep.Created, want)
	}
	if got := export(t, fresh, fresh.People(), transfer.ExportOptions{}); bytes.Count(got, []byte("\n")) != 1 {
		t.Errorf("a dry run wrote data:\n%s", got)
	}

	dyn := openDynamo(t)
	if rep := importFile(t, file1, dyn, dyn.People(), transfer.ImportOptions{}); rep.Created != want {
		t.Errorf("import into DynamoDB created %v, want %v", rep.Created, want)
	}
	file2 := export(t, dyn, dyn.People(), transfer.ExportOptions{})
	if diff := lineDiff(file1, file2); diff != "" {
		t.Errorf("SQLite and DynamoDB exports differ:\n%s", diff)
	}
	if rep := importFile(t, file1, dyn, dyn.People(), transfer.ImportOptions{}); rep.Created != (transfer.Counts{}) {
		t.Errorf("second import created %v, want nothing", rep.Created)
	}
	if file3 := export(t, dyn, dyn.People(), transfer.ExportOptions{}); !bytes.Equal(file2, file3) {
		t.Errorf("a second import changed the data:\n%s", lineDiff(file2, file3))
	}

	back := openSQLite(t)
	importFile(t, file2, back, back.People(), transfer.ImportOptions{})
	if file4 := export(t, back, back.People(), transfer.ExportOptions{}); !bytes.Equal(file1, file4) {
		t.Errorf("SQLite → DynamoDB → SQLite changed the export:\n%s", lineDiff(file1, file4))
	}

	// The imported check answers its UUID and slug URLs, and counts the new ping.
	now := t0.Add(24 * time.Hour)
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Store: dyn, Now: func() time.Time { return now }, SecretKey: []byte("k")}))
	defer srv.Close()
	mustPing(t, srv.URL, "GET", "/ping/"+simpleID, "")
	mustPing(t, srv.URL, "GET", "/ping/"+keys.PingKey+"/nightly-backup", "")
	c, err := dyn.Check(context.Background(), simpleID)
	must(t, err)
	if c.NPings != 6 || c.Status != check.StatusUp {
		t.Errorf("after two pings to the imported check: n_pings %d, status %s; want 6, up", c.NPings, c.Status)
	}
	// The alert rules moved with the check.
	c, err = dyn.Check(context.Background(), cronID)
	must(t, err)
	if c.StartGrace != 10*time.Minute || c.MaxRuntime != 2*time.Hour || c.MinRuntime != 30*time.Second ||
		c.FailureTolerance != 3 || !c.SnoozeUntil.Equal(t0.Add(48*time.Hour)) {
		t.Errorf("imported rules: %v %v %v %d %v; want 10m 2h 30s 3, snoozed until t0+48h",
			c.StartGrace, c.MaxRuntime, c.MinRuntime, c.FailureTolerance, c.SnoozeUntil)
	}
	// The channels' timing moved with them.
	if chans, err := dyn.Channels(context.Background(), projectID); err != nil || len(chans) != 2 ||
		chans[0].Delay != 15*time.Minute || chans[0].Repeat != time.Hour || chans[1].Delay != 0 || chans[1].Repeat != 0 {
		t.Errorf("imported channels = %+v, %v; want the email channel's delay 15m and repeat 1h, none on the webhook", chans, err)
	}
	if c, err := dyn.Check(context.Background(), pausedID); err != nil || c.FailStreak != 2 {
		t.Errorf("imported paused check = %+v, %v; want its failure streak 2", c, err)
	} else if !slices.Equal(c.DependsOn, []string{simpleID, cronID}) || c.FailureRate.Window != 10*time.Minute || c.Flap.Changes != 4 ||
		len(c.ChangeTimes) != 2 || !c.ChangeTimes[1].Equal(t0.Add(-10*time.Minute+time.Microsecond)) || c.HeldNote == "" || !c.HeldUntil.Equal(t0.Add(time.Minute)) {
		t.Errorf("imported dependencies, rate and flapping: %v %+v %+v %v %q %v", c.DependsOn, c.FailureRate, c.Flap, c.ChangeTimes, c.HeldNote, c.HeldUntil)
	}
	// So did the maintenance windows.
	ws, err := dyn.Windows(context.Background(), projectID)
	must(t, err)
	if len(ws) != 3 || ws[0].CheckID != simpleID || !ws[0].End.Equal(t0.Add(50*time.Hour)) ||
		ws[1].Tag != "db" || ws[1].Schedule != "0 3 * * 0" || ws[1].TZ != "Europe/Riga" || ws[1].Duration != 2*time.Hour ||
		ws[2].CheckID != "" || ws[2].Tag != "" {
		t.Errorf("imported windows = %+v, want the three of the source", ws)
	}
	if sp, err := dyn.StatusPageByKey(context.Background(), statusKey); err != nil || sp.ProjectID != projectID || !sp.Public ||
		strings.Join(sp.Checks, ",") != cronID+","+simpleID {
		t.Errorf("imported status page = %+v, %v; want the project's public page with the cron and simple checks in that order", sp, err)
	}
	if p, _, err := dyn.ProjectByAPIKey(context.Background(), check.HashKey(keys.APIKey)); err != nil || p.ID != projectID {
		t.Errorf("ProjectByAPIKey(the project's key) = %v, %v; want project %s", p, err, projectID)
	}
	// Alice's email settings, second factors and recovery codes came along.
	alice, err := dyn.People().User(context.Background(), "u1")
	if err != nil || alice.Reports != people.ReportsWeekly || alice.Reminders != people.RemindersHourly || alice.ReportSlot != "2026-W48" {
		t.Errorf("imported user = %+v, %v; want weekly reports, hourly reminders and the reporter's cursor", alice, err)
	}
	fs, err := dyn.People().SecondFactors(context.Background(), "u1")
	must(t, err)
	if len(fs) != 2 || fs[0].Counter != 59123456 || fs[1].Counter != 17 || !bytes.Equal(fs[1].Public, []byte{0xa5, 0x01, 0x02, 0x03, 0x26}) {
		t.Fatalf("imported second factors = %+v; want the app and the key with their counters", fs)
	}
	if secret, err := account.OpenTOTPSecret(storetest.Box(t), totpID, fs[0].Secret); err != nil || !bytes.Equal(secret, totpSecret) {
		t.Errorf("the imported app's secret opens to %q, %v; want the source's", secret, err)
	}
	if n, err := dyn.People().RecoveryCodesLeft(context.Background(), "u1"); err != nil || n != 2 {
		t.Errorf("imported recovery codes = %d, %v; want 2", n, err)
	}
}

// TestCanaryStays: an install's ingestion canary (its own project and check) is not exported:
// the importing install makes its own.
func TestCanaryStays(t *testing.T) {
	src := openSQLite(t)
	seed(t, src)
	before := export(t, src, src.People(), transfer.ExportOptions{})
	ctx := context.Background()
	c, err := src.PutCanary(ctx, store.Canary{CheckID: "c0000000-0000-4000-8000-00000000ca01", ProjectID: "c0000000-0000-4000-8000-00000000ca02"})
	must(t, err)
	must(t, src.CreateProject(ctx, &check.Project{ID: c.ProjectID, Name: "Overdue internal: ingestion canary", Created: t0.Add(-time.Hour),
		APIKeyHash: "x", ReadOnlyKeyHash: "y", PingKeyHash: "z"}))
	must(t, src.CreateCheck(ctx, check.New(c.CheckID, c.ProjectID, t0.Add(-time.Hour))))
	if after := export(t, src, src.People(), transfer.ExportOptions{}); !bytes.Equal(before, after) {
		t.Errorf("the canary was exported:\n%s", lineDiff(before, after))
	}
}

// TestSecondFactorsAcrossSecrets: an app's secret travels in clear in the file and is sealed
// again under the importing store's own secret: it opens there, and not under the source's.
// Without the secret, an export of such a factor and an import of it are refused, the import
// before writing anything.
func TestSecondFactorsAcrossSecrets(t *testing.T) {
	src := openSQLite(t)
	seed(t, src)
	file := export(t, src, src.People(), transfer.ExportOptions{})
	if !bytes.Contains(file, []byte(`"secret":"`+totp.Encode(totpSecret)+`"`)) {
		t.Errorf("the file does not carry the app's secret in base32")
	}

	other := storetest.BoxOf(t, "another server's secret, 32 chars")
	dst := openSQLite(t)
	importFile(t, file, dst, dst.People(), transfer.ImportOptions{Box: other})
	fs, err := dst.People().SecondFactors(context.Background(), "u1")
	must(t, err)
	if secret, err := account.OpenTOTPSecret(other, totpID, fs[0].Secret); err != nil || !bytes.Equal(secret, totpSecret) {
		t.Errorf("under the importing server's secret the app's secret opens to %q, %v", secret, err)
	}
	if _, err := account.OpenTOTPSecret(storetest.Box(t), totpID, fs[0].Secret); err == nil {
		t.Error("the imported secret opens under the source's secret: it was not sealed again")
	}
	if again := export(t, dst, dst.People(), transfer.ExportOptions{Box: other}); !bytes.Equal(file, again) {
		t.Errorf("the export of the other server differs:\n%s", lineDiff(file, again))
	}

	var buf bytes.Buffer
	if _, err := transfer.Export(context.Background(), &buf, src, src.People(), transfer.ExportOptions{Box: other}); err == nil {
		t.Error("an export under the wrong secret succeeded")
	}
	empty := openSQLite(t)
	if _, err := transfer.Import(context.Background(), bytes.NewReader(file), empty, empty.People(), transfer.ImportOptions{Box: nil}); !errors.Is(err, account.ErrNoBox) {
		t.Errorf("an import without a secret = %v, want ErrNoBox", err)
	}
	if got := export(t, empty, empty.People(), transfer.ExportOptions{}); bytes.Count(got, []byte("\n")) != 1 {
		t.Errorf("the refused import wrote data:\n%s", got)
	}
}

func lineDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	var out strings.Builder
	for i := 0; i < max(len(al), len(bl)); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			out.WriteString("- " + x + "\n+ " + y + "\n")
		}
	}
	return out.String()
}

// TestRefusals: a file this build cannot read, or one that clashes with the store, is refused
// with what was wrong, and nothing is written.
func TestRefusals(t *testing.T) {
	src := openSQLite(t)
	seed(t, src)
	good := export(t, src, src.People(), transfer.ExportOptions{})
	head, rest, _ := bytes.Cut(good, []byte("\n"))

	newer := schema.VersionError{Data: schema.Version{Version: schema.Current + 2, MinReader: schema.Current + 1}, Current: schema.Current, Oldest: schema.Oldest}
	tests := []struct {
		name string
		file string
		want string
	}{
		{"newer data model", fmt.Sprintf(`{"type":"header","format":1,"data_model":%d,"min_reader":%d,"scope":"install"}`+"\n", schema.Current+2, schema.Current+1) + string(rest),
			newer.Error()},
		{"newer format", strings.Replace(string(good), `"format":1`, `"format":2`, 1), "file format 2: this build reads format 1"},
		{"not an export", "hello\n", "line 1: not JSON: this is not an Overdue export"},
		{"empty", "", "the file is empty"},
		{"unknown field", string(head) + "\n" + `{"type":"project","id":"p","name":"x","colour":"red"}` + "\n", `line 2: not a valid record: json: unknown field "colour"`},
		{"unknown type", string(head) + "\n" + `{"type":"team","id":"p"}` + "\n", `line 2: unknown record type "team"`},
		{"orphan check", string(head) + "\n" + `{"type":"check","id":"c","project":"nope","name":"","slug":"","tags":"","desc":"","kind":"simple","timeout":60,"schedule":"","tz":"UTC","grace":60,"methods":"","manual_resume":false,"start_kw":"","success_kw":"","failure_kw":"","filter_subject":false,"filter_body":false,"filter_http_body":false,"filter_default_fail":false,"channels":[],"status":"new","n_pings":0}` + "\n",
			`line 2: check c: project "nope" does not come before it in the file`},
		{"bad instant", strings.Replace(string(good), `"created":"2026-11-30T08:00:00.123456Z"`, `"created":"yesterday"`, 1), "line 2: field created is not an RFC 3339 instant"},
		{"window of another project's check", string(good[:bytes.LastIndex(good[:bytes.Index(good, []byte(`{"type":"user"`))], []byte("\n"))+1]) +
			`{"type":"window","id":"w-x","project":"` + projectID + `","check":"c0000000-0000-4000-8000-00000000dead","start":"2026-12-01T00:00:00.000000Z","end":"2026-12-01T01:00:00.000000Z"}` + "\n",
			"maintenance window w-x is for check c0000000-0000-4000-8000-00000000dead, which is not a check of its project"},
		{"window without an end", string(head) + "\n" + `{"type":"project","id":"p","name":"x"}` + "\n" + `{"type":"window","id":"w-y","project":"p","start":"2026-12-01T00:00:00.000000Z"}` + "\n",
			"line 3: maintenance window w-y:"},
		{"window with a bad schedule", string(head) + "\n" + `{"type":"project","id":"p","name":"x"}` + "\n" + `{"type":"window","id":"w-z","project":"p","schedule":"every sunday","tz":"UTC","duration":3600}` + "\n",
			"line 3: maintenance window w-z:"},
		{"status page before its project", string(head) + "\n" + `{"type":"status_page","project":"p","key":"statuspagekey0000000001","public":true,"checks":[]}` + "\n",
			`line 2: status page: project "p" does not come before it in the file`},
		{"status page with a bad key", strings.Replace(string(good), `"key":"`+statusKey+`"`, `"key":"Short"`, 1), "status page of project " + projectID + ": status page key is 5 characters long"},
		{"ping out of place", string(head) + "\n" + `{"type":"ping","check":"c","n":1,"created":"2026-11-30T08:00:00.000000Z","kind":"success","body_size":0}` + "\n", "line 2: ping 1 of check c does not follow its check"},
		// Late notices on a channel the API would refuse them on, in the API's words.
		{"late on a pagerduty channel", strings.Replace(string(good), `"kind":"webhook"`, `"kind":"pagerduty"`, 1),
			"line 4: channel " + hookChan + ": " + notify.ValidateLate("pagerduty", "https://hooks.example.org/x?token=s3cret", true).Error()},
		{"late on a webhook in Healthchecks' form", strings.Replace(string(good), `"value":"https://hooks.example.org/x?token=s3cret"`, `"value":"{\"url_down\":\"https://hooks.example.org/down\"}"`, 1),
			"line 4: channel " + hookChan + ": " + notify.ValidateLate(check.ChannelWebhook, `{"url_down":"https://hooks.example.org/down"}`, true).Error()},
		{"late on a group", strings.Replace(string(good), `"kind":"webhook"`, `"kind":"`+notify.ChannelGroup+`"`, 1),
			"line 4: channel " + hookChan + ": " + notify.ValidateLate(notify.ChannelGroup, "", true).Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := openSQLite(t)
			_, err := transfer.Import(context.Background(), strings.NewReader(tt.file), dst, dst.People(), transfer.ImportOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Import = %v, want an error containing %q", err, tt.want)
			}
			if ps, _ := dst.Projects(context.Background()); len(ps) != 0 {
				t.Errorf("a refused import wrote %d projects", len(ps))
			}
		})
	}

	// A check UUID taken by another project of the target: refused before any write.
	dst := openSQLite(t)
	must(t, dst.CreateProject(context.Background(), &check.Project{ID: "other", Name: "Other", Created: t0}))
	must(t, dst.CreateCheck(context.Background(), check.New(cronID, "other", t0)))
	_, err := transfer.Import(context.Background(), bytes.NewReader(good), dst, dst.People(), transfer.ImportOptions{})
	if want := "check " + cronID + " already exists in project other"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Import over a taken UUID = %v, want an error containing %q", err, want)
	}
	if _, err := dst.Project(context.Background(), projectID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after the refusal, the file's project is in the store (%v)", err)
	}

	// A status page key that another project's page of the target holds: refused before any
	// write, saying how to get past it.
	dst = openSQLite(t)
	must(t, dst.CreateProject(context.Background(), &check.Project{ID: "other", Name: "Other", Created: t0}))
	must(t, dst.PutStatusPage(context.Background(), &check.StatusPage{ProjectID: "other", Key: statusKey}))
	_, err = transfer.Import(context.Background(), bytes.NewReader(good), dst, dst.People(), transfer.ImportOptions{})
	if want := "that of project other's status page in this store; give one of them a new address"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Import over a taken status page key = %v, want an error containing %q", err, want)
	}
	if _, err := dst.Project(context.Background(), projectID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after the refusal, the file's project is in the store (%v)", err)
	}
}

// TestUnprocessedFlipsArriveProcessed: a flip the source's notifier had not handled yet is
// imported as processed at its own instant, so the target never alerts for history.
func TestUnprocessedFlipsArriveProcessed(t *testing.T) {
	ctx := context.Background()
	src := openSQLite(t)
	must(t, src.CreateProject(ctx, &check.Project{ID: projectID, Name: "P", Created: t0}))
	c := check.New(simpleID, projectID, t0)
	must(t, src.CreateCheck(ctx, c))
	down := t0.Add(time.Hour)
	if _, err := src.UpdateCheck(ctx, simpleID, func(c *check.Check) (store.Change, error) {
		c.Status = check.StatusDown
		return store.Change{Flip: &check.Flip{CheckID: c.ID, Created: down, OldStatus: check.StatusUp, NewStatus: check.StatusDown, Reason: check.ReasonTimeout}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	file := export(t, src, nil, transfer.ExportOptions{})
	if !bytes.Contains(file, []byte(`"type":"flip"`)) || bytes.Contains(file, []byte(`"processed"`)) {
		t.Fatalf("export of an unprocessed flip:\n%s", file)
	}
	dst := openSQLite(t)
	importFile(t, file, dst, nil, transfer.ImportOptions{})
	if un, err := dst.UnprocessedFlips(ctx, 10); err != nil || len(un) != 0 {
		t.Errorf("UnprocessedFlips after import = %v, %v; want none", un, err)
	}
	flips, err := dst.Flips(ctx, simpleID, store.FlipQuery{})
	if err != nil || len(flips) != 1 || !flips[0].Processed.Equal(down) || flips[0].NewStatus != check.StatusDown {
		t.Errorf("imported flips = %+v, %v; want one down flip processed at %v", flips, err, down)
	}
}

// TestProjectScope: --project exports one project and its members only; importing it next to
// another project leaves that one alone.
func TestProjectScope(t *testing.T) {
	ctx := context.Background()
	src := openSQLite(t)
	seed(t, src)
	must(t, src.CreateProject(ctx, &check.Project{ID: "other", Name: "Other", Created: t0.Add(time.Hour)}))
	must(t, src.CreateCheck(ctx, check.New("9c4a6f5d-2e1b-4a0f-9d8c-b7a6f5e4d3c2", "other", t0)))
	must(t, src.People().CreateUser(ctx, &people.User{ID: "u3", Email: "carol@example.org", Created: t0}))
	must(t, src.People().SetMembership(ctx, people.Membership{ProjectID: "other", UserID: "u3", Role: people.RoleOwner, Created: t0}))

	file := export(t, src, src.People(), transfer.ExportOptions{ProjectID: "other"})
	dst := openSQLite(t)
	rep := importFile(t, file, dst, dst.People(), transfer.ImportOptions{})
	want := transfer.Counts{Projects: 1, Checks: 1, Users: 1, Memberships: 1}
	if rep.Created != want || rep.Scope != transfer.ScopeProject {
		t.Errorf("import of one project: created %v, scope %s; want %v, project", rep.Created, rep.Scope, want)
	}
	if _, err := dst.People().UserByEmail(ctx, "alice@example.org"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a member of another project came along (%v)", err)
	}
}

// TestImportGrantsIntoExistingPeople: a file cannot give a user of this store a role or a token,
// nor anyone a role in a project of this store, unless the import is told to merge people; the
// plan lists every grant; roles are checked when the file is read.
func TestImportGrantsIntoExistingPeople(t *testing.T) {
	src := openSQLite(t)
	seed(t, src)
	file := export(t, src, src.People(), transfer.ExportOptions{})
	ctx := context.Background()

	dst := openSQLite(t)
	// Alice's account is here already (same ID and email): the file would make it an owner of
	// the imported project and give it the file's API token.
	must(t, dst.People().CreateUser(ctx, &people.User{ID: "u1", Email: "alice@example.org", Created: t0}))
	for _, dry := range []bool{true, false} {
		_, err := transfer.Import(ctx, bytes.NewReader(file), dst, dst.People(), transfer.ImportOptions{DryRun: dry})
		if err == nil || !strings.Contains(err.Error(), "membership of alice@example.org in project "+projectID+" as owner: the account") ||
			!strings.Contains(err.Error(), "--merge-people") {
			t.Errorf("import (dry run %v) granting to an account already here = %v, want a refusal naming --merge-people", dry, err)
		}
	}
	if _, err := dst.Project(ctx, projectID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused import wrote the project: %v", err)
	}

	rep := importFile(t, file, dst, dst.People(), transfer.ImportOptions{DryRun: true, MergePeople: true})
	var got []string
	for _, g := range rep.Grants {
		got = append(got, g.String())
	}
	want := []string{
		"alice@example.org: owner of project " + projectID + " (into an account or project already here)",
		"bob@example.org: readonly of project " + projectID,
		`alice@example.org: personal API token "ci" (acts as the user in each of their projects) (into an account or project already here)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("grants of the plan:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	rep = importFile(t, file, dst, dst.People(), transfer.ImportOptions{MergePeople: true})
	if rep.Created.Memberships != 2 || rep.Created.APITokens != 1 {
		t.Errorf("import with MergePeople created %v, want 2 memberships and 1 token", rep.Created)
	}

	// A project already here: the file's members would join it.
	other := openSQLite(t)
	projectOnly := export(t, src, nil, transfer.ExportOptions{ProjectID: projectID})
	importFile(t, projectOnly, other, other.People(), transfer.ImportOptions{})
	_, err := transfer.Import(ctx, bytes.NewReader(file), other, other.People(), transfer.ImportOptions{})
	if err == nil || !strings.Contains(err.Error(), "as owner: the project, which this store held before the import") {
		t.Errorf("import adding members to a project already here = %v, want a refusal", err)
	}

	bad := bytes.Replace(file, []byte(`"role":"owner"`), []byte(`"role":"admin"`), 1)
	if bytes.Equal(bad, file) {
		t.Fatalf("no owner role in the file:\n%s", file)
	}
	_, err = transfer.Import(ctx, bytes.NewReader(bad), openSQLite(t), nil, transfer.ImportOptions{DryRun: true})
	if err == nil || !strings.Contains(err.Error(), `role "admin" is not one of owner, manager, member, readonly`) {
		t.Errorf("import of a file with role admin = %v, want the role refused", err)
	}
}

// TestInterruptedImportFinishes stops an import at each of its writes in turn, as a killed
// process or a store gone away would, and runs it again: the second run finishes what the first
// started, and the store then exports the very file imported. In particular an account is never
// left without the second factors and recovery codes it brought (a second run, finding the
// account, would add none). The second run is given --merge-people: an import stopped before
// its memberships finds its own projects and accounts already there (README).
func TestInterruptedImportFinishes(t *testing.T) {
	src := openSQLite(t)
	seed(t, src)
	file := export(t, src, src.People(), transfer.ExportOptions{})

	// How many writes a whole import makes.
	count := &stopper{}
	whole := openSQLite(t)
	importFile(t, file, stoppingStore{whole, count}, stoppingPeople{whole.People(), count}, transfer.ImportOptions{})
	if count.n < 20 {
		t.Fatalf("a whole import made %d writes, want the file's 20 or more", count.n)
	}
	for at := 1; at <= count.n; at++ {
		dst := openSQLite(t)
		stop := &stopper{at: at}
		_, err := transfer.Import(context.Background(), bytes.NewReader(file), stoppingStore{dst, stop}, stoppingPeople{dst.People(), stop},
			transfer.ImportOptions{Box: storetest.Box(t)})
		if !errors.Is(err, errStopped) {
			t.Fatalf("import stopped at write %d = %v, want it stopped", at, err)
		}
		importFile(t, file, dst, dst.People(), transfer.ImportOptions{MergePeople: true})
		if got := export(t, dst, dst.People(), transfer.ExportOptions{}); !bytes.Equal(file, got) {
			t.Errorf("import stopped at write %d of %d and run again: the export differs:\n%s", at, count.n, lineDiff(file, got))
		}
	}
}

var errStopped = errors.New("stopped (test)")

// stopper counts writes and fails every one from the at-th on (none when at is 0).
type stopper struct{ n, at int }

func (s *stopper) write() error {
	s.n++
	if s.at > 0 && s.n >= s.at {
		return errStopped
	}
	return nil
}

// stoppingStore and stoppingPeople pass every write an import makes through a stopper.
type stoppingStore struct {
	store.Store
	s *stopper
}

func (w stoppingStore) CreateProject(ctx context.Context, p *check.Project) error {
	if err := w.s.write(); err != nil {
		return err
	}
	return w.Store.CreateProject(ctx, p)
}

func (w stoppingStore) CreateChannel(ctx context.Context, ch *check.Channel) error {
	if err := w.s.write(); err != nil {
		return err
	}
	return w.Store.CreateChannel(ctx, ch)
}

func (w stoppingStore) CreateCheck(ctx context.Context, c *check.Check) error {
	if err := w.s.write(); err != nil {
		return err
	}
	return w.Store.CreateCheck(ctx, c)
}

func (w stoppingStore) UpdateCheck(ctx context.Context, id string, fn func(*check.Check) (store.Change, error)) (*check.Check, error) {
	if err := w.s.write(); err != nil {
		return nil, err
	}
	return w.Store.UpdateCheck(ctx, id, fn)
}

func (w stoppingStore) CreateWindow(ctx context.Context, win *check.Window) error {
	if err := w.s.write(); err != nil {
		return err
	}
	return w.Store.CreateWindow(ctx, win)
}

func (w stoppingStore) PutStatusPage(ctx context.Context, sp *check.StatusPage) error {
	if err := w.s.write(); err != nil {
		return err
	}
	return w.Store.PutStatusPage(ctx, sp)
}

type stoppingPeople struct {
	store.People
	s *stopper
}

func (w stoppingPeople) CreateUser(ctx context.Context, u *people.User) error {
	if err := w.s.write(); err != nil {
		return err
	}
	return w.People.CreateUser(ctx, u)
}

func (w stoppingPeople) CreateUserWithFactors(ctx context.Context, u *people.User, fs []*people.SecondFactor, codes []string) error {
	if err := w.s.write(); err != nil {
		return err
	}
	return w.People.CreateUserWithFactors(ctx, u, fs, codes)
}

func (w stoppingPeople) SetMembership(ctx context.Context, m people.Membership) error {
	if err := w.s.write(); err != nil {
		return err
	}
	return w.People.SetMembership(ctx, m)
}

func (w stoppingPeople) CreateAPIToken(ctx context.Context, tok *people.APIToken) error {
	if err := w.s.write(); err != nil {
		return err
	}
	return w.People.CreateAPIToken(ctx, tok)
}

func (w stoppingPeople) CreateSecondFactor(ctx context.Context, f *people.SecondFactor) error {
	if err := w.s.write(); err != nil {
		return err
	}
	return w.People.CreateSecondFactor(ctx, f)
}

func (w stoppingPeople) SetRecoveryCodes(ctx context.Context, userID string, hashes []string) error {
	if err := w.s.write(); err != nil {
		return err
	}
	return w.People.SetRecoveryCodes(ctx, userID, hashes)
}

// TestImportBackAfterMorePings: a file imported back into the SQLite store it came from, after
// the check has taken more pings, adds nothing and fails on nothing. The file's oldest pings
// are now below the check's kept window (n_pings - PingLimit), where the store's chunked trim
// may still hold some of them, hidden from its listings, so the import finds them missing.
func TestImportBackAfterMorePings(t *testing.T) {
	ctx := context.Background()
	const limit = 20
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "overdue.db"), store.Options{Box: storetest.Box(t), PingLimit: limit})
	must(t, err)
	t.Cleanup(func() { st.Close() })
	must(t, st.CreateProject(ctx, &check.Project{ID: projectID, Name: "Backups", Created: t0, APIKeyHash: check.HashKey(keys.APIKey),
		ReadOnlyKeyHash: check.HashKey(keys.ReadOnlyKey), PingKeyHash: check.HashKey(keys.PingKey), BadgeKey: "badgekey1"}))
	const id = "11111111-2222-4333-8444-555555555555"
	must(t, st.CreateCheck(ctx, check.New(id, projectID, t0)))
	at := t0
	ping := func(times int) {
		for range times {
			at = at.Add(time.Minute)
			now := at
			_, err := st.UpdateCheck(ctx, id, func(c *check.Check) (store.Change, error) {
				p, f := c.ApplyPing(check.Signal{Kind: check.PingSuccess, Method: "GET", Scheme: "https"}, now, nil)
				return store.Change{Ping: p, Flip: f}, nil
			})
			must(t, err)
		}
	}
	ping(40)
	file := export(t, st, st.People(), transfer.ExportOptions{}) // pings 21 to 40
	ping(5)                                                      // 45: 26 to 45 kept
	want := export(t, st, st.People(), transfer.ExportOptions{})
	for range 2 {
		importFile(t, file, st, st.People(), transfer.ImportOptions{MergePeople: true})
		if got := export(t, st, st.People(), transfer.ExportOptions{}); !bytes.Equal(want, got) {
			t.Errorf("the file imported back: the export differs:\n%s", lineDiff(want, got))
		}
	}
}
