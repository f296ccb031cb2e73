#include "editor/environmentpage.h"

#include <QFormLayout>

EnvironmentPage::EnvironmentPage(QWidget* parent)
    : EditorPage(tr("Environment"), QStringLiteral("preferences-other"), parent) {
    setObjectName("environmentPage");
    QFormLayout* env = addSection(tr("Variables"), tr("Everything not kept or set here is "
                                                      "dropped, so tokens in your environment "
                                                      "do not leak in."));
    addList(env, tr("&Keep:"), QStringLiteral("/environment/keep"),
            tr("One name per line; LC_* matches a prefix"));
    addTable(env, tr("&Set:"), QStringLiteral("/environment/set"),
             {{"name", tr("Name"), RecordTable::Column::Text},
              {"value", tr("Value"), RecordTable::Column::Text}},
             true);
    finish();
}
