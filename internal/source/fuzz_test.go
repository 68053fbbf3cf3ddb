package source

import (
	"errors"
	"testing"

	"github.com/psadgo/psad/internal/logsrc"
)

// FuzzResume checks that no stored bytes make Resume panic, that every
// error wraps ErrPosition, and that positions round-trip.
func FuzzResume(f *testing.F) {
	f.Add(appendFilePos(nil, logsrc.Pos{Dev: 2049, Inode: 131077, Offset: 4096}))
	f.Add(appendKmsgPos(nil, "boot-a", 1001))
	f.Add(append(appendHeader(nil, kindJournal), "s=ab;i=1"...))
	f.Add([]byte(`{"Dev":2049,"Inode":131077,"Offset":4096}`))
	f.Add([]byte(`{"Boot":"boot-a","Seq":1001}`))
	f.Add([]byte(`"s=ab;i=1"`))
	f.Fuzz(func(t *testing.T, pos []byte) {
		file, kmsg, journal := NewFile(FileConfig{}, nil), NewKmsg(KmsgConfig{BootID: "boot-a"}, nil), NewJournal(JournalConfig{}, nil)
		for _, in := range []input{file, kmsg, journal} {
			if err := in.Resume(pos); err != nil && !errors.Is(err, ErrPosition) {
				t.Fatalf("%s: Resume(%q) = %v, not ErrPosition", in.Name(), pos, err)
			}
		}
		if file.start != nil && file.start.Offset >= 0 {
			again := NewFile(FileConfig{}, nil)
			if err := again.Resume(appendFilePos(nil, *file.start)); err != nil || *again.start != *file.start {
				t.Fatalf("file position %+v does not round-trip: %v", *file.start, err)
			}
		}
		if kmsg.after != nil {
			again := NewKmsg(KmsgConfig{BootID: "boot-a"}, nil)
			if err := again.Resume(appendKmsgPos(nil, "boot-a", *kmsg.after)); err != nil || *again.after != *kmsg.after {
				t.Fatalf("kmsg position %d does not round-trip: %v", *kmsg.after, err)
			}
		}
	})
}
