#include "network.h"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "fsutil.h"

namespace lb {

Status bringUpLoopback() {
    UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!s.valid()) return Error::fromErrno("socket(AF_INET)");
    struct ifreq ifr = {};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0)
        return Error::fromErrno("ioctl(SIOCGIFFLAGS, lo)");
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0)
        return Error::fromErrno("ioctl(SIOCSIFFLAGS, lo)");
    return Ok();
}

}  // namespace lb
