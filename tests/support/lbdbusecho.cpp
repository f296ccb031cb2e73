// lbdbusecho ADDRESS NAME: a D-Bus service for the desktop tests. It connects to the bus at
// ADDRESS, owns NAME and answers org.layerbox.Test.Ping on /org/layerbox/Test with
// "pong from NAME". Prints "ready" once the name is owned; runs until killed.
#include <systemd/sd-bus.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace {

std::string gName;

int ping(sd_bus_message* m, void*, sd_bus_error*) {
    std::string reply = "pong from " + gName;
    return sd_bus_reply_method_return(m, "s", reply.c_str());
}

const sd_bus_vtable kVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Ping", "", "s", ping, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

int die(const char* what, int r) {
    std::fprintf(stderr, "lbdbusecho: %s: %s\n", what, std::strerror(-r));
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: lbdbusecho ADDRESS NAME\n");
        return 2;
    }
    gName = argv[2];
    sd_bus* bus = nullptr;
    int r = sd_bus_new(&bus);
    if (r < 0) return die("sd_bus_new", r);
    if ((r = sd_bus_set_address(bus, argv[1])) < 0) return die("sd_bus_set_address", r);
    sd_bus_set_bus_client(bus, 1);
    if ((r = sd_bus_start(bus)) < 0) return die("sd_bus_start", r);
    if ((r = sd_bus_add_object_vtable(bus, nullptr, "/org/layerbox/Test", "org.layerbox.Test",
                                      kVtable, nullptr)) < 0)
        return die("sd_bus_add_object_vtable", r);
    if ((r = sd_bus_request_name(bus, argv[2], 0)) < 0) return die("sd_bus_request_name", r);
    std::printf("ready\n");
    std::fflush(stdout);
    for (;;) {
        r = sd_bus_process(bus, nullptr);
        if (r < 0) return die("sd_bus_process", r);
        if (r > 0) continue;
        if ((r = sd_bus_wait(bus, UINT64_MAX)) < 0 && r != -EINTR) return die("sd_bus_wait", r);
    }
}
