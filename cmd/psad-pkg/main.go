// Command psad-pkg builds psad-go's Debian package from a tree that
// `make install DESTDIR=...` laid out, so the package holds exactly what
// a source install holds. It uses nfpm as a library, which needs no
// dpkg tools on the build machine.
//
// The package is named psad-go and Provides, Conflicts with and Replaces
// psad: installing it removes Debian's psad 2.4.6 and takes over its
// paths. Everything under /etc is a conffile, so dpkg keeps an
// administrator's changes.
//
// Usage:
//
//	psad-pkg -root STAGE -scripts dist/deb -version V -arch A -o FILE.deb
package main

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
)

// params are the inputs of one package build.
type params struct {
	root, scripts, version, arch, out string
	// mtime is stamped on every file, so that two builds of one tree
	// give the same package.
	mtime time.Time
}

func main() {
	var p params
	flag.StringVar(&p.root, "root", "", "staged install tree (make install DESTDIR=...)")
	flag.StringVar(&p.scripts, "scripts", "dist/deb", "directory with preinst, postinst, prerm and postrm")
	flag.StringVar(&p.version, "version", "", "package version")
	flag.StringVar(&p.arch, "arch", "amd64", "Debian architecture")
	flag.StringVar(&p.out, "o", "", "output .deb file")
	flag.Parse()
	if p.root == "" || p.version == "" || p.out == "" || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	p.mtime = time.Unix(0, 0).UTC()
	if err := build(p); err != nil {
		fmt.Fprintf(os.Stderr, "psad-pkg: %v\n", err)
		os.Exit(1)
	}
}

// description is the package's Description field: a synopsis line and
// the extended text.
const description = `Port Scan Attack Detector (Go rebuild of psad)
 psad-go reads the kernel's netfilter LOG messages (iptables, ip6tables,
 nftables), detects port scans and other suspect traffic, assigns danger
 levels, alerts by syslog and email, and can block attackers. It keeps
 psad 2.4.6's command line, psad.conf and data files, and replaces the
 psad package together with its kmsgsd and psadwatchd helpers.`

func build(p params) error {
	contents, err := contents(p.root, p.mtime)
	if err != nil {
		return err
	}
	info := &nfpm.Info{
		Name:        "psad-go",
		Arch:        p.arch,
		Platform:    "linux",
		Version:     p.version,
		Section:     "net",
		Priority:    "optional",
		Maintainer:  "psad-go developers <root@localhost>",
		Description: description,
		Homepage:    "https://github.com/psadgo/psad",
		License:     "GPL-2.0-or-later",
		MTime:       p.mtime,
		Overridables: nfpm.Overridables{
			Provides:   []string{"psad"},
			Conflicts:  []string{"psad"},
			Replaces:   []string{"psad"},
			Recommends: []string{"iptables | nftables", "logrotate"},
			Contents:   contents,
			Scripts: nfpm.Scripts{
				PreInstall:  filepath.Join(p.scripts, "preinst"),
				PostInstall: filepath.Join(p.scripts, "postinst"),
				PreRemove:   filepath.Join(p.scripts, "prerm"),
				PostRemove:  filepath.Join(p.scripts, "postrm"),
			},
		},
	}
	info = nfpm.WithDefaults(info)
	if err := nfpm.PrepareForPackager(info, "deb"); err != nil {
		return fmt.Errorf("preparing package: %w", err)
	}
	f, err := os.Create(p.out)
	if err != nil {
		return fmt.Errorf("creating package: %w", err)
	}
	if err := deb.Default.Package(info, f); err != nil {
		f.Close()
		os.Remove(p.out)
		return fmt.Errorf("writing %s: %w", p.out, err)
	}
	return f.Close()
}

// contents lists the staged tree: files under etc/ as conffiles, other
// files as they are, and empty directories (the log and state
// directories) as directories of their own.
func contents(root string, mtime time.Time) (files.Contents, error) {
	var out files.Contents
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil || rel == "." {
			return err
		}
		dst := "/" + filepath.ToSlash(rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		info := &files.ContentFileInfo{Owner: "root", Group: "root", Mode: fi.Mode().Perm(), MTime: mtime}
		switch {
		case d.IsDir():
			entries, err := os.ReadDir(path)
			if err != nil {
				return err
			}
			if len(entries) == 0 {
				out = append(out, &files.Content{Destination: dst, Type: files.TypeDir, FileInfo: info})
			}
		case fi.Mode().IsRegular():
			typ := files.TypeFile
			if strings.HasPrefix(dst, "/etc/") {
				typ = files.TypeConfig
			}
			out = append(out, &files.Content{Source: path, Destination: dst, Type: typ, FileInfo: info})
		default:
			return fmt.Errorf("staged tree: %s is neither a file nor a directory", path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading staged tree: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("staged tree %q is empty", root)
	}
	return out, nil
}
