// The text Save would write, read-only: what the form amounts to, in the file's own words.
#pragma once

#include "editor/editorpage.h"

class QPlainTextEdit;

class JsonPage : public EditorPage {
    Q_OBJECT

public:
    explicit JsonPage(QWidget* parent = nullptr);
    void setText(const QString& text, const QString& path, bool invalid = false);

private:
    QPlainTextEdit* text_;
    class QLabel* path_;
};
