#include "ui/resources.h"

#include <QtGlobal>

// Q_INIT_RESOURCE must be used outside any namespace.
static void initLorafitResources()
{
    Q_INIT_RESOURCE(lorafit);
}

namespace ui {

void initResources()
{
    static const bool done = (initLorafitResources(), true);
    Q_UNUSED(done);
}

} // namespace ui
