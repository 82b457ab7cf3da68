// Package calllog is the hook-tool simulator's call log, the file that
// TOOLSIM_LOG names: one JSON line per tool call, which the simulated
// tools append and this module's tests read back.
package calllog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// Call is one recorded hook-tool call.
type Call struct {
	Tool string
	// Args are the arguments after the tool name.
	Args []string
	// Stdin is what the tool read from standard input (--file -), nil if
	// it read nothing.
	Stdin    *string
	Exit     int
	Stdout   string
	Stderr   string
	Start    time.Time
	Duration time.Duration
}

// line is the JSON form of a Call in the log.
type line struct {
	Tool    string   `json:"tool"`
	Args    []string `json:"args"`
	Stdin   *string  `json:"stdin"`
	Exit    int      `json:"exit"`
	Stdout  string   `json:"stdout"`
	Stderr  string   `json:"stderr"`
	StartNS int64    `json:"start_ns"`
	DurNS   int64    `json:"dur_ns"`
}

// Append appends c to the log at path, creating it, as one line written
// with a single O_APPEND write, so that the lines of concurrent processes
// never interleave.
func Append(path string, c Call) error {
	if c.Args == nil {
		c.Args = []string{}
	}
	data, err := json.Marshal(line{
		Tool: c.Tool, Args: c.Args, Stdin: c.Stdin, Exit: c.Exit,
		Stdout: c.Stdout, Stderr: c.Stderr,
		StartNS: c.Start.UnixNano(), DurNS: c.Duration.Nanoseconds(),
	})
	if err != nil {
		return fmt.Errorf("log call: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("log call: %w", err)
	}
	_, werr := f.Write(append(data, '\n'))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("log call: %w", werr)
	}
	return nil
}

// Read reads the log at path. Lines that do not parse are reported in the
// error while every good line is still returned.
func Read(path string) ([]Call, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read calls: %w", err)
	}
	var (
		calls []Call
		errs  []error
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			errs = append(errs, fmt.Errorf("call log line %d: %w", n, err))
			continue
		}
		calls = append(calls, Call{
			Tool: l.Tool, Args: l.Args, Stdin: l.Stdin, Exit: l.Exit,
			Stdout: l.Stdout, Stderr: l.Stderr,
			Start: time.Unix(0, l.StartNS), Duration: time.Duration(l.DurNS),
		})
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("read calls: %w", err))
	}
	return calls, errors.Join(errs...)
}

// ToolNames lists the tools called, in order: what most hook tests assert
// on. Like Read, it reports unreadable lines in the error and still
// returns the names of the others.
func ToolNames(path string) ([]string, error) {
	calls, err := Read(path)
	names := make([]string, 0, len(calls))
	for _, c := range calls {
		names = append(names, c.Tool)
	}
	return names, err
}
