// Appearance: the user's fonts, icon and widget themes and GTK/Qt settings, bound read-only at
// the same place in the sandbox's home, so that programs look like the rest of the desktop.
// Each bind is optional (skipped when the user has no such file). Only when the profile gives
// a display and keeps "theme" on. planDesktop() puts them first among the desktop's mounts; as
// they are mount points inside the sandbox's persistent home, the changes scanner passes them
// to planMounts too, so `layerbox diff` does not list them.
#pragma once

#include <string>
#include <vector>

#include "isolation/mounts.h"

namespace lb {

struct DesktopConfig;

// The settings bound, relative to the home.
const std::vector<std::string>& themePaths();

std::vector<MountOp> planThemeMounts(const DesktopConfig& desktop, const std::string& home);

}  // namespace lb
