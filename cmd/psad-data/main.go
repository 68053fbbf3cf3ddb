// Command psad-data installs psad-go's own data files (signatures, ICMP
// type tables, p0f fingerprints, protocol names) as files, for users who
// want to read, edit or version them instead of relying on the copies
// built into psad. Point psad.conf's SIGS_FILE, ICMP_TYPES_FILE,
// ICMP6_TYPES_FILE, P0F_FILE and PROTOCOLS_FILE at them.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/psadgo/psad/internal/icmptype"
	"github.com/psadgo/psad/internal/osfp"
	"github.com/psadgo/psad/internal/protocols"
	"github.com/psadgo/psad/internal/sig"
)

func main() {
	force := flag.Bool("f", false, "overwrite existing files")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: psad-data [-f] DIR\n\nwrites signatures, icmp_types, icmp6_types, p0f.fp and protocols into DIR\n")
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := install(flag.Arg(0), *force); err != nil {
		fmt.Fprintf(os.Stderr, "psad-data: %v\n", err)
		os.Exit(1)
	}
}

func install(dir string, force bool) error {
	files := map[string][]byte{
		"signatures":  sig.DefaultText(),
		"icmp_types":  icmptype.IPv4Text(),
		"icmp6_types": icmptype.IPv6Text(),
		"p0f.fp":      osfp.DefaultText(),
		"protocols":   protocols.DefaultText(),
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, data := range files {
		path := filepath.Join(dir, name)
		flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
		if force {
			flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		}
		f, err := os.OpenFile(path, flags, 0o644)
		if err != nil {
			return fmt.Errorf("%w (use -f to overwrite)", err)
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		fmt.Println(path)
	}
	return nil
}
