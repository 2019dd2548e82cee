package config

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkLoad reads a realistic two-node configuration: Debian's
// annotated ha.cf with its settings filled in, sha1 keys, four groups.
func BenchmarkLoad(b *testing.B) {
	example, err := os.ReadFile(filepath.Join("testdata", "debian", "ha.cf"))
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	files := map[string]string{
		"ha.cf": string(example) + `
keepalive 200ms
deadtime 2
warntime 1
initdead 20
udpport 694
bcast eth0
ucast eth1 10.0.1.2
ping 10.0.0.254
node node1 node2
respawn hacluster /usr/lib/heartbeat/ipfail
apiauth ipfail gid=haclient uid=hacluster
logfile /var/log/ha-log
use_logd no
`,
		"authkeys": "auth 2\n1 md5 oldsecret\n2 sha1 newsecret\n",
		"haresources": "node1 10.0.0.10/24/eth0 Filesystem::/dev/drbd0::/srv::ext4 nfs-kernel-server\n" +
			"node2 IPaddr2::10.0.0.11/24/eth0:1 apache2\n" +
			"node1 10.0.0.12 \\\n  MailTo::root@example.com::failover\n" +
			"node2 Delay::5::0 postgresql\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	env := testEnv()
	if _, _, err := Load(dir, env); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Load(dir, env); err != nil {
			b.Fatal(err)
		}
	}
}
