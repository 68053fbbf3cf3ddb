package cli

import (
	"fmt"
	"io"
	"net"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/psadgo/psad/internal/config"
)

// redacted lists variables -D never prints (psad's list, plus our
// credentials and listener certificates).
func redacted(name string) bool {
	switch name {
	case "DSHIELD_USER_EMAIL", "DSHIELD_USER_ID", "EMAIL_ADDRESSES", "HOME_NET", "HOSTNAME", "EXTERNAL_NET",
		"SMTP_USER", "SMTP_PASSWORD", "SMTP_SERVER", "MAIL_FROM_ADDRESS", "SYSLOG_SERVER", "SYSLOG_TLS_KEY":
		return true
	}
	return strings.Contains(name, "SERVERS")
}

// runDumpConf is -D: diagnostic information for a bug report, with
// everything identifying removed. psad ran uname, ps and ifconfig and
// missed IPv6 and MAC addresses in their output; we read the facts
// ourselves and print no address at all.
func runDumpConf(cfg *config.Config, w io.Writer) int {
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		fmt.Fprintf(w, "[+] uname output:\n%s (removed) %s %s %s\n\n", cstr(u.Sysname[:]), cstr(u.Release[:]), cstr(u.Version[:]), cstr(u.Machine[:]))
	}
	fmt.Fprintf(w, "[+] Go runtime info:\n%s %s/%s", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if bi, ok := debug.ReadBuildInfo(); ok {
		fmt.Fprintf(w, ", module %s %s", bi.Main.Path, bi.Main.Version)
	}
	fmt.Fprint(w, "\n\n")
	fmt.Fprint(w, "[+] interfaces:\n")
	if ifs, err := net.Interfaces(); err == nil {
		for _, i := range ifs {
			addrs, _ := i.Addrs()
			v4, v6 := 0, 0
			for _, a := range addrs {
				if strings.Contains(a.String(), ":") {
					v6++
				} else {
					v4++
				}
			}
			fmt.Fprintf(w, "%s: flags=%s mtu %d, %d IPv4 and %d IPv6 addresses (removed), MAC (removed)\n", i.Name, i.Flags, i.MTU, v4, v6)
		}
	}
	fmt.Fprintf(w, "\n\n[+] psad v%s\n\n", Version)
	main := cfg.MainFile()
	if cfg.Embedded() {
		main = "(built-in defaults)"
	}
	fmt.Fprintf(w, "[+] Dumping psad config from: %s\n\n", main)
	for _, n := range cfg.Names() {
		if cfg.IsDefault(n) {
			continue
		}
		v := cfg.Str(n)
		if redacted(n) {
			v = "(removed)"
		}
		fmt.Fprintf(w, "%-30s %s\n", "    "+n, v)
	}
	fmt.Fprint(w, "\n[+] Command paths:\n\n")
	for _, n := range cfg.CmdNames() {
		p, _ := cfg.Cmd(n)
		fmt.Fprintf(w, "%-30s %s\n", "[+] "+n, p)
	}
	return 0
}

func cstr[T int8 | uint8](b []T) string {
	var sb strings.Builder
	for _, c := range b {
		if c == 0 {
			break
		}
		sb.WriteByte(byte(c))
	}
	return sb.String()
}
