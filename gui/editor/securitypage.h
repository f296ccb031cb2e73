// Security: the seccomp preset, extra denied and allowed system calls, nested sandboxes and
// debugging.
#pragma once

#include "editor/editorpage.h"

class SecurityPage : public EditorPage {
    Q_OBJECT

public:
    explicit SecurityPage(QWidget* parent = nullptr);
};
