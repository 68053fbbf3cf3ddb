// Command psad-docs writes psad's manual page and bash completion from
// the command line's own option table (internal/argv) and the embedded
// default psad.conf (internal/config), so that neither can drift from
// what psad parses. The Makefile runs it; nothing is hand-maintained.
//
// Usage:
//
//	psad-docs [-date YYYY-MM-DD] MANFILE COMPLETIONFILE
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"
)

func main() {
	date := flag.String("date", "", "date printed in the manual page footer (default: SOURCE_DATE_EPOCH or empty)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: psad-docs [-date YYYY-MM-DD] MANFILE COMPLETIONFILE\n")
	}
	flag.Parse()
	if flag.NArg() != 2 {
		flag.Usage()
		os.Exit(2)
	}
	if *date == "" {
		// Reproducible builds set SOURCE_DATE_EPOCH; the page then does
		// not change from one build of the same source to the next.
		if sec, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64); err == nil {
			*date = time.Unix(sec, 0).UTC().Format(time.DateOnly)
		}
	}
	if err := run(flag.Arg(0), flag.Arg(1), *date); err != nil {
		fmt.Fprintf(os.Stderr, "psad-docs: %v\n", err)
		os.Exit(1)
	}
}

func run(manPath, complPath, date string) error {
	var man, compl bytes.Buffer
	if err := writeMan(&man, date); err != nil {
		return fmt.Errorf("manual page: %w", err)
	}
	writeCompletion(&compl)
	if err := os.WriteFile(manPath, man.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing manual page: %w", err)
	}
	if err := os.WriteFile(complPath, compl.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing completion: %w", err)
	}
	return nil
}
