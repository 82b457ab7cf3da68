// Command alpha is a program for the tests of toolsim's Run: it carries
// out its arguments in order.
//
//	env=NAME     print NAME=value of the environment variable
//	stderr=TEXT  print TEXT on standard error
//	tool=NAME    run hook tool NAME, found on PATH, and print its output
//	sleep        sleep for a minute
//	kill         die of SIGKILL
//	exit=N       exit with status N
package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	for _, arg := range os.Args[1:] {
		verb, value, _ := strings.Cut(arg, "=")
		switch verb {
		case "env":
			fmt.Printf("%s=%s\n", value, os.Getenv(value))
		case "stderr":
			fmt.Fprintln(os.Stderr, value)
		case "tool":
			out, err := exec.Command(value).Output()
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(100)
			}
			fmt.Print(string(out))
		case "sleep":
			time.Sleep(time.Minute)
		case "kill":
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			time.Sleep(time.Minute)
		case "exit":
			code, err := strconv.Atoi(value)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(100)
			}
			os.Exit(code)
		default:
			fmt.Fprintf(os.Stderr, "unknown argument %q\n", arg)
			os.Exit(100)
		}
	}
}
