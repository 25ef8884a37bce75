// The error a reader or shape parser throws for one bad record after it has
// moved past it, so the caller may skip the record and go on (when the user
// asked to skip bad records) or stop. Any other engine::Error from the data
// module is fatal for the file. Qt-free and Torch-free.
#pragma once

#include "engine/core/status.h"

namespace engine::data {

class RecordError : public Error
{
public:
    using Error::Error;
};

} // namespace engine::data
