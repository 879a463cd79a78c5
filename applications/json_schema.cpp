// valijson's RapidJSON adapter must come before any RapidJSON header: it
// makes RapidJSON's assertions throw instead of aborting.
#include <valijson/adapters/rapidjson_adapter.hpp>

#include "applications/json_schema.hpp"

#include "core/error.hpp"

#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <optional>
#include <regex>
#include <set>

namespace ecr {

namespace {

constexpr unsigned parse_flags = rapidjson::kParseFullPrecisionFlag
                                 | rapidjson::kParseIterativeFlag;

/// A library's message as part of ours: "Invalid value." -> "invalid value".
std::string fragment(std::string text) {
  if (!text.empty() && text.back() == '.')
    text.pop_back();
  // Acronyms ("JSON value ...") keep their case.
  if (text.size() > 1 && std::islower(static_cast<unsigned char>(text[1])))
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

/// How deeply `json`, known to be valid JSON, nests arrays and objects.
size_t nesting_depth(std::string_view json) {
  size_t depth = 0;
  size_t deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (auto c : json) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

/// Why `text` is not JSON we can work with, or nullopt when `doc` now holds
/// it. valijson recurses once per level, so depth is bounded to keep the
/// stack of the calling thread safe.
std::optional<std::string> parse(rapidjson::Document& doc,
                                 std::string_view text) {
  doc.Parse<parse_flags>(text.data(), text.size());
  if (!doc.HasParseError()) {
    if (nesting_depth(text) <= json_schema::max_depth)
      return std::nullopt;
    return "nested deeper than " + std::to_string(json_schema::max_depth)
           + " levels";
  }
  return "not valid JSON: "
         + fragment(rapidjson::GetParseError_En(doc.GetParseError()))
         + " (at offset "
         + std::to_string(doc.GetErrorOffset()) + ")";
}

std::string minified(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buffer};
  value.Accept(writer);
  return {buffer.GetString(), buffer.GetSize()};
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : std::string{separator}) + item;
  return out;
}

caf::error invalid_schema(const std::string& why) {
  return make_error(ec::invalid_argument, "invalid JSON schema: " + why);
}

const rapidjson::Value* member(const rapidjson::Value& object,
                               const char* name) {
  if (!object.IsObject())
    return nullptr;
  auto i = object.FindMember(name);
  return i == object.MemberEnd() ? nullptr : &i->value;
}

// -- compiling ----------------------------------------------------------------

/// The draft named by "$schema"; no "$schema" means draft-07.
caf::expected<valijson::SchemaParser::Version>
draft_of(const rapidjson::Value& schema) {
  auto declared = member(schema, "$schema");
  if (!declared)
    return valijson::SchemaParser::kDraft7;
  std::string uri = declared->IsString() ? declared->GetString() : "";
  for (auto [name, version] :
       {std::pair{"draft-07", valijson::SchemaParser::kDraft7},
        std::pair{"draft-04", valijson::SchemaParser::kDraft4}})
    for (auto scheme : {"http://", "https://"})
      for (auto suffix : {"", "#"})
        if (uri == std::string{scheme} + "json-schema.org/" + name + "/schema"
                     + suffix)
          return version;
  return make_error(ec::invalid_argument,
                    "unsupported $schema " + minified(*declared)
                      + ": use http://json-schema.org/draft-07/schema# (the "
                        "default) or http://json-schema.org/draft-04/schema#");
}

/// Keywords whose values are data, not subschemas: a "pattern" or "$ref"
/// inside them means nothing.
bool holds_data(std::string_view keyword) {
  return keyword == "enum" || keyword == "const" || keyword == "default"
         || keyword == "examples";
}

bool is_regex(const std::string& pattern) {
  try {
    std::regex{pattern};
    return true;
  } catch (const std::regex_error&) {
    return false;
  }
}

std::string pointer_token(std::string_view token) {
  std::string out;
  for (auto c : token) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out.push_back(c);
  }
  return out;
}

/// Checks what valijson would let through or explain poorly: a `$ref` to
/// another document (never fetched: schemas must be self-contained) or to
/// nothing, and a regular expression that valijson compiles only while
/// validating, and would throw there.
class precheck {
public:
  explicit precheck(const rapidjson::Value& root) : root_{root} {
  }

  caf::error operator()(const rapidjson::Value& node,
                        const std::string& where) const {
    if (node.IsArray()) {
      for (rapidjson::SizeType i = 0; i < node.Size(); ++i)
        if (auto err = (*this)(node[i], where + "/" + std::to_string(i)))
          return err;
      return {};
    }
    if (!node.IsObject())
      return {};
    for (const auto& m : node.GetObject()) {
      std::string key{m.name.GetString(), m.name.GetStringLength()};
      auto path = where + "/" + pointer_token(key);
      if (key == "$ref" && m.value.IsString())
        if (auto err = check_reference(m.value.GetString(), path))
          return err;
      std::vector<std::string> patterns;
      if (key == "pattern" && m.value.IsString())
        patterns.emplace_back(m.value.GetString(), m.value.GetStringLength());
      if (key == "patternProperties" && m.value.IsObject())
        for (const auto& p : m.value.GetObject())
          patterns.emplace_back(p.name.GetString(), p.name.GetStringLength());
      for (const auto& pattern : patterns)
        if (!is_regex(pattern))
          return invalid_schema(path + " is not a valid regular expression: "
                                + pattern);
      if (holds_data(key))
        continue;
      if (auto err = (*this)(m.value, path))
        return err;
    }
    return {};
  }

private:
  caf::error check_reference(const std::string& ref,
                             const std::string& path) const {
    if (ref[0] != '#')
      return invalid_schema(path + " names another document (\"" + ref
                            + "\"); only references inside the schema, such as "
                              "\"#/definitions/name\", are allowed, since "
                              "schemas are never fetched");
    rapidjson::Pointer pointer{ref.c_str()};
    if (!pointer.IsValid() || !pointer.Get(root_))
      return invalid_schema(path + " points at nothing in the schema (\"" + ref
                            + "\")");
    return {};
  }

  const rapidjson::Value& root_;
};

// -- describing violations ----------------------------------------------------

/// The JSON type of a value, with whole numbers as "integer" (as valijson
/// sees them: 1.0 is a number).
std::string type_of(const rapidjson::Value& value) {
  switch (value.GetType()) {
    case rapidjson::kNullType: return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType: return "boolean";
    case rapidjson::kObjectType: return "object";
    case rapidjson::kArrayType: return "array";
    case rapidjson::kStringType: return "string";
    default: return value.IsInt64() || value.IsUint64() ? "integer" : "number";
  }
}

/// The value at `path` (tokens of a JSON pointer) in `doc`.
const rapidjson::Value* value_at(const rapidjson::Value& doc,
                                 const std::vector<std::string>& path) {
  auto node = &doc;
  for (const auto& token : path) {
    if (node->IsObject()) {
      node = member(*node, token.c_str());
    } else if (node->IsArray()) {
      auto index = std::stoul(token);
      node = index < node->Size() ? &(*node)[static_cast<rapidjson::SizeType>(index)]
                                  : nullptr;
    } else {
      node = nullptr;
    }
    if (!node)
      return nullptr;
  }
  return node;
}

/// The subschemas that apply to the value at `path` of a document, found by
/// following the document down through properties, items, combinators and
/// local `$ref`s. valijson reports only "the type is wrong", not which type
/// was expected; this lets a violation name it. Best effort: keywords it
/// does not follow only cost detail in the message.
class applicable_schemas {
public:
  applicable_schemas(const rapidjson::Value& schema_root,
                     const rapidjson::Value& doc,
                     const std::vector<std::string>& path)
    : root_{schema_root}, path_{path} {
    visit(schema_root, doc, 0);
  }

  const std::vector<const rapidjson::Value*>& found() const noexcept {
    return found_;
  }

private:
  void visit(const rapidjson::Value& schema, const rapidjson::Value& doc,
             size_t depth) {
    // Bounds the walk through recursive `$ref`s.
    if (!schema.IsObject() || ++steps_ > max_steps)
      return;
    if (auto ref = member(schema, "$ref")) {
      if (ref->IsString() && ref->GetString()[0] == '#') {
        rapidjson::Pointer pointer{ref->GetString()};
        if (auto target = pointer.IsValid() ? pointer.Get(root_) : nullptr)
          visit(*target, doc, depth);
      }
      return;
    }
    if (depth == path_.size())
      found_.push_back(&schema);
    for (auto keyword : {"allOf", "anyOf", "oneOf"})
      if (auto branches = member(schema, keyword); branches && branches->IsArray())
        for (const auto& branch : branches->GetArray())
          visit(branch, doc, depth);
    for (auto keyword : {"then", "else"})
      if (auto branch = member(schema, keyword))
        visit(*branch, doc, depth);
    if (depth < path_.size())
      descend(schema, doc, depth);
  }

  void descend(const rapidjson::Value& schema, const rapidjson::Value& doc,
               size_t depth) {
    const auto& token = path_[depth];
    auto child = value_at(doc, {token});
    if (!child)
      return;
    if (doc.IsObject()) {
      bool matched = false;
      if (auto properties = member(schema, "properties"))
        if (auto sub = member(*properties, token.c_str())) {
          matched = true;
          visit(*sub, *child, depth + 1);
        }
      if (auto patterns = member(schema, "patternProperties");
          patterns && patterns->IsObject())
        for (const auto& p : patterns->GetObject())
          if (std::regex_search(token, std::regex{p.name.GetString()})) {
            matched = true;
            visit(p.value, *child, depth + 1);
          }
      if (auto additional = member(schema, "additionalProperties"); !matched && additional)
        visit(*additional, *child, depth + 1);
      return;
    }
    auto items = member(schema, "items");
    if (!items)
      return;
    auto index = std::stoul(token);
    if (!items->IsArray())
      visit(*items, *child, depth + 1);
    else if (index < items->Size())
      visit((*items)[static_cast<rapidjson::SizeType>(index)], *child, depth + 1);
    else if (auto additional = member(schema, "additionalItems"))
      visit(*additional, *child, depth + 1);
  }

  static constexpr int max_steps = 10000;

  const rapidjson::Value& root_;
  const std::vector<std::string>& path_;
  std::vector<const rapidjson::Value*> found_;
  int steps_ = 0;
};

bool type_allows(const rapidjson::Value& type, const std::string& actual) {
  auto allows = [&](const rapidjson::Value& name) {
    return name.IsString()
           && (name.GetString() == actual
               || (std::string_view{name.GetString()} == "number"
                   && actual == "integer"));
  };
  if (!type.IsArray())
    return allows(type);
  return std::any_of(type.Begin(), type.End(), allows);
}

/// "expected integer or null, got string", from the `type`s the value fails.
std::string type_violation(const std::vector<const rapidjson::Value*>& schemas,
                           const rapidjson::Value& value) {
  auto actual = type_of(value);
  std::vector<std::string> expected;
  auto add = [&](const rapidjson::Value& name) {
    if (name.IsString()
        && std::find(expected.begin(), expected.end(), name.GetString())
             == expected.end())
      expected.emplace_back(name.GetString());
  };
  for (auto schema : schemas)
    if (auto type = member(*schema, "type"); type && !type_allows(*type, actual)) {
      if (type->IsArray())
        std::for_each(type->Begin(), type->End(), add);
      else
        add(*type);
    }
  if (expected.empty())
    return "type " + actual + " is not allowed here";
  return "expected " + join(expected, " or ") + ", got " + actual;
}

/// The first `keyword` among `schemas` that `value` breaks, per `breaks`.
template <class Breaks>
const rapidjson::Value*
broken(const std::vector<const rapidjson::Value*>& schemas, const char* keyword,
       Breaks breaks) {
  for (auto schema : schemas)
    if (auto constraint = member(*schema, keyword); constraint && breaks(*constraint))
      return constraint;
  return nullptr;
}

std::string enum_violation(const std::vector<const rapidjson::Value*>& schemas,
                           const rapidjson::Value& value) {
  auto allowed = broken(schemas, "enum", [&](const rapidjson::Value& choices) {
    return choices.IsArray()
           && std::none_of(choices.Begin(), choices.End(),
                           [&](const rapidjson::Value& c) { return c == value; });
  });
  if (!allowed)
    return "is not one of the values its 'enum' allows";
  std::vector<std::string> choices;
  for (const auto& choice : allowed->GetArray())
    choices.push_back(minified(choice));
  return "must be one of " + join(choices, ", ");
}

std::string const_violation(const std::vector<const rapidjson::Value*>& schemas,
                            const rapidjson::Value& value) {
  auto expected = broken(schemas, "const",
                         [&](const rapidjson::Value& c) { return c != value; });
  return expected ? "must be " + minified(*expected)
                  : "does not equal its 'const' value";
}

std::string pattern_violation(const std::vector<const rapidjson::Value*>& schemas,
                              const rapidjson::Value& value) {
  auto pattern = broken(schemas, "pattern", [&](const rapidjson::Value& p) {
    return p.IsString() && value.IsString()
           && !std::regex_search(value.GetString(), std::regex{p.GetString()});
  });
  return pattern ? "does not match the pattern " + minified(*pattern)
                 : "does not match its 'pattern'";
}

/// valijson's "%f" numbers ("10.000000") as written in JSON ("10").
std::string tidy_numbers(std::string text) {
  static const std::regex fraction{R"((\d\.\d*?[1-9])0+\b)"};
  static const std::regex whole{R"((\d)\.0+\b)"};
  return std::regex_replace(std::regex_replace(text, fraction, "$1"), whole,
                            "$1");
}

bool starts_with(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

/// The name that `message` quotes after `prefix`, which ends in a quote:
/// up to the last quote, as the name may hold quotes too.
std::string quoted_tail(const std::string& message, std::string_view prefix) {
  return message.substr(prefix.size(), message.rfind('\'') - prefix.size());
}

/// valijson's messages that only say "a nested value failed".
bool is_summary(const std::string& message) {
  static const char* summaries[] = {
    "Failed to validate against schema associated with property name",
    "Failed to validate against schema associated with pattern",
    "Failed to validate against additional properties schema",
    "Failed to validate item #",
    "Failed to validate against child schema #",
    "Failed to validate against a conditional schema",
    "Failed to validate against dependent schema",
  };
  return std::any_of(std::begin(summaries), std::end(summaries),
                     [&](const char* s) { return starts_with(message, s); });
}

/// One violation: where, and what is wrong there.
struct violation {
  std::vector<std::string> path;
  std::string text;
  /// From one of valijson's summaries: worth reporting only where nothing
  /// more precise was, as under a `false` subschema, which fails silently.
  bool summary = false;

  /// "<pointer>: <text>", the document itself as "/".
  std::string rendered() const {
    std::string pointer;
    for (const auto& token : path)
      pointer += "/" + pointer_token(token);
    return (pointer.empty() ? "/" : pointer) + ": " + text;
  }

  /// Whether this is about `other`'s value or a value inside it.
  bool within(const violation& other) const {
    return path.size() >= other.path.size()
           && std::equal(other.path.begin(), other.path.end(), path.begin());
  }
};

constexpr const char* not_allowed = "is not allowed by the schema";

/// valijson's errors in our words.
class violation_writer {
public:
  violation_writer(const rapidjson::Value& schema, const rapidjson::Value& doc)
    : schema_{schema}, doc_{doc} {
  }

  violation describe(const valijson::ValidationResults::Error& error) const {
    const auto& message = error.description;
    // valijson's context is "<root>" then "[name]" or "[index]" per level.
    violation out;
    for (size_t i = 1; i < error.context.size(); ++i)
      out.path.push_back(error.context[i].substr(1, error.context[i].size() - 2));
    static constexpr std::string_view property_failed =
      "Failed to validate against schema associated with property name '";
    static constexpr std::string_view missing = "Missing required property '";
    static constexpr std::string_view unexpected =
      "Object contains a property that could not be validated using "
      "'properties' or 'additionalProperties' constraints: '";
    if (is_summary(message)) {
      if (starts_with(message, property_failed))
        out.path.push_back(quoted_tail(message, property_failed));
      out.text = not_allowed;
      out.summary = true;
    } else if (starts_with(message, missing)) {
      out.path.push_back(quoted_tail(message, missing));
      out.text = "required property is missing";
    } else if (starts_with(message, unexpected)) {
      out.path.push_back(quoted_tail(message, unexpected));
      out.text = "property is not allowed (additionalProperties)";
    } else {
      out.text = explain(message, out.path);
    }
    return out;
  }

private:
  std::string explain(const std::string& message,
                      const std::vector<std::string>& path) const {
    if (auto value = value_at(doc_, path)) {
      auto about = [&](auto with) {
        return with(applicable_schemas{schema_, doc_, path}.found(), *value);
      };
      if (message == "Value type not permitted by 'type' constraint.")
        return about(type_violation);
      if (message == "Failed to match against any enum values.")
        return about(enum_violation);
      if (message == "Failed to match expected value set by 'const' constraint.")
        return about(const_violation);
      if (message == "Failed to match regex specified by 'pattern' constraint.")
        return about(pattern_violation);
    }
    for (auto [theirs, ours] : rewordings)
      if (message == theirs)
        return std::string{ours};
    return fragment(tidy_numbers(message));
  }

  static constexpr std::pair<std::string_view, std::string_view> rewordings[] = {
    {"Failed to validate against any schemas allowed by anyOf constraint.",
     "matches none of the schemas in 'anyOf'"},
    {"Failed to validate against any child schemas allowed by oneOf "
     "constraint.",
     "matches none of the schemas in 'oneOf'"},
    {"Failed to validate against exactly one child schema.",
     "matches more than one of the schemas in 'oneOf'"},
    {"Target should not validate against schema specified in 'not' "
     "constraint.",
     "must not match the schema in 'not'"},
  };

  const rapidjson::Value& schema_;
  const rapidjson::Value& doc_;
};

/// Renders `found` in order, without duplicates, and summaries only where
/// nothing more precise was found.
std::vector<std::string> render_all(const std::vector<violation>& found) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](const violation& v) {
    if (auto text = v.rendered(); seen.insert(text).second)
      out.push_back(std::move(text));
  };
  for (const auto& v : found)
    if (!v.summary)
      add(v);
  for (const auto& v : found)
    if (v.summary && std::none_of(found.begin(), found.end(), [&](const violation& w) {
          return !w.summary && w.within(v);
        }))
      add(v);
  return out;
}

/// valijson::Validator caches compiled regexes without locking, so each
/// concurrent validation borrows a validator of its own; they are kept for
/// reuse, with their caches.
class validator_pool {
public:
  class lease {
  public:
    lease(validator_pool& pool, std::unique_ptr<valijson::Validator> validator)
      : pool_{pool}, validator_{std::move(validator)} {
    }

    ~lease() {
      std::lock_guard guard{pool_.mutex_};
      pool_.idle_.push_back(std::move(validator_));
    }

    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;

    valijson::Validator* operator->() const noexcept {
      return validator_.get();
    }

  private:
    validator_pool& pool_;
    std::unique_ptr<valijson::Validator> validator_;
  };

  lease borrow() {
    std::lock_guard guard{mutex_};
    if (idle_.empty())
      return {*this, std::make_unique<valijson::Validator>()};
    auto validator = std::move(idle_.back());
    idle_.pop_back();
    return {*this, std::move(validator)};
  }

private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<valijson::Validator>> idle_;
};

} // namespace

// -- json_schema --------------------------------------------------------------

struct json_schema::impl {
  rapidjson::Document document;
  std::string text;
  valijson::Schema compiled;
  mutable validator_pool validators;
};

json_schema::json_schema(std::unique_ptr<impl> state) : impl_{std::move(state)} {
}

json_schema::~json_schema() = default;

caf::expected<std::shared_ptr<const json_schema>>
json_schema::compile(std::string_view schema_json) {
  auto state = std::make_unique<impl>();
  if (auto reason = parse(state->document, schema_json))
    return make_error(ec::invalid_argument, "schema is " + *reason);
  auto draft = draft_of(state->document);
  if (!draft)
    return draft.error();
  if (auto err = precheck{state->document}(state->document, ""))
    return err;
  try {
    // Without a document fetcher, valijson cannot reach the network.
    valijson::SchemaParser parser{*draft};
    parser.populateSchema(valijson::adapters::RapidJsonAdapter{state->document},
                          state->compiled);
  } catch (const std::exception& e) {
    return invalid_schema(fragment(e.what()));
  }
  state->text = minified(state->document);
  return std::shared_ptr<const json_schema>{new json_schema{std::move(state)}};
}

std::vector<std::string>
json_schema::violations(std::string_view document_json) const {
  rapidjson::Document doc;
  if (auto reason = parse(doc, document_json))
    return {violation{{}, *reason}.rendered()};
  valijson::ValidationResults results;
  bool valid = false;
  try {
    valid = impl_->validators.borrow()->validate(
      impl_->compiled, valijson::adapters::RapidJsonAdapter{doc}, &results);
  } catch (const std::exception& e) {
    // std::regex may give up on a long string (error_complexity).
    return {violation{{}, "cannot be validated: " + fragment(e.what())}.rendered()};
  }
  violation_writer writer{impl_->document, doc};
  std::vector<violation> found;
  for (const auto& error : results)
    found.push_back(writer.describe(error));
  // A `false` schema at the top fails without saying anything.
  if (!valid && found.empty())
    found.push_back({{}, not_allowed, true});
  return render_all(found);
}

const std::string& json_schema::text() const noexcept {
  return impl_->text;
}

} // namespace ecr
