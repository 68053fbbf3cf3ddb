package psaddir

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/psadgo/psad/internal/block"
)

// LoadPsadBlocks reads psad's own record of its blocks
// (AUTO_BLOCK_IPT_FILE, AUTO_BLOCK_TCPWR_FILE): lines "<address> <epoch>",
// which psad renewed at start. A daemon taking over from psad imports
// them, so the blocks psad left in the firewall keep their time and
// expire instead of staying forever unmanaged. Only Prefix and Since are
// set; block.New completes the records. A missing file holds nothing;
// lines without an address and a time are counted in skipped, as psad
// passed over them.
func LoadPsadBlocks(path string) (recs []block.Record, skipped int, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	recs, skipped, err = parsePsadBlocks(f)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	return recs, skipped, nil
}

func parsePsadBlocks(r io.Reader) (recs []block.Record, skipped int, err error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		a, aerr := netip.ParseAddr(f[0])
		var epoch int64 = -1
		if len(f) >= 2 {
			if n, err := strconv.ParseInt(f[1], 10, 64); err == nil && n >= 0 && n <= 1<<40 {
				epoch = n
			}
		}
		if aerr != nil || a.Zone() != "" || epoch < 0 {
			skipped++
			continue
		}
		a = a.Unmap()
		recs = append(recs, block.Record{Prefix: netip.PrefixFrom(a, a.BitLen()), Since: time.Unix(epoch, 0)})
	}
	return recs, skipped, sc.Err()
}
