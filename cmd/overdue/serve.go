package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/google/uuid"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/gcfloor"
	"github.com/overduehq/overdue/internal/httpapi"
	"github.com/overduehq/overdue/internal/mailping"
	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/report"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/dynamo"
	"github.com/overduehq/overdue/internal/store/sqlite"
	"github.com/overduehq/overdue/internal/sweep"
	"github.com/overduehq/overdue/internal/web"
)

// cmdServe is `overdue serve [--addr 127.0.0.1:8000]`: the ping API, the sweep loop and a console
// notifier in one process. It records its site root and the channel kinds it cannot deliver in
// the data directory (serveRecord) for the other commands.
func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	// A long-running server with a small live heap collects far less often with a heap floor
	// (internal/gcfloor); the in-process tests that call serveWithClock keep their own GC.
	defer gcfloor.Start(gcfloor.Default)()
	return serveWithClock(ctx, args, stdout, stderr, func() time.Time { return time.Now().UTC() })
}

// serveWithClock is cmdServe with the clock that the API, the sweep and the notifier read: the
// real one, or a test's, so that end-to-end tests can move time past a deadline without waiting.
func serveWithClock(ctx context.Context, args []string, stdout, stderr io.Writer, now func() time.Time) error {
	fs := newFlags("serve")
	stf := addStoreFlags(fs)
	addr := fs.String("addr", defaultAddr, "address to listen on (port 0 picks a free one)")
	siteRoot := fs.String("site-root", "", "base URL shown in ping URLs (default http://<addr>)")
	interval := fs.Duration("interval", 2*time.Second, "how often the sweep and the notifier run")
	emailFrom := fs.String("email-from", "", `sender of alert emails, e.g. "Overdue <alerts@example.org>" (with --smtp-host or --aws)`)
	smtpHost := fs.String("smtp-host", "", "send email channels through this SMTP server")
	smtpPort := fs.Int("smtp-port", 25, "SMTP port")
	smtpUser := fs.String("smtp-user", "", "SMTP user name (password from OVERDUE_SMTP_PASSWORD)")
	smtpNoTLS := fs.Bool("smtp-no-tls", false, "do not use STARTTLS (a local relay only)")
	noCanary := fs.Bool("no-canary", false, "do not ping the ingestion canary: every timeout alerts, even during an outage of this server's own ping intake")
	heartbeatURL := fs.String("heartbeat-url", "", "ping this URL (any Healthchecks-compatible ping URL) after a successful sweep, at most once a minute: an outside monitor of this one")
	proxyHeader := fs.String("proxy-header", "", "behind a reverse proxy: the header it appends the client's address to (e.g. X-Forwarded-For), for sign-in rate limits; off by default")
	smtpListen := fs.String("smtp-listen", "", "receive email pings over SMTP on this address (e.g. :25 or 127.0.0.1:2525)")
	pingDomain := fs.String("ping-domain", "", "with --smtp-listen: the domain of ping addresses, <uuid>@DOMAIN (default: the site root's host)")
	sso := addSSOFlags(fs)
	useAWS := fs.Bool("aws", false, "send SMS and SNS channels through SNS, and email through SES unless --smtp-host is set (AWS configuration from the environment)")
	shellChannels := fs.Bool("shell-channels", false, "run the commands of shell channels on this host, as the user overdue serve runs as (off by default: anyone who can add a channel could run commands)")
	shellTimeout := fs.Duration("shell-timeout", notify.DefaultShellTimeout, "with --shell-channels: stop a shell channel's command after this long")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := noPositional(fs, pos); err != nil {
		return err
	}
	if *interval < 100*time.Millisecond || *interval > time.Hour {
		return usagef("serve: --interval %s: want 100ms to 1h", *interval)
	}
	if (*smtpHost != "" || *useAWS) && *emailFrom == "" {
		return usagef("serve: --email-from is required with --smtp-host or --aws")
	}
	if *smtpPort < 1 || *smtpPort > 65535 {
		return usagef("serve: --smtp-port %d: want 1 to 65535", *smtpPort)
	}
	if *heartbeatURL != "" {
		if u, err := url.Parse(*heartbeatURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("serve: --heartbeat-url: want an absolute http:// or https:// URL")
		}
	}
	if *siteRoot != "" && !validSiteRoot(*siteRoot) {
		return usagef("serve: --site-root %q: want an http:// or https:// URL", *siteRoot)
	}

	if *shellTimeout < 100*time.Millisecond || *shellTimeout > time.Hour {
		return usagef("serve: --shell-timeout %s: want 100ms to 1h", *shellTimeout)
	}
	if *pingDomain != "" && *smtpListen == "" {
		return usagef("serve: --ping-domain goes with --smtp-listen ADDR")
	}
	oidc, trusted, err := sso.config()
	if err != nil {
		return err
	}

	// Everything the command line can get wrong is refused before the store is opened, so a
	// bad --addr or --email-from leaves no data directory behind.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return usagef("serve: --addr %s: %s", *addr, err)
	}
	defer ln.Close()
	root := *siteRoot
	if root == "" {
		root = "http://" + displayAddr(ln.Addr().String())
	}
	root = strings.TrimRight(root, "/")
	var smtpLn net.Listener
	if *smtpListen != "" {
		if smtpLn, err = net.Listen("tcp", *smtpListen); err != nil {
			return usagef("serve: --smtp-listen %s: %s", *smtpListen, err)
		}
		defer smtpLn.Close()
		if *pingDomain == "" {
			u, _ := url.Parse(root)
			*pingDomain = u.Hostname()
		}
	}
	// Service base URLs (OVERDUE_URL_PD, …) are read here, once, and passed down.
	baseURLs, err := notify.ParseBaseURLs(os.LookupEnv)
	if err != nil {
		return usagef("serve: %s", err)
	}
	transports, err := localTransports(ctx, transportFlags{
		emailFrom: *emailFrom, smtpHost: *smtpHost, smtpPort: *smtpPort,
		smtpUser: *smtpUser, smtpNoTLS: *smtpNoTLS, useAWS: *useAWS,
		shell: *shellChannels, shellTimeout: *shellTimeout,
	})
	if err != nil {
		return err
	}

	mailer := accountMailer(transports[check.ChannelEmail], stdout)

	st, err := stf.openMigrating(ctx, fs.Name(), true, stdout)
	if err != nil {
		return err
	}
	defer st.Close()

	secret, err := loadSecret(*stf.data)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	if err := firstStart(ctx, st, root, stdout); err != nil {
		return err
	}

	deliveries, err := addWebhooks(ctx, st, secret, baseURLs, transports)
	if err != nil {
		return err
	}
	undeliverable := undeliverableKinds(transports)
	for _, kind := range notify.ChannelKinds() {
		if reason, ok := undeliverable[kind]; ok {
			fmt.Fprintf(stdout, "Warning: %s; until then, alerts to them are parked (GET /api/v3/deliveries/parked/).\n", reason)
		}
	}
	recordServe(*stf.data, serveRecord{SiteRoot: root, Store: *stf.kind, Table: *stf.table, Undeliverable: undeliverable}, logger)
	// The API's account service (personal tokens, the projects API, invitations) sends links
	// as the pages' does.
	svc, err := accounts(st)
	if err != nil {
		return err
	}
	svc.Mailer, svc.SiteRoot = mailer, root
	tester := &notify.Tester{Transports: transports, Undeliverable: undeliverable, SiteRoot: root}
	// Ping intake's counts, for the ingestion health: one process takes the pings and sweeps,
	// so they are kept in memory.
	var intake *sweep.MemoryIngestLog
	var counter httpapi.PingCounter
	if !*noCanary {
		intake = &sweep.MemoryIngestLog{}
		counter = &sweep.IngestCounter{Log: intake, Now: now, Every: -1}
	}
	api := httpapi.New(httpapi.Config{Store: st, Now: now, SiteRoot: root, Logger: logger, SecretKey: secret,
		Deliveries: deliveries, Undeliverable: undeliverable, Tester: tester, Accounts: svc, PingCounter: counter})
	pages, err := servePages(ctx, st, root, *proxyHeader, mailer, logger, stdout, tester, undeliverable, func(c *web.Config) {
		c.OIDC, c.TrustedHeader = oidc, trusted
		c.BadgeURL = api.BadgeURL
		// Authenticator apps' secrets are sealed under the server secret, as channel values are.
		c.Accounts.Box = stf.box()
	})
	if err != nil {
		return err
	}
	handler := web.Mount(pages, api)
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	// The canary, pinged through the site root like any job's ping: its pings tell the sweep
	// when ingestion worked, so that an outage of ours holds timeouts instead of alerting.
	sw := &sweep.Sweeper{Store: st, Now: now, Logger: logger}
	canary := &sweep.Heartbeat{Now: now} // no URL: off
	if !*noCanary {
		// An install whose earlier build derived the canary from the secret keeps that canary.
		if err := sweep.AdoptCanary(ctx, st, secret); err != nil {
			return err
		}
		ingestion, err := sweep.EnsureCanary(ctx, st, canaryEvery, now())
		if err != nil {
			return err
		}
		ingestion.Log = intake
		sw.Ingestion = ingestion
		canary = &sweep.Heartbeat{URL: root + "/ping/" + ingestion.CanaryID, Every: ingestion.Every, Now: now}
	}
	// The sweep runs every --interval; an outside monitor needs no more than a ping a minute.
	beat := &sweep.Heartbeat{URL: *heartbeatURL, Every: time.Minute, Now: now, Logger: logger}
	disp := &notify.Dispatcher{Store: st, Deliveries: deliveries, Transports: transports,
		Undeliverable: undeliverable, Notifier: notify.Console{W: stdout}, SiteRoot: root, Now: now, Logger: logger}

	// Reports and reminders go out by email only: without an email transport there is nobody
	// to send them to (the console is for the operator's one-time links).
	var reports *report.Reporter
	if email := transports[check.ChannelEmail]; email != nil {
		ppl, err := peopleOf(st)
		if err != nil {
			return err
		}
		reports = &report.Reporter{Store: st, People: ppl, Mail: email, SiteRoot: root, Now: now, Logger: logger}
	} else {
		logger.Info("email reports and reminders are off: start with --smtp-host HOST (or --aws) and --email-from ADDRESS to send them")
	}

	loopCtx, stopLoops := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); sweepAndNotify(loopCtx, *interval, sw, canary, beat, disp, reports, logger) }()

	if smtpLn != nil {
		mail := mailping.NewServer(&mailping.Receiver{Store: st, Now: now, Domain: *pingDomain, Logger: logger})
		go mail.Serve(smtpLn)
		defer mail.Close()
		fmt.Fprintf(stdout, "receiving email pings on %s for <uuid>@%s and <ping key>+<slug>@%s\n", smtpLn.Addr(), *pingDomain, *pingDomain)
	}
	fmt.Fprintf(stdout, "listening on %s\n", root)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = srv.Shutdown(shutdownCtx)
		cancel()
	}
	stopLoops()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// firstStart creates a Default project with one example check when the store has no project, and
// prints its keys and a ping URL to try.
func firstStart(ctx context.Context, st store.Store, root string, stdout io.Writer) error {
	projects, err := st.Projects(ctx)
	if err != nil {
		return fmt.Errorf("list projects: %w", err)
	}
	if len(projects) > 0 {
		return nil
	}
	now := time.Now().UTC()
	p, keys, err := newProject(ctx, st, "Default", now)
	if err != nil {
		return err
	}
	c := check.New(uuid.NewString(), p.ID, now)
	c.Name, c.Slug = "example", "example"
	c.BadgeKey = uuid.NewString()
	if err := st.CreateCheck(ctx, c); err != nil {
		return fmt.Errorf("create example check: %w", err)
	}
	fmt.Fprintln(stdout, "First start: created project \"Default\" with an example check.")
	if err := printProject(stdout, p, keys, false); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Try a ping:\n  curl -fsS %s/ping/%s\n  curl -fsS %s/ping/%s/example\n\n", root, c.ID, root, keys.PingKey)
	return nil
}

// accountMailer sends account mail (reset and invitation links) through the email transport,
// or, without one, prints it on the console of the server.
func accountMailer(email notify.Transport, stdout io.Writer) account.Mailer {
	if email == nil {
		return &account.ConsoleMailer{W: stdout}
	}
	return account.MailerFunc(func(ctx context.Context, m account.Mail) error {
		return notify.SendText(ctx, email, m.To, m.Subject, m.Text, m.Link)
	})
}

// servePages builds the pages (sign-in and dashboard; tester sends the integrations page's test
// notifications). While the data has no account, it prints a one-time
// link that creates the first one, owner of every project without members (the Default project
// of a first start, or all projects of data from before accounts).
// Options, when given, add to the pages' configuration (single sign-on).
func servePages(ctx context.Context, st store.Store, root, proxyHeader string, mailer account.Mailer, logger *slog.Logger, stdout io.Writer,
	tester web.ChannelTester, undeliverable map[string]string, options ...func(*web.Config)) (*web.Server, error) {
	acc, err := accounts(st)
	if err != nil {
		return nil, err
	}
	acc.Mailer, acc.SiteRoot = mailer, root
	cfg := web.Config{Accounts: acc, SiteRoot: root, Logger: logger, MailInBackground: true, Checks: st,
		Tester: tester, Undeliverable: undeliverable}
	if proxyHeader != "" {
		cfg.ClientIP = web.ForwardedIP(proxyHeader)
	}
	users, err := acc.People.Users(ctx)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	if len(users) == 0 {
		first := &web.FirstStart{}
		projects, err := st.Projects(ctx)
		if err != nil {
			return nil, fmt.Errorf("list projects: %w", err)
		}
		for _, p := range projects {
			members, err := acc.People.Members(ctx, p.ID)
			if err != nil {
				return nil, fmt.Errorf("list members of project %s: %w", p.ID, err)
			}
			if len(members) == 0 {
				first.ProjectIDs = append(first.ProjectIDs, p.ID)
			}
		}
		tok, hash, err := account.NewToken(rand.Reader, "")
		if err != nil {
			return nil, err
		}
		first.TokenHash = hash
		cfg.FirstStart = first
		fmt.Fprintf(stdout, "No account yet. Create the first one, owner of %d project(s), at this one-time link:\n  %s%s%s/\n\n",
			len(first.ProjectIDs), root, web.FirstPath, tok)
	}
	for _, o := range options {
		o(&cfg)
	}
	return web.New(cfg)
}

// displayAddr turns a listener address into one a browser can reach: an unspecified host
// (0.0.0.0, ::) becomes localhost.
func displayAddr(a string) string {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return a
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// transportFlags configure the local server's delivery.
type transportFlags struct {
	emailFrom string
	smtpHost  string
	smtpPort  int
	smtpUser  string
	smtpNoTLS bool
	useAWS    bool
	// shell enables shell channels, each command stopped after shellTimeout.
	shell        bool
	shellTimeout time.Duration
}

// localTransports builds the transports the flags ask for: email through SMTP or SES, SMS and
// SNS topics through SNS. It touches no store, so a bad flag is refused before anything is
// created; addWebhooks adds the rest once the store is open.
func localTransports(ctx context.Context, tf transportFlags) (map[string]notify.Transport, error) {
	transports := map[string]notify.Transport{}
	if tf.shell {
		transports[notify.ChannelShell] = notify.NewShell(notify.ShellConfig{Timeout: tf.shellTimeout})
	}
	if tf.useAWS {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("load AWS configuration: %w", err)
		}
		snsClient := sns.NewFromConfig(cfg)
		transports[check.ChannelSMS] = notify.NewSMS(snsClient)
		transports[check.ChannelSNS] = notify.NewTopic(snsClient)
		if tf.smtpHost == "" {
			ses, err := notify.NewSES(sesv2.NewFromConfig(cfg), notify.SESConfig{From: tf.emailFrom})
			if err != nil {
				return nil, usagef("serve: --email-from: %s", err)
			}
			transports[check.ChannelEmail] = ses
		}
	}
	if tf.smtpHost != "" {
		sm, err := notify.NewSMTP(notify.SMTPConfig{Host: tf.smtpHost, Port: tf.smtpPort, From: tf.emailFrom,
			Username: tf.smtpUser, Password: os.Getenv("OVERDUE_SMTP_PASSWORD"), NoTLS: tf.smtpNoTLS})
		if err != nil {
			return nil, usagef("serve: %s", err)
		}
		transports[check.ChannelEmail] = sm
	}
	return transports, nil
}

// addWebhooks opens the store's delivery records and adds the transports `overdue serve` always
// offers, the webhook and every service kind (slack, pd, …, with baseURLs overriding their
// services' URLs), to transports. A store without delivery records gets no
// transports at all (they are cleared), and alerts go to the console only.
func addWebhooks(ctx context.Context, st store.Store, secret []byte, baseURLs map[string]string, transports map[string]notify.Transport) (store.Deliveries, error) {
	var deliveries store.Deliveries
	switch s := st.(type) {
	case *sqlite.Store:
		deliveries = s.Deliveries()
	case *dynamo.Store:
		deliveries = s.Deliveries()
	}
	if deliveries == nil {
		clear(transports)
		return nil, nil
	}
	// Webhooks to private addresses are allowed here: a self-hosted server's receivers are often
	// on the same network.
	wh, err := notify.NewWebhook(notify.WebhookConfig{ServerSecret: secret})
	if err != nil {
		return nil, err
	}
	transports[check.ChannelWebhook] = wh
	maps.Copy(transports, notify.NewServices(notify.ServicesConfig{BaseURLs: baseURLs}))
	return deliveries, nil
}

// enableHints say how to give `overdue serve` a transport for each channel kind that needs a
// flag. They end up in the start-up warning, the API's answer to a channel create, and the
// error of a parked delivery (at most notify.MaxErrorLen characters with the prefix).
var enableHints = map[string]string{
	check.ChannelEmail:  "start overdue serve with --smtp-host HOST (SMTP) or --aws (SES), and --email-from ADDRESS",
	check.ChannelSMS:    "start overdue serve with --aws (SNS) and --email-from ADDRESS",
	check.ChannelSNS:    "start overdue serve with --aws (SNS) and --email-from ADDRESS",
	notify.ChannelShell: "start overdue serve with --shell-channels (it then runs their commands on this host)",
}

// undeliverableKinds lists the channel kinds transports cannot deliver, each with why and how
// to enable it.
func undeliverableKinds(transports map[string]notify.Transport) map[string]string {
	out := map[string]string{}
	for _, kind := range notify.ChannelKinds() {
		if transports[kind] != nil || kind == notify.ChannelGroup {
			continue // a group is delivered through its targets' transports
		}
		hint, ok := enableHints[kind]
		if !ok {
			hint = "this build of overdue serve has no transport for them"
		}
		out[kind] = fmt.Sprintf("this server cannot deliver %s channels: %s", kind, hint)
	}
	return out
}

// sweepAndNotify sweeps and then delivers, every interval, until ctx ends. One loop, in that
// order: a flip the sweep writes is delivered in the same round instead of waiting a further
// interval (BENCHMARKS.md measured that wait when the two ran as separate loops), and flips
// from pings go out within one interval. Errors are logged, never fatal: the next round tries
// again. A successful sweep pings the heartbeat (at most once a minute; a failure is logged by
// Beat). Before each sweep the canary is pinged through the site root (every 10 s); the first
// sweep that finds ingestion in an outage logs one error, the operator's alarm, and the first
// that finds it recovered logs that. With reports (nil: none), the round then sends the email
// reports and reminders that are due, at most once a minute of the reporter's clock.
func sweepAndNotify(ctx context.Context, interval time.Duration, sw *sweep.Sweeper, canary, beat *sweep.Heartbeat, disp *notify.Dispatcher, reports *report.Reporter, logger *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var alarm sweep.Alarm
	var reported time.Time // when reports last ran, on the reporter's clock
	for {
		_ = canary.Beat(ctx) // a failure is what the sweep reads as an outage
		if res, err := sw.Run(ctx); err != nil {
			if ctx.Err() == nil {
				logger.Error("sweep failed", "error", err.Error())
			}
		} else {
			switch raised, cleared := alarm.Observe(res); {
			case raised:
				logger.Error("ingestion unhealthy: pings are not reaching the store; timeouts that this could cause are held, not alerted",
					"since", res.Outage.Start, "cause", res.Outage.Cause)
			case cleared:
				logger.Warn("ingestion recovered: held checks get one period to ping before they go down")
			}
			_ = beat.Beat(ctx)
		}
		if _, err := disp.Run(ctx); err != nil && ctx.Err() == nil {
			logger.Error("delivery failed", "error", err.Error())
		}
		if now := reportsDue(reports, reported); !now.IsZero() {
			reported = now
			if _, err := reports.Run(ctx); err != nil && ctx.Err() == nil {
				logger.Error("reports failed", "error", err.Error())
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// reportsDue is the reporter's time now if a minute of it has passed since last (or it went
// back, as a test clock may), zero otherwise or without a reporter.
func reportsDue(reports *report.Reporter, last time.Time) time.Time {
	if reports == nil {
		return time.Time{}
	}
	now := reports.Now()
	if !last.IsZero() && now.Sub(last) < time.Minute && !now.Before(last) {
		return time.Time{}
	}
	return now
}
