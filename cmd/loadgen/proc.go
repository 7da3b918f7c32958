package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"
)

// line is one line a child process wrote, with the moment loadgen read it.
type line struct {
	text string
	at   time.Time
}

// stream collects the lines of one output of a child process as they arrive, so that callers
// can wait for a line and know when it came. It never blocks the writer.
type stream struct {
	mu    sync.Mutex
	lines []line
	eof   bool
	wake  chan struct{} // closed and replaced whenever a line arrives or the stream ends
}

func newStream(r io.Reader) *stream {
	s := &stream{wake: make(chan struct{})}
	go s.read(r)
	return s
}

func (s *stream) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		at := time.Now()
		s.mu.Lock()
		s.lines = append(s.lines, line{sc.Text(), at})
		close(s.wake)
		s.wake = make(chan struct{})
		s.mu.Unlock()
	}
	// Drain whatever follows an over-long line, so the child never blocks on a full pipe.
	_, _ = io.Copy(io.Discard, r)
	s.mu.Lock()
	s.eof = true
	close(s.wake)
	s.mu.Unlock()
}

// errEOF: the stream ended before the awaited line.
var errEOF = errors.New("output ended")

// next waits until the stream has a line at index i, and returns it.
func (s *stream) next(i int, deadline time.Time) (line, error) {
	for {
		s.mu.Lock()
		if i < len(s.lines) {
			l := s.lines[i]
			s.mu.Unlock()
			return l, nil
		}
		eof, wake := s.eof, s.wake
		s.mu.Unlock()
		if eof {
			return line{}, errEOF
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			return line{}, os.ErrDeadlineExceeded
		}
		t := time.NewTimer(wait)
		select {
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// waitFor returns the submatches of the first line matching re, reading from the start.
func (s *stream) waitFor(re *regexp.Regexp, timeout time.Duration) ([]string, error) {
	deadline := time.Now().Add(timeout)
	for i := 0; ; i++ {
		l, err := s.next(i, deadline)
		if err != nil {
			return nil, fmt.Errorf("waiting for a line matching %s: %w", re, err)
		}
		if m := re.FindStringSubmatch(l.text); m != nil {
			return m, nil
		}
	}
}

// text is everything the stream has so far, for error messages (the last 40 lines).
func (s *stream) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, l := range s.lines[max(0, len(s.lines)-40):] {
		b.WriteString(l.text + "\n")
	}
	return b.String()
}

// child is a process loadgen started, with its output collected line by line.
type child struct {
	name           string
	cmd            *exec.Cmd
	stdout, stderr *stream
	exited         chan struct{}
	err            error // Wait's, once exited is closed
}

// startChild starts path with args and env (nil: loadgen's own environment).
func startChild(name, path string, args, env []string) (*child, error) {
	cmd := exec.Command(path, args...)
	cmd.Env = env
	// io.Pipes rather than StdoutPipe: Wait then returns only once everything the child wrote
	// has been handed to the streams, so the last lines before an exit are never lost.
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	cmd.Stdout, cmd.Stderr = outW, errW
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, stdout: newStream(outR), stderr: newStream(errR), exited: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		outW.Close()
		errW.Close()
		close(c.exited)
	}()
	return c, nil
}

// stop asks the child to finish (SIGINT, as Ctrl-C would), and kills it if it has not after
// ten seconds. Only the process loadgen started is signalled, by its PID.
func (c *child) stop() {
	select {
	case <-c.exited:
		return
	default:
	}
	_ = c.cmd.Process.Signal(os.Interrupt)
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
}

// kill ends the child at once.
func (c *child) kill() {
	_ = c.cmd.Process.Kill()
	<-c.exited
}

// failure describes why the child is not doing what was expected, with its recent output.
func (c *child) failure(err error) error {
	return fmt.Errorf("%s: %w\n--- stdout\n%s--- stderr\n%s", c.name, err, c.stdout.text(), c.stderr.text())
}
