package argv

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseArgs guards psad's command line, which comes from users,
// init scripts and the command line the daemon saved in
// PSAD_CMDLINE_FILE. The input is split into arguments at NUL bytes, or
// at spaces when it has none. For any arguments ParseArgs must not panic,
// must keep a copy of them in Args, and may record only canonical names
// in Given; an unknown option must be reported, with psad's line, and
// must not change how the arguments after it are read. A value must
// reach its option unchanged however it is written (next argument or
// after "="), integers must read back as written, with or without
// Getopt::Long's underscores, and the last occurrence of an option wins.
func FuzzParseArgs(f *testing.F) {
	for _, s := range []string{
		"-A -m /var/log/messages --debug",
		"--CSV\x00--CSV-fields\x00src dp:count\x00--CSV-max-lines=+1_000\x00--plot-separator\x00; ",
		"-c /etc/psad/psad.conf -h -O a.conf,b.conf -I 30",
		"--status -p -X=1 --bogus -A=1 -- -S --Kill",
		"--fw-block-ip 192.0.2.1 --status-dl x -I _5 --packets=0",
		"-S --status-ip 2001:db8::1 --json -m",
		"--gnuplot\x00--gnuplot-title\x00a \"title\"\x00--gnuplot-legend-titls=L\x00-u\x00store\x00--CSV-fields=",
		"",
	} {
		f.Add(s, int(-7))
	}
	canonical := map[string]bool{}
	for _, d := range optDefs {
		canonical[d.name] = true
	}
	f.Fuzz(func(t *testing.T, line string, n int) {
		sep := " "
		if strings.Contains(line, "\x00") {
			sep = "\x00"
		}
		args := strings.Split(line, sep)
		o, errs := ParseArgs(args)
		if !slices.Equal(o.Args, args) {
			t.Fatalf("ParseArgs(%q): Args = %q", args, o.Args)
		}
		if len(args) > 0 {
			args[0] += "x"
			if o.Args[0] == args[0] {
				t.Fatalf("ParseArgs(strings.Split(%q, %q)): Args shares the caller's slice", line, sep)
			}
			args[0] = strings.TrimSuffix(args[0], "x")
		}
		if len(errs) > len(args) {
			t.Fatalf("ParseArgs(%q): %d errors for %d arguments: %q", args, len(errs), len(args), errs)
		}
		for _, e := range errs {
			if !strings.HasPrefix(e, "Unknown option: ") && !strings.HasPrefix(e, "Option ") && !strings.HasPrefix(e, `Value "`) {
				t.Fatalf("ParseArgs(%q): error %q is not one of psad's", args, e)
			}
		}
		if len(o.Given) != len(o.optOrder) {
			t.Fatalf("ParseArgs(%q): Given %v, order %q", args, o.Given, o.optOrder)
		}
		for _, name := range o.optOrder {
			if !canonical[name] || !o.Given[name] {
				t.Fatalf("ParseArgs(%q): Given %v, order %q: %q is not a canonical option name", args, o.Given, o.optOrder, name)
			}
		}

		// No option starts with "zz", and an unknown option takes no value.
		o2, errs2 := ParseArgs(append([]string{"--zz-unknown"}, args...))
		if want := append([]string{"Unknown option: zz-unknown"}, errs...); !slices.Equal(errs2, want) {
			t.Fatalf("ParseArgs(%q) after an unknown option: errors %q, want %q", args, errs2, want)
		}
		o2.Args = o.Args
		if !reflect.DeepEqual(o, o2) {
			t.Fatalf("ParseArgs(%q): an unknown option in front changes the result\n got %+v\nwant %+v", args, *o2, *o)
		}

		v := line
		forms := [][]string{{"--messages-file", v}, {"-m", v}}
		if v != "" {
			forms = append(forms, []string{"-m=" + v}) // "-m=" alone gives no value
		}
		for _, a := range forms {
			o, errs := ParseArgs(a)
			if len(errs) != 0 || o.MessagesFile != v || !o.Given["messages-file"] {
				t.Fatalf("ParseArgs(%q): MessagesFile %q, errors %q; want %q", a, o.MessagesFile, errs, v)
			}
		}
		num := strconv.Itoa(n)
		under := "_" + strings.Join(strings.Split(strings.TrimPrefix(num, "-"), ""), "_")
		if n < 0 {
			under = "-" + under
		}
		for _, a := range [][]string{{"--packets=" + num}, {"--packets", under}, {"-I", num}} {
			o, errs := ParseArgs(a)
			got := o.Packets
			if a[0] == "-I" {
				got = o.Interval
			}
			if len(errs) != 0 || got != n || (a[0] != "-I" && !o.PacketsSet) {
				t.Fatalf("ParseArgs(%q) = %d, errors %q; want %d", a, got, errs, n)
			}
		}
		if !slices.Contains(args, "--") {
			// "x" is the value of a trailing option that lacks one, or a
			// left-over argument.
			a := append(slices.Clip(args), "x", "--messages-file", v)
			if o, _ := ParseArgs(a); o.MessagesFile != v {
				t.Fatalf("ParseArgs(%q): MessagesFile %q; the last occurrence is %q", a, o.MessagesFile, v)
			}
		}
	})
}
