package main

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/schema"
)

// The rollback drill: the previous release of this command, built from git history, run on data
// the current build wrote and migrated. Every release must either work on it (the changes since
// were expansions) or refuse it with exit status 3 and leave it as it was, byte for byte. Which
// one is decided by the data: a release whose data-model version is below the data's minimum
// reader must refuse. Then the next release's contract step is played on the data (its minimum
// reader raised above the release), and the release must refuse.

// releasesFile lists the releases; see its header and the README's "Cutting a release".
const releasesFile = "RELEASES.tsv"

// release is one line of releasesFile.
type release struct {
	Version   string // v0.x.y, also the tag
	Commit    string // the full commit hash it was cut from
	DataModel int    // the schema.Current it writes
}

var releaseLine = regexp.MustCompile(`^(v\d+\.\d+\.\d+)\t([0-9a-f]{40})\t(\d+)$`)

// readReleases parses releasesFile at the repository's root, oldest first.
func readReleases(path string) ([]release, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []release
	for i, line := range strings.Split(strings.TrimRight(string(raw), "\n"), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := releaseLine.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("%s:%d: %q: want version<TAB>40-hex commit<TAB>data-model version", path, i+1, line)
		}
		dm, _ := strconv.Atoi(m[3])
		out = append(out, release{Version: m[1], Commit: m[2], DataModel: dm})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s lists no release", path)
	}
	return out, nil
}

// previousRelease is the newest release listed.
func previousRelease(t *testing.T) release {
	t.Helper()
	rels, err := readReleases(filepath.Join("..", "..", releasesFile))
	if err != nil {
		t.Fatal(err)
	}
	rel := rels[len(rels)-1]
	if rel.DataModel > schema.Current {
		t.Fatalf("%s: release %s writes data model %d, newer than this build's %d: a release line belongs after the commit it names",
			releasesFile, rel.Version, rel.DataModel, schema.Current)
	}
	return rel
}

// olderBuilds caches each release's binary for the test process.
var olderBuilds sync.Map // version → func() (string, error)

// olderBuild builds `overdue` as release rel was: the commit's tree, exported with git archive
// into a temporary directory (a plain export, so that nothing is registered in the repository,
// as a worktree would be, if the test is killed), built with the same module and build caches
// as this one, so that only what changed since compiles.
func olderBuild(t *testing.T, rel release) string {
	t.Helper()
	f, _ := olderBuilds.LoadOrStore(rel.Version, sync.OnceValues(func() (string, error) { return buildRelease(rel) }))
	path, err := f.(func() (string, error))()
	if err != nil {
		t.Fatalf("build release %s: %v", rel.Version, err)
	}
	return path
}

func buildRelease(rel release) (string, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return "", errors.New("git not found: the rollback drill builds the previous release from git history; install git")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return "", err
	}
	if err := exec.Command("git", "-C", root, "cat-file", "-e", rel.Commit+"^{commit}").Run(); err != nil {
		why := "this checkout does not have it"
		if out, err := exec.Command("git", "-C", root, "rev-parse", "--is-shallow-repository").Output(); err != nil {
			why = "this is not a git checkout (the drill needs the repository's history)"
		} else if strings.TrimSpace(string(out)) == "true" {
			why = "this is a shallow clone: run `git fetch --unshallow` (or clone with full history; in CI, fetch-depth: 0)"
		}
		return "", fmt.Errorf("commit %s of release %s (%s): %s", rel.Commit, rel.Version, releasesFile, why)
	}
	dir, err := os.MkdirTemp("", "overdue-"+rel.Version+"-")
	if err != nil {
		return "", err
	}
	start := time.Now()
	archive := exec.Command("git", "-C", root, "archive", "--format=tar", rel.Commit)
	stdout, err := archive.StdoutPipe()
	if err != nil {
		return "", err
	}
	var stderr strings.Builder
	archive.Stderr = &stderr
	if err := archive.Start(); err != nil {
		return "", err
	}
	if err := untar(stdout, dir); err != nil {
		archive.Process.Kill()
		archive.Wait()
		return "", fmt.Errorf("git archive %s: %w", rel.Commit, err)
	}
	if err := archive.Wait(); err != nil {
		return "", fmt.Errorf("git archive %s: %v: %s", rel.Commit, err, stderr.String())
	}
	bin := filepath.Join(dir, "overdue-"+rel.Version)
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-X main.version="+rel.Version, "-o", bin, "./cmd/overdue")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build in %s: %v\n%s", dir, err, out)
	}
	releaseBuildTime.Store(rel.Version, time.Since(start))
	return bin, nil
}

// releaseBuildTime records how long each release took to export and build, for the log.
var releaseBuildTime sync.Map

// untar writes the regular files and directories of a tar stream under dir.
func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		path := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(path, dir+string(filepath.Separator)) {
			return fmt.Errorf("archive entry %q leaves the directory", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode)&0o755|0o600)
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, tr); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
		}
	}
}

// stillRunning is runBinary's status for a command that had not exited by its deadline: a
// server that started instead of refusing.
const stillRunning = -1

// runBinary runs bin with args and returns its exit status, stdout and stderr. A command still
// running after 20 s is killed and reported as stillRunning; the commands run here finish in
// well under a second, or, for a serve that refuses, exit at once.
func runBinary(t *testing.T, bin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case ctx.Err() != nil:
		return stillRunning, stdout.String(), stderr.String() + "(still running after 20 s: killed)"
	case errors.As(err, &ee) && ee.Exited():
		return ee.ExitCode(), stdout.String(), stderr.String()
	}
	t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, stderr.String())
	return 0, "", ""
}

// drillData is what the current build wrote: a project, a check, and the project's owner (an
// account, data model 6).
type drillData struct {
	project, check, owner string
}

// drillOwner is the account the current build makes the project's owner.
const drillOwner = "owner@example.org"

// writeWithCurrent creates a project, a check and an owner (with a set-password link) with the
// current build, then runs its `migrate up` (nothing left to do: the data is at this build's
// version).
func writeWithCurrent(t *testing.T, storeArgs []string) drillData {
	t.Helper()
	var p struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(runCLI(t, append([]string{"project", "create", "--name", "Ops", "--json"}, storeArgs...)...)), &p); err != nil {
		t.Fatal(err)
	}
	var c struct {
		UUID string `json:"uuid"`
	}
	// With alert rules (data model 7), which a release that does not know them must not drop
	// when it rewrites the check.
	out := runCLI(t, append([]string{"check", "create", "--project", p.ID, "--name", "backup", "--timeout", "1h",
		"--max-runtime", "30m", "--failure-tolerance", "3", "--json"}, storeArgs...)...)
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatal(err)
	}
	runCLI(t, append([]string{"user", "create", "--email", drillOwner, "--project", p.ID, "--role", "owner"}, storeArgs...)...)
	runCLI(t, append([]string{"migrate", "up"}, storeArgs...)...)
	return drillData{project: p.ID, check: c.UUID, owner: drillOwner}
}

// ownerKept reports whether the current build still finds the project's owner.
func ownerKept(t *testing.T, d drillData, storeArgs []string) bool {
	t.Helper()
	var m struct{ Members []membershipOutput }
	out := runCLI(t, append([]string{"project", "members", "--project", d.project, "--json"}, storeArgs...)...)
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	return len(m.Members) == 1 && m.Members[0].Email == d.owner && m.Members[0].Role == "owner"
}

// dataModel is the data's version and minimum reader, as the current build's `migrate status
// --json` reports them.
func dataModel(t *testing.T, storeArgs []string) schema.Version {
	t.Helper()
	var st statusJSON
	out := runCLI(t, append([]string{"migrate", "status", "--json"}, storeArgs...)...)
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("migrate status --json: %v\n%s", err, out)
	}
	return schema.Version{Version: st.Data.Version, MinReader: st.Data.MinReader}
}

// listed is `check list --json` by bin: the checks' names and their pings' count, by UUID.
func listed(t *testing.T, bin string, d drillData, storeArgs []string) (int, map[string]string, string) {
	t.Helper()
	code, out, stderr := runBinary(t, bin, append([]string{"check", "list", "--project", d.project, "--json"}, storeArgs...)...)
	if code != 0 {
		return code, nil, stderr
	}
	var l struct {
		Checks []struct {
			UUID   string `json:"uuid"`
			Name   string `json:"name"`
			NPings int    `json:"n_pings"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatalf("%s check list --json: %v\n%s", filepath.Base(bin), err, out)
	}
	got := map[string]string{}
	for _, c := range l.Checks {
		got[c.UUID] = fmt.Sprintf("%s, %d pings", c.Name, c.NPings)
	}
	return code, got, stderr
}

// pingThroughServe starts bin's `overdue serve` on the store, sends one ping to the check and
// stops the server. It returns the status and body of the answer.
func pingThroughServe(t *testing.T, bin string, d drillData, args []string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	listening := regexp.MustCompile(`^listening on (http://127\.0\.0\.1:\d+)$`)
	var base string
	sc := bufio.NewScanner(stdout)
	for base == "" && sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		cmd.Wait()
		t.Fatalf("%s serve exited before listening: %s", filepath.Base(bin), stderr.String())
	}
	go io.Copy(io.Discard, stdout)
	resp, err := http.Post(base+"/ping/"+d.check, "text/plain", strings.NewReader("drill"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// refuses wants bin to exit 3, naming the data's version and its own, for each command that
// opens the store: serve, check list and migrate up.
func refuses(t *testing.T, bin string, rel release, data schema.Version, d drillData, storeArgs []string) {
	t.Helper()
	wantMsg := []string{
		fmt.Sprintf("data model version %d is newer than this build can use", data.Version),
		fmt.Sprintf("this build writes version %d", rel.DataModel),
	}
	for _, args := range [][]string{
		{"serve", "--addr", "127.0.0.1:0"},
		{"check", "list", "--project", d.project},
		{"migrate", "up"},
	} {
		code, _, stderr := runBinary(t, bin, append(args, storeArgs...)...)
		if code != exitNewer {
			t.Errorf("%s %s: exit %d, want %d; stderr %q", rel.Version, args[0], code, exitNewer, stderr)
			continue
		}
		for _, want := range wantMsg {
			if !strings.Contains(stderr, want) {
				t.Errorf("%s %s: stderr %q lacks %q", rel.Version, args[0], stderr, want)
			}
		}
	}
}

// drill runs the previous release on the data the current build wrote: it works, or it
// refuses and snapshot() stays the same.
func drill(t *testing.T, rel release, d drillData, storeArgs []string, snapshot func() any) {
	t.Helper()
	old := olderBuild(t, rel)
	if v, ok := releaseBuildTime.Load(rel.Version); ok {
		t.Logf("release %s (%s, data model %d) exported and built in %v", rel.Version, rel.Commit[:12], rel.DataModel,
			v.(time.Duration).Round(time.Millisecond))
	}
	data := dataModel(t, storeArgs)
	if data.MinReader > rel.DataModel {
		// A contract step since the release: it must refuse, and leave the data as it was.
		before := snapshot()
		refuses(t, old, rel, data, d, storeArgs)
		if diff := cmp.Diff(before, snapshot()); diff != "" {
			t.Errorf("release %s changed the data it refused (-before +after):\n%s", rel.Version, diff)
		}
		return
	}
	// Only expansions since the release: it reads the data and records a ping, and the current
	// build reads what it wrote.
	code, got, stderr := listed(t, old, d, storeArgs)
	if want := map[string]string{d.check: "backup, 0 pings"}; code != 0 || !cmp.Equal(got, want) {
		t.Fatalf("release %s check list on data model %v: exit %d %v %s, want exit 0 and %v", rel.Version, data, code, got, stderr, want)
	}
	if code, body := pingThroughServe(t, old, d, storeArgs); code != http.StatusOK || body != "OK" {
		t.Fatalf("release %s serve: ping = %d %q, want 200 OK", rel.Version, code, body)
	}
	if code, got, stderr := listed(t, binaryPath(t), d, storeArgs); code != 0 || got[d.check] != "backup, 1 pings" {
		t.Errorf("current build after release %s pinged: check list exit %d %v %s, want backup with 1 ping", rel.Version, code, got, stderr)
	}
	if !ownerKept(t, d, storeArgs) {
		t.Errorf("current build after release %s ran: project members lacks %s as owner", rel.Version, d.owner)
	}
	if got := rulesKept(t, d, storeArgs); got != "max_runtime 1800, failure_tolerance 3" {
		t.Errorf("current build after release %s pinged the check: rules %q, want max_runtime 1800, failure_tolerance 3", rel.Version, got)
	}
}

// rulesKept is the check's alert rules as the current build lists them.
func rulesKept(t *testing.T, d drillData, storeArgs []string) string {
	t.Helper()
	var l struct {
		Checks []struct {
			UUID             string `json:"uuid"`
			MaxRuntime       int    `json:"max_runtime"`
			FailureTolerance int    `json:"failure_tolerance"`
		} `json:"checks"`
	}
	out := runCLI(t, append([]string{"check", "list", "--project", d.project, "--json"}, storeArgs...)...)
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatal(err)
	}
	for _, c := range l.Checks {
		if c.UUID == d.check {
			return fmt.Sprintf("max_runtime %d, failure_tolerance %d", c.MaxRuntime, c.FailureTolerance)
		}
	}
	return "check not listed"
}

func binaryPath(t *testing.T) string {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatalf("build overdue: %v", err)
	}
	return bin
}

// TestRollbackDrillSQLite: the previous release on a SQLite database the current build wrote;
// then on the same database after the next release's contract step.
func TestRollbackDrillSQLite(t *testing.T) {
	rel := previousRelease(t)
	dir := t.TempDir()
	storeArgs := []string{"--data", dir}
	d := writeWithCurrent(t, storeArgs)
	files := func() any { return dirFiles(t, dir) }
	drill(t, rel, d, storeArgs, files)

	// The next release contracts: the minimum reader rises above the release's version.
	next := schema.Version{Version: max(schema.Current, rel.DataModel+1) + 1, MinReader: rel.DataModel + 1}
	execSQL(t, filepath.Join(dir, dbName),
		fmt.Sprintf(`INSERT INTO schema_meta VALUES (%d, %d, 'drill: the next release', 0)`, next.Version, next.MinReader),
		fmt.Sprintf(`PRAGMA user_version = %d`, next.Version),
		`PRAGMA wal_checkpoint(TRUNCATE)`)
	before := files()
	refuses(t, olderBuild(t, rel), rel, next, d, storeArgs)
	if diff := cmp.Diff(before, files()); diff != "" {
		t.Errorf("release %s changed the database it refused (-before +after):\n%s", rel.Version, diff)
	}
}

// dirFiles is every file in dir with its bytes (as text, for cmp's report), except what a
// read-only SQLite reader of a WAL database creates beside it (see README): an empty -wal and
// the -shm, the WAL's index, which SQLite rebuilds from the database and the WAL and which holds
// no data.
func dirFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(e.Name(), "-shm") || len(b) == 0 && strings.HasSuffix(e.Name(), "-wal") {
			continue
		}
		out[e.Name()] = fmt.Sprintf("%d bytes, sha256 %x", len(b), sha256.Sum256(b))
	}
	return out
}

// TestRollbackDrillDynamoDB: the previous release on a DynamoDB table (moto) the current build
// created, migrated and wrote; then on the same table after the next release's contract step.
func TestRollbackDrillDynamoDB(t *testing.T) {
	rel := previousRelease(t)
	client, table := motoTable(t)
	storeArgs := []string{"--store", "dynamodb", "--table", table, "--data", t.TempDir()}
	d := writeWithCurrent(t, storeArgs)
	scan := func() any { return renderItems(scanTable(t, client, table)) }
	drill(t, rel, d, storeArgs, scan)

	next := schema.Version{Version: max(schema.Current, rel.DataModel+1) + 1, MinReader: rel.DataModel + 1}
	_, err := client.UpdateItem(t.Context(), &dynamodb.UpdateItemInput{
		TableName: &table,
		Key: map[string]ddbtypes.AttributeValue{
			"pk": &ddbtypes.AttributeValueMemberS{Value: "META"}, "sk": &ddbtypes.AttributeValueMemberS{Value: "SCHEMA"},
		},
		UpdateExpression: aws.String("SET version = :v, min_reader = :r"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
			":v": &ddbtypes.AttributeValueMemberN{Value: strconv.Itoa(next.Version)},
			":r": &ddbtypes.AttributeValueMemberN{Value: strconv.Itoa(next.MinReader)},
		},
	})
	if err != nil {
		t.Fatalf("raise the minimum reader on META: %v", err)
	}
	before := scan()
	refuses(t, olderBuild(t, rel), rel, next, d, storeArgs)
	if diff := cmp.Diff(before, scan()); diff != "" {
		t.Errorf("release %s changed the table it refused (-before +after):\n%s", rel.Version, diff)
	}
}

// renderItems is a scan as JSON text per item, so that cmp compares and reports it whole.
func renderItems(items []map[string]ddbtypes.AttributeValue) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = renderValue(&ddbtypes.AttributeValueMemberM{Value: it})
	}
	return out
}

// renderValue is an attribute value as text, map keys and set members in order.
func renderValue(av ddbtypes.AttributeValue) string {
	switch v := av.(type) {
	case *ddbtypes.AttributeValueMemberS:
		return strconv.Quote(v.Value)
	case *ddbtypes.AttributeValueMemberN:
		return v.Value
	case *ddbtypes.AttributeValueMemberB:
		return fmt.Sprintf("b'%x'", v.Value)
	case *ddbtypes.AttributeValueMemberBOOL:
		return strconv.FormatBool(v.Value)
	case *ddbtypes.AttributeValueMemberNULL:
		return "null"
	case *ddbtypes.AttributeValueMemberSS:
		return fmt.Sprintf("SS%q", slices.Sorted(slices.Values(v.Value)))
	case *ddbtypes.AttributeValueMemberNS:
		return fmt.Sprintf("NS%v", slices.Sorted(slices.Values(v.Value)))
	case *ddbtypes.AttributeValueMemberBS:
		s := make([]string, len(v.Value))
		for i, b := range v.Value {
			s[i] = fmt.Sprintf("%x", b)
		}
		return fmt.Sprintf("BS%v", slices.Sorted(slices.Values(s)))
	case *ddbtypes.AttributeValueMemberL:
		s := make([]string, len(v.Value))
		for i, x := range v.Value {
			s[i] = renderValue(x)
		}
		return "[" + strings.Join(s, ", ") + "]"
	case *ddbtypes.AttributeValueMemberM:
		s := make([]string, 0, len(v.Value))
		for _, k := range slices.Sorted(maps.Keys(v.Value)) {
			s = append(s, k+": "+renderValue(v.Value[k]))
		}
		return "{" + strings.Join(s, ", ") + "}"
	}
	return fmt.Sprintf("%T", av)
}

// TestReleasesFile: versions rise, data models never fall, and a release's tag, where this
// clone has it, names the commit the file records.
func TestReleasesFile(t *testing.T) {
	rels, err := readReleases(filepath.Join("..", "..", releasesFile))
	if err != nil {
		t.Fatal(err)
	}
	for i, rel := range rels {
		if i > 0 {
			prev := rels[i-1]
			if semverLess(rel.Version, prev.Version) || rel.Version == prev.Version {
				t.Errorf("%s: %s comes after %s: list releases oldest first, once each", releasesFile, rel.Version, prev.Version)
			}
			if rel.DataModel < prev.DataModel {
				t.Errorf("%s: %s writes data model %d, below %s's %d", releasesFile, rel.Version, rel.DataModel, prev.Version, prev.DataModel)
			}
		}
		out, err := exec.Command("git", "-C", filepath.Join("..", ".."), "rev-parse", "-q", "--verify", "refs/tags/"+rel.Version+"^{commit}").Output()
		if err != nil {
			continue // tags need not travel with a clone; the file is what the drill reads
		}
		if got := strings.TrimSpace(string(out)); got != rel.Commit {
			t.Errorf("tag %s is commit %s, but %s records %s", rel.Version, got, releasesFile, rel.Commit)
		}
	}
}

// semverLess compares two v<major>.<minor>.<patch> versions.
func semverLess(a, b string) bool {
	parse := func(v string) [3]int {
		var n [3]int
		for i, f := range strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3) {
			n[i], _ = strconv.Atoi(f)
		}
		return n
	}
	pa, pb := parse(a), parse(b)
	return slices.Compare(pa[:], pb[:]) < 0
}
