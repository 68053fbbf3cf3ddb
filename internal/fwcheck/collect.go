package fwcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
)

// Listing is the text one program printed.
type Listing struct {
	Command []string // the program and its arguments, as run
	Text    string
}

// sbinDirs are searched after PATH: a daemon started by init may have a
// PATH without them, and the listing programs live there.
var sbinDirs = []string{"/usr/sbin", "/sbin"}

func lookPath(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, d := range sbinDirs {
		p := filepath.Join(d, name)
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	return ""
}

// ErrNoTool is returned by [Collect] when no listing program is
// installed.
var ErrNoTool = errors.New("none of iptables-save, ip6tables-save and nft is installed")

// Commands returns the listing programs Collect would run here: each
// family's iptables-save (both the legacy and the nf_tables build when both
// are installed, since both can hold rules at once) and "nft -a list
// ruleset" (-a, so advice can name rule handles).
func Commands(ipv6 bool) [][]string {
	var cmds [][]string
	prefixes := []string{"iptables"}
	if ipv6 {
		prefixes = append(prefixes, "ip6tables")
	}
	for _, p := range prefixes {
		legacy, nft := lookPath(p+"-legacy-save"), lookPath(p+"-nft-save")
		switch {
		case legacy != "" && nft != "":
			cmds = append(cmds, []string{legacy}, []string{nft})
		default:
			if s := lookPath(p + "-save"); s != "" {
				cmds = append(cmds, []string{s})
			}
		}
	}
	if n := lookPath("nft"); n != "" {
		cmds = append(cmds, []string{n, "-a", "list", "ruleset"})
	}
	return cmds
}

// Collect runs [Commands] and returns what each printed. A program that
// fails is reported in the error, joined with the others; the listings of
// those that worked are returned all the same.
func Collect(ctx context.Context, ipv6 bool) ([]Listing, error) {
	cmds := Commands(ipv6)
	if len(cmds) == 0 {
		return nil, ErrNoTool
	}
	var out []Listing
	var errs []error
	for _, argv := range cmds {
		var stdout, stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			errs = append(errs, fmt.Errorf("run %q: %w: %s", argv, err, bytes.TrimSpace(stderr.Bytes())))
			continue
		}
		out = append(out, Listing{Command: argv, Text: stdout.String()})
	}
	return out, errors.Join(errs...)
}
