package masterconf

import (
	"math/rand/v2"
	"testing"

	"github.com/hbd-ha/hbd/wire"
)

// ha.cf's compression directives reach the master: the threshold in KiB
// as heartbeat reads it (default 2), traditional_compression off by
// default.
func TestFromConfigCompression(t *testing.T) {
	c := loadVector(t, "../../testdata/vectors/bcast-sha1", "node1")
	mc, err := FromConfig(c, [16]byte{1}, 42, rand.NewPCG(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	if mc.CompressionThreshold != 2048 || mc.TraditionalCompression || mc.Compression != wire.Zlib {
		t.Errorf("defaults: threshold %d, traditional %v, %v; want 2048, false, zlib", mc.CompressionThreshold, mc.TraditionalCompression, mc.Compression)
	}
	c.CompressionThreshold, c.TraditionalCompression, c.Compression = 8, true, "bz2"
	if mc, err = FromConfig(c, [16]byte{1}, 42, rand.NewPCG(1, 2)); err != nil {
		t.Fatal(err)
	}
	if mc.CompressionThreshold != 8192 || !mc.TraditionalCompression || mc.Compression != wire.Bz2 {
		t.Errorf("set: threshold %d, traditional %v, %v; want 8192, true, bz2", mc.CompressionThreshold, mc.TraditionalCompression, mc.Compression)
	}
}
