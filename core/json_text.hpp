#pragma once

// Writing JSON text with RapidJSON, shared by the REST renderers and the
// export format. Include only from .cpp files: RapidJSON is heavy.

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>

namespace ecr {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

/// The JSON text that `write(json_writer&)` writes.
template <class Write>
std::string json_text(Write write) {
  rapidjson::StringBuffer buf;
  json_writer out{buf};
  write(out);
  return {buf.GetString(), buf.GetSize()};
}

/// A string value, embedded NULs and all.
inline void write_string(json_writer& out, std::string_view text) {
  out.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

} // namespace ecr
