package syslogd

import (
	_ "github.com/leodido/go-syslog/v4/octetcounting"
	"testing"
)

func TestProbe(t *testing.T) {}
