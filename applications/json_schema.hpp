#pragma once

#include <caf/expected.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ecr {

/// A compiled JSON Schema (A18) that validates configuration documents.
/// Immutable once compiled; `violations` may run on many threads at once.
class json_schema {
public:
  /// Deepest nesting of arrays and objects accepted in schemas and
  /// documents; deeper ones are refused rather than risk the stack.
  static constexpr size_t max_depth = 512;

  /// Compiles a JSON Schema from its JSON text (draft-07; draft-04 accepted,
  /// chosen by "$schema"; no "$schema" = draft-07). Not JSON, or not a valid
  /// schema -> ec::invalid_argument with a message saying why. A `$ref` to
  /// another document is refused: schemas must be self-contained, since ECR
  /// never fetches anything while validating.
  static caf::expected<std::shared_ptr<const json_schema>>
  compile(std::string_view schema_json);

  ~json_schema();

  json_schema(const json_schema&) = delete;
  json_schema& operator=(const json_schema&) = delete;

  /// Every violation of `document_json` (must be JSON, nested at most
  /// `max_depth` deep; if not, one violation saying so), each as "<JSON
  /// pointer of the value>: <what is wrong>", e.g. "/pushInterval: expected
  /// integer, got string"; the document itself is written "/" for
  /// readability, and a missing required property by the pointer it would
  /// have. Empty when valid. Deterministic order: as the schema is
  /// evaluated, duplicates removed.
  std::vector<std::string> violations(std::string_view document_json) const;

  /// The schema as minified JSON text.
  const std::string& text() const noexcept;

private:
  struct impl;

  explicit json_schema(std::unique_ptr<impl> state);

  std::unique_ptr<impl> impl_;
};

} // namespace ecr
