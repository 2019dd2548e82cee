package media

import (
	"errors"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

// The interface look-ups heartbeat's plugins make, with the same ioctls:
// SIOCGIFBRDADDR (bcast), SIOCGIFADDR (mcast), if_nametoindex (the IPv6
// media). They run in the calling thread's network namespace. A missing
// interface is ErrNoInterface.

func ifaceIoctl(name string, req uint) (*unix.Ifreq, error) {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return nil, ErrNoInterface // an empty or over-long name
	}
	fd, err := socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	if err := unix.IoctlIfreq(fd, req, ifr); err != nil {
		if errors.Is(err, unix.ENODEV) {
			return nil, ErrNoInterface
		}
		return nil, os.NewSyscallError("ioctl", err)
	}
	return ifr, nil
}

func ifaceInet4(name string, req uint) (netip.Addr, error) {
	ifr, err := ifaceIoctl(name, req)
	if err != nil {
		return netip.Addr{}, err
	}
	b, err := ifr.Inet4Addr()
	if err != nil {
		return netip.Addr{}, err
	}
	return netip.AddrFrom4([4]byte(b)), nil
}

// ifaceBroadcast is the interface's IPv4 broadcast address.
func ifaceBroadcast(name string) (netip.Addr, error) {
	return ifaceInet4(name, unix.SIOCGIFBRDADDR)
}

// ifaceAddr4 is the interface's (primary) IPv4 address.
func ifaceAddr4(name string) (netip.Addr, error) {
	return ifaceInet4(name, unix.SIOCGIFADDR)
}

// ifaceIndex is if_nametoindex.
func ifaceIndex(name string) (uint32, error) {
	ifr, err := ifaceIoctl(name, unix.SIOCGIFINDEX)
	if err != nil {
		return 0, err
	}
	return ifr.Uint32(), nil
}
