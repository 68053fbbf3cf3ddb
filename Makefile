# Build, install and package psad-go. `make install DESTDIR=... PREFIX=...`
# lays files out as Debian's psad package does, so psad-go can replace it;
# `make deb` packages exactly what `make install` lays out.

GO         ?= go
PREFIX     ?= /usr
SYSCONFDIR ?= /etc
UNITDIR    ?= /lib/systemd/system
DESTDIR    ?=
BUILD      ?= build
VERSION    ?= 2.4.6+go$(shell git log -1 --format=%cd --date=format:%Y%m%d%H%M%S 2>/dev/null || echo 0)
ARCH       ?= $(shell $(GO) env GOARCH)

SBINDIR    := $(PREFIX)/sbin
MANDIR     := $(PREFIX)/share/man
COMPLDIR   := $(PREFIX)/share/bash-completion/completions
CONFDIR    := $(SYSCONFDIR)/psad
# Data files written by cmd/psad-data, plus the empty auto_dl.
DATA       := signatures icmp_types icmp6_types p0f.fp protocols

.PHONY: all install deb bench clean FORCE

all: $(BUILD)/psad $(BUILD)/psad.8 $(BUILD)/data/signatures

# go build decides itself whether anything changed. -buildvcs=auto on the
# command line beats a GOFLAGS=-buildvcs=false, so psad -V names the revision.
$(BUILD)/psad: FORCE
	@mkdir -p $(BUILD)
	$(GO) build -trimpath -buildvcs=auto -o $@ ./cmd/psad

$(BUILD)/psad.8: FORCE
	@mkdir -p $(BUILD)
	$(GO) run ./cmd/psad-docs $@ $(BUILD)/psad.bash-completion

$(BUILD)/data/signatures: FORCE
	$(GO) run ./cmd/psad-data -f $(BUILD)/data

# Files under $(CONFDIR) and /etc/default are the administrator's: an
# existing one is never overwritten (install -b would still replace it).
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(COMPLDIR) \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(CONFDIR) $(DESTDIR)$(SYSCONFDIR)/default \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d
	install -d -m 0700 $(DESTDIR)/var/log/psad $(DESTDIR)/var/lib/psad
	install -m 0755 $(BUILD)/psad $(DESTDIR)$(SBINDIR)/psad
	gzip -9n < $(BUILD)/psad.8 > $(DESTDIR)$(MANDIR)/man8/psad.8.gz
	install -m 0644 $(BUILD)/psad.bash-completion $(DESTDIR)$(COMPLDIR)/psad
	install -m 0644 dist/psad.service $(DESTDIR)$(UNITDIR)/psad.service
	install -m 0644 dist/psad.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/psad
	@set -e; keep() { if [ -e "$$2" ]; then echo "kept existing $$2"; else install -m 0644 "$$1" "$$2"; fi; }; \
	keep internal/config/psad.conf $(DESTDIR)$(CONFDIR)/psad.conf; \
	keep dist/auto_dl $(DESTDIR)$(CONFDIR)/auto_dl; \
	keep dist/psad.default $(DESTDIR)$(SYSCONFDIR)/default/psad; \
	for f in $(DATA); do keep $(BUILD)/data/$$f $(DESTDIR)$(CONFDIR)/$$f; done

deb: $(BUILD)/psad-go_$(VERSION)_$(ARCH).deb

$(BUILD)/psad-go_$(VERSION)_$(ARCH).deb: FORCE
	rm -rf $(BUILD)/stage
	$(MAKE) install DESTDIR=$(abspath $(BUILD))/stage PREFIX=/usr SYSCONFDIR=/etc UNITDIR=/lib/systemd/system
	$(GO) run ./cmd/psad-pkg -root $(BUILD)/stage -scripts dist/deb -version $(VERSION) -arch $(ARCH) -o $@

clean:
	rm -rf $(BUILD)

FORCE:

# The speed figure of the README, measured as a user would: the project's
# 1M-line busy-firewall log, grep -c SRC= and psad -A on the same file.
bench: $(BUILD)/psad
	$(GO) run ./cmd/psad-speed -psad $(BUILD)/psad
