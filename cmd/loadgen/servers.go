package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"syscall"
	"time"
)

// startTimeout is how long a server may take to print that it is listening.
const startTimeout = 30 * time.Second

var (
	listeningRe = regexp.MustCompile(`^listening on (http://\S+)$`)
	apiKeyRe    = regexp.MustCompile(`^\s+API key:\s+(\S+)$`)
)

// overdue is a running `overdue serve` on an empty data directory.
type overdue struct {
	*child
	base   string // http://127.0.0.1:PORT
	apiKey string // the Default project's read-write key, printed on first start
}

// startOverdue runs `overdue serve` on 127.0.0.1, a free port, and a new data directory under
// dir, and waits until it listens. The first start prints the Default project's API key.
func startOverdue(bin, dir string, interval time.Duration) (*overdue, error) {
	data, err := os.MkdirTemp(dir, "overdue-data-")
	if err != nil {
		return nil, err
	}
	c, err := startChild("overdue serve", bin, []string{"serve", "--data", data, "--addr", "127.0.0.1:0",
		"--interval", interval.String()}, nil)
	if err != nil {
		return nil, err
	}
	key, err := c.stdout.waitFor(apiKeyRe, startTimeout)
	if err != nil {
		c.stop()
		return nil, c.failure(err)
	}
	m, err := c.stdout.waitFor(listeningRe, startTimeout)
	if err != nil {
		c.stop()
		return nil, c.failure(err)
	}
	if err := loopbackURL(m[1]); err != nil {
		c.stop()
		return nil, err
	}
	return &overdue{child: c, base: m[1], apiKey: key[1]}, nil
}

// createCheck creates a simple check through the management API and returns its UUID.
func (o *overdue) createCheck(ctx context.Context, name string, timeout, grace time.Duration) (string, error) {
	body, err := json.Marshal(map[string]any{"name": name, "timeout": int(timeout.Seconds()), "grace": int(grace.Seconds())})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.base+"/api/v3/checks/", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("X-Api-Key", o.apiKey)
	resp, err := localClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("create check %s: %w", name, err)
	}
	defer resp.Body.Close()
	var out struct {
		UUID string `json:"uuid"`
	}
	if resp.StatusCode != http.StatusCreated {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 500))
		return "", fmt.Errorf("create check %s: status %d: %s", name, resp.StatusCode, msg)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.UUID == "" {
		return "", fmt.Errorf("create check %s: no uuid in the answer (%v)", name, err)
	}
	return out.UUID, nil
}

// localClient is for the few set-up requests; it dials loopback only.
var localClient = &http.Client{
	Transport: &http.Transport{DialContext: loopbackDial},
	Timeout:   10 * time.Second,
}

// startBare runs `loadgen bare` (this executable) and waits until it listens.
func startBare() (*child, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	c, err := startChild("bare server", self, []string{"bare"}, nil)
	if err != nil {
		return nil, "", err
	}
	m, err := c.stdout.waitFor(listeningRe, startTimeout)
	if err != nil {
		c.stop()
		return nil, "", c.failure(err)
	}
	return c, m[1], nil
}

// cmdBare is `loadgen bare [--addr 127.0.0.1:0]`: a net/http server that answers every request
// 200 OK after reading its body, with the timeouts `overdue serve` sets. It is the ceiling a
// server in Go can reach on this machine, the reference for `loadgen ping`. It stops on SIGINT.
func cmdBare(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bare", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "loopback address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || !loopbackHost(host) {
		return fmt.Errorf("bare: --addr %s: want a loopback address", *addr)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = io.WriteString(w, "OK")
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = srv.Shutdown(shutdown)
		cancel()
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// pair is what a throughput comparison runs against: the bare server and `overdue serve`,
// started side by side so both see the same moments of the machine, and n checks on the latter.
type pair struct {
	bare    *child
	bareURL string
	srv     *overdue
	ids     []string // the checks' UUIDs, in creation order
}

// startPair starts the bare server and `overdue serve` (data under dir) and creates n checks
// named prefix-0 … prefix-<n-1> that will not go down during a run. On an error nothing is left
// running.
func startPair(ctx context.Context, bin, dir string, interval time.Duration, n int, prefix string) (*pair, error) {
	bare, bareURL, err := startBare()
	if err != nil {
		return nil, err
	}
	srv, err := startOverdue(bin, dir, interval)
	if err != nil {
		bare.stop()
		return nil, err
	}
	p := &pair{bare: bare, bareURL: bareURL, srv: srv}
	for i := range n {
		id, err := srv.createCheck(ctx, fmt.Sprintf("%s-%d", prefix, i), 24*time.Hour, time.Hour)
		if err != nil {
			p.stop()
			return nil, err
		}
		p.ids = append(p.ids, id)
	}
	return p, nil
}

// stop stops both servers.
func (p *pair) stop() {
	p.srv.stop()
	p.bare.stop()
}
