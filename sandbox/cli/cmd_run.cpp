// layerbox run (placeholder until the engine lands)
#include "commands.h"

namespace lb::cli {

Command runCommand() {
    Command c;
    c.name = "run";
    c.synopsis = "[-- CMD ARGS...]";
    c.summary = "Run a program in a sandbox.";
    c.acceptsRest = true;
    c.run = [](const Args&) { return fail("not implemented yet", 125); };
    return c;
}

}  // namespace lb::cli
