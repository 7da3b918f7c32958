// Package notify delivers flips: it takes each unprocessed flip from the store's outbox once and
// hands the ones that alert anybody to a Notifier.
//
// Locally `overdue serve` runs Dispatcher.Loop with a Console notifier; real transports (SES,
// SNS, webhooks) and per-channel delivery records come later behind the same interface.
package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// Alert is a flip with what a message about it needs.
type Alert struct {
	Flip  *check.Flip
	Check *check.Check
}

// Notifier sends one alert.
type Notifier interface {
	Notify(ctx context.Context, a Alert) error
}

// Dispatcher moves flips from the outbox to a Notifier.
type Dispatcher struct {
	Store    store.Store
	Notifier Notifier
	Now      func() time.Time
	Logger   *slog.Logger
}

// Run processes every unprocessed flip once and reports how many alerts it sent. A flip is marked
// processed before it is sent, conditionally, so two dispatchers never send the same flip.
func (d *Dispatcher) Run(ctx context.Context) (int, error) {
	sent := 0
	for {
		flips, err := d.Store.UnprocessedFlips(ctx, 50)
		if err != nil {
			return sent, fmt.Errorf("list unprocessed flips: %w", err)
		}
		if len(flips) == 0 {
			return sent, nil
		}
		for _, f := range flips {
			won, err := d.Store.MarkFlipProcessed(ctx, f, d.Now())
			if err != nil {
				return sent, fmt.Errorf("mark flip %s processed: %w", f.ID, err)
			}
			if !won || !f.Notifies() {
				continue
			}
			c, err := d.Store.Check(ctx, f.CheckID)
			if errors.Is(err, store.ErrNotFound) {
				continue // deleted since: nobody to tell about it
			}
			if err != nil {
				return sent, fmt.Errorf("load check %s: %w", f.CheckID, err)
			}
			if err := d.Notifier.Notify(ctx, Alert{Flip: f, Check: c}); err != nil {
				d.logger().Error("alert not delivered", "check", c.ID, "flip", f.ID, "error", err.Error())
				continue
			}
			sent++
		}
	}
}

// Loop runs the dispatcher every interval until ctx ends.
func (d *Dispatcher) Loop(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := d.Run(ctx); err != nil && ctx.Err() == nil {
			d.logger().Error("dispatch failed", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (d *Dispatcher) logger() *slog.Logger {
	if d.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Logger
}

// Console prints alerts as text, one block each.
type Console struct {
	W io.Writer
}

// Notify writes the alert to the console.
func (c Console) Notify(_ context.Context, a Alert) error {
	_, err := io.WriteString(c.W, Text(a))
	return err
}

// Subject is the alert's one-line summary, as Healthchecks words it: "DOWN | name".
func Subject(a Alert) string {
	return strings.ToUpper(string(a.Flip.NewStatus)) + " | " + displayName(a.Check)
}

// Text renders the alert as plain text.
func Text(a Alert) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", Subject(a))
	if a.Flip.NewStatus == check.StatusDown {
		fmt.Fprintf(&b, "The check %q has gone down.\n", displayName(a.Check))
		switch a.Flip.Reason {
		case check.ReasonTimeout:
			b.WriteString("Reason: success signal did not arrive on time, grace time passed.\n")
		case check.ReasonFail:
			b.WriteString("Reason: received a failure signal.\n")
		}
	} else {
		fmt.Fprintf(&b, "The check %q is now up.\n", displayName(a.Check))
	}
	if a.Check.Kind == check.KindSimple {
		fmt.Fprintf(&b, "Period: %s\n", HumanDuration(a.Check.Timeout))
	} else {
		fmt.Fprintf(&b, "Schedule: %s (%s)\n", a.Check.Schedule, a.Check.TZ)
	}
	if !a.Check.LastPing.IsZero() {
		fmt.Fprintf(&b, "Last ping: %s\n", a.Check.LastPing.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	fmt.Fprintf(&b, "Status changed to %s at: %s\n", a.Flip.NewStatus, a.Flip.Created.UTC().Format("2006-01-02 15:04:05 UTC"))
	fmt.Fprintf(&b, "Check: %s\n\n", a.Check.ID)
	return b.String()
}

func displayName(c *check.Check) string {
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}

// HumanDuration writes a duration the way Healthchecks shows periods: "1 day", "2 hours 30
// minutes", "90 seconds" is "1 minute 30 seconds". Zero is "0 seconds".
func HumanDuration(d time.Duration) string {
	units := []struct {
		name string
		size time.Duration
	}{
		{"week", 7 * 24 * time.Hour}, {"day", 24 * time.Hour}, {"hour", time.Hour},
		{"minute", time.Minute}, {"second", time.Second},
	}
	var parts []string
	for _, u := range units {
		n := d / u.size
		if n == 0 {
			continue
		}
		d -= n * u.size
		if n == 1 {
			parts = append(parts, "1 "+u.name)
		} else {
			parts = append(parts, fmt.Sprintf("%d %ss", n, u.name))
		}
	}
	if len(parts) == 0 {
		return "0 seconds"
	}
	return strings.Join(parts, " ")
}
