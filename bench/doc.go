// Package bench holds the process-level benchmarks of httprelation: real
// hook processes (the http-relation command, the reverseproxy example
// charm) run against the hook-tool simulator of package toolsim with a
// per-call latency, next to the serial floor of the same tool calls.
//
// It has no API; everything is in its tests. README.md in this directory
// has the numbers and the commands that produce them.
package bench
