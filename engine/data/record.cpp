// Field and Record look-ups and the location prefix used by error messages.
#include "engine/data/record.h"

namespace engine::data {

namespace {

const Field *findIn(const std::vector<Field> &fields, std::string_view key)
{
    for (const Field &f : fields)
        if (f.name == key)
            return &f;
    return nullptr;
}

} // namespace

const Field *Field::member(std::string_view key) const
{
    return kind == Kind::Object ? findIn(children, key) : nullptr;
}

const char *kindName(Field::Kind kind)
{
    switch (kind) {
    case Field::Kind::String:
        return "string";
    case Field::Kind::Number:
        return "number";
    case Field::Kind::Bool:
        return "boolean";
    case Field::Kind::Null:
        return "null";
    case Field::Kind::Array:
        return "array";
    case Field::Kind::Object:
        return "object";
    }
    return "value";
}

const Field *Record::field(std::string_view key) const
{
    return findIn(fields, key);
}

std::string Record::where() const
{
    return source + ":" + std::to_string(line);
}

} // namespace engine::data
