// Environment: the variables kept from yours and the ones set inside.
#pragma once

#include "editor/editorpage.h"

class EnvironmentPage : public EditorPage {
    Q_OBJECT

public:
    explicit EnvironmentPage(QWidget* parent = nullptr);
};
