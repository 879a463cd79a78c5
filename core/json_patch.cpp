#include "core/json_patch.hpp"

#include "core/error.hpp"
#include "core/json_value.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <span>

namespace ecr {

namespace {

/// A JSON Pointer as its reference tokens, unescaped; none for the whole
/// document.
using tokens = std::span<const std::string>;

/// All `copy` operations of one patch together may create this many values:
/// each copy of the root into itself doubles the document, so a patch of a
/// few dozen operations would otherwise exhaust memory.
constexpr size_t max_copied_values = 100'000;

caf::error conflict(std::string why) {
  return make_error(ec::conflict, std::move(why));
}

/// `text` as a JSON string, for messages.
std::string quoted(std::string_view text) {
  return json_text([&](json_writer& out) { write_string(out, text); });
}

// -- JSON Pointer (RFC 6901) --------------------------------------------------

caf::expected<std::vector<std::string>> parse_pointer(std::string_view text) {
  if (!text.empty() && text[0] != '/')
    return make_error(ec::invalid_argument, "it must be empty or start with '/'");
  std::vector<std::string> out;
  for (size_t i = 0; i < text.size();) {
    auto& token = out.emplace_back();
    for (++i; i < text.size() && text[i] != '/'; ++i) {
      if (text[i] != '~') {
        token.push_back(text[i]);
        continue;
      }
      if (++i == text.size() || (text[i] != '0' && text[i] != '1'))
        return make_error(ec::invalid_argument, "'~' must be followed by 0 or 1");
      token.push_back(text[i] == '0' ? '~' : '/');
    }
  }
  return out;
}

void append_token(std::string& pointer, std::string_view token) {
  pointer.push_back('/');
  for (auto c : token) {
    if (c == '~')
      pointer += "~0";
    else if (c == '/')
      pointer += "~1";
    else
      pointer.push_back(c);
  }
}

/// Where `path` points, for messages.
std::string location(tokens path) {
  if (path.empty())
    return "the document";
  std::string out;
  for (const auto& token : path)
    append_token(out, token);
  return out;
}

// -- finding values -----------------------------------------------------------

/// The array index `token` names within the array at `array_path`.
/// Digits too many for size_t name an index past any end.
caf::expected<size_t> array_index(const std::string& token, tokens array_path) {
  if (token == "-")
    return conflict("\"-\" names no element of " + location(array_path)
                    + ": it is past the end");
  if (token.empty() || !std::all_of(token.begin(), token.end(), [](char c) {
        return c >= '0' && c <= '9';
      }))
    return conflict(quoted(token) + " is not an index into the array "
                    + location(array_path));
  if (token.size() > 1 && token[0] == '0')
    return conflict("index " + token + " into " + location(array_path)
                    + " has a leading zero");
  size_t index = std::numeric_limits<size_t>::max();
  std::from_chars(token.data(), token.data() + token.size(), index);
  return index;
}

/// Why `value`, at `path`, has no children: it is no container.
caf::error no_children(const json_value& value, tokens path) {
  static constexpr std::array<const char*, 4> scalars{"null", "a boolean",
                                                      "a number", "a string"};
  return conflict(location(path) + " is " + scalars[static_cast<size_t>(value.type)]
                  + ", not an object or array");
}

/// The position, among its items or members, of the child of `parent` (at
/// `parent_path`) that `token` names.
caf::expected<size_t> position_of(const json_value& parent, tokens parent_path,
                                  const std::string& token) {
  if (parent.is_object()) {
    auto& members = parent.members;
    auto i = std::find_if(members.begin(), members.end(),
                          [&](const json_member& m) { return m.key == token; });
    if (i == members.end())
      return conflict("no member " + quoted(token) + " in " + location(parent_path));
    return static_cast<size_t>(i - members.begin());
  }
  if (!parent.is_array())
    return no_children(parent, parent_path);
  auto index = array_index(token, parent_path);
  if (index && *index >= parent.items.size())
    return conflict("no element " + token + " in " + location(parent_path)
                    + " (size " + std::to_string(parent.items.size()) + ")");
  return index;
}

json_value& child_at(json_value& parent, size_t position) {
  return parent.is_array() ? parent.items[position] : parent.members[position].value;
}

caf::expected<json_value*> locate(json_value& root, tokens path) {
  auto here = &root;
  for (size_t depth = 0; depth < path.size(); ++depth) {
    auto position = position_of(*here, path.first(depth), path[depth]);
    if (!position)
      return std::move(position.error());
    here = &child_at(*here, *position);
  }
  return here;
}

// -- RFC 6902 operations ------------------------------------------------------

enum class op_kind { add, remove, replace, move, copy, test };

constexpr std::array<std::string_view, 6> op_names{"add",  "remove", "replace",
                                                   "move", "copy",   "test"};

struct operation {
  op_kind kind = op_kind::add;
  /// The "path" as written, for messages.
  std::string_view path_text;
  std::vector<std::string> path;
  std::vector<std::string> from;
  /// The "value", within the parsed patch.
  json_value* value = nullptr;
};

json_value* member(json_value& object, std::string_view key) {
  auto i = std::find_if(object.members.begin(), object.members.end(),
                        [&](const json_member& m) { return m.key == key; });
  return i == object.members.end() ? nullptr : &i->value;
}

/// The JSON Pointer in member `key` of an operation object.
caf::expected<std::vector<std::string>> read_pointer(json_value& object,
                                                     std::string_view key) {
  auto text = member(object, key);
  auto name = quoted(key);
  if (!text)
    return make_error(ec::invalid_argument, "missing " + name);
  if (text->type != json_value::kind::string)
    return make_error(ec::invalid_argument, name + " is not a string");
  auto pointer = parse_pointer(text->text);
  if (!pointer)
    return make_error(ec::invalid_argument, name + " is not a JSON Pointer: "
                                              + error_message(pointer.error()));
  return pointer;
}

caf::expected<operation> read_operation(json_value& object) {
  auto invalid = [](std::string why) {
    return make_error(ec::invalid_argument, std::move(why));
  };
  if (!object.is_object())
    return invalid("not an object");
  if (auto key = duplicate_member(object))
    return invalid("duplicate member " + quoted(*key));
  auto name = member(object, "op");
  if (!name)
    return invalid("missing \"op\"");
  if (name->type != json_value::kind::string)
    return invalid("\"op\" is not a string");
  auto known = std::find(op_names.begin(), op_names.end(), name->text);
  if (known == op_names.end())
    return invalid("unknown op " + quoted(name->text));
  operation out;
  out.kind = static_cast<op_kind>(known - op_names.begin());
  auto path = read_pointer(object, "path");
  if (!path)
    return std::move(path.error());
  out.path = std::move(*path);
  out.path_text = member(object, "path")->text;
  if (out.kind == op_kind::move || out.kind == op_kind::copy) {
    auto from = read_pointer(object, "from");
    if (!from)
      return std::move(from.error());
    out.from = std::move(*from);
  }
  if (out.kind == op_kind::add || out.kind == op_kind::replace
      || out.kind == op_kind::test) {
    out.value = member(object, "value");
    if (!out.value)
      return invalid("missing \"value\"");
  }
  return out;
}

caf::expected<std::vector<operation>> read_operations(json_value& patch) {
  if (!patch.is_array())
    return make_error(ec::invalid_argument, "the patch is not a JSON array");
  std::vector<operation> out;
  out.reserve(patch.items.size());
  for (size_t i = 0; i < patch.items.size(); ++i) {
    auto op = read_operation(patch.items[i]);
    if (!op)
      return make_error(ec::invalid_argument, "operation " + std::to_string(i)
                                                + ": " + error_message(op.error()));
    out.push_back(std::move(*op));
  }
  return out;
}

/// Applies operations to a document in place.
class patcher {
public:
  explicit patcher(json_value& root) : root_(root) {
  }

  caf::error apply(operation& op) {
    switch (op.kind) {
      case op_kind::add:
        if (auto err = fits(op.path, extent_of(*op.value).depth))
          return err;
        return add(op.path, std::move(*op.value));
      case op_kind::remove: {
        auto removed = take(op.path);
        return removed ? caf::error{} : std::move(removed.error());
      }
      case op_kind::replace: {
        auto target = locate(root_, op.path);
        if (!target)
          return std::move(target.error());
        if (auto err = fits(op.path, extent_of(*op.value).depth))
          return err;
        **target = std::move(*op.value);
        return {};
      }
      case op_kind::move:
        return move(op.from, op.path);
      case op_kind::copy:
        return copy(op.from, op.path);
      case op_kind::test: {
        auto target = locate(root_, op.path);
        if (!target)
          return std::move(target.error());
        if (!json_equals(**target, *op.value))
          return conflict("test failed: the value differs");
        return {};
      }
    }
    return {};
  }

private:
  /// Whether a value `depth` levels deep fits at `path`.
  static caf::error fits(tokens path, size_t depth) {
    if (path.size() + depth <= json_max_depth)
      return {};
    return conflict("the result would nest deeper than "
                    + std::to_string(json_max_depth) + " levels");
  }

  caf::error add(tokens path, json_value value) {
    if (path.empty()) {
      root_ = std::move(value);
      return {};
    }
    auto parent_path = path.first(path.size() - 1);
    auto found = locate(root_, parent_path);
    if (!found)
      return std::move(found.error());
    auto& parent = **found;
    const auto& token = path.back();
    if (parent.is_object()) {
      // An existing member is replaced in place; a new one is appended.
      if (auto existing = member(parent, token))
        *existing = std::move(value);
      else
        parent.members.push_back({token, std::move(value)});
      return {};
    }
    if (!parent.is_array())
      return no_children(parent, parent_path);
    auto index = token == "-" ? parent.items.size() : array_index(token, parent_path);
    if (!index)
      return std::move(index.error());
    if (*index > parent.items.size())
      return conflict("index " + token + " is past the end of "
                      + location(parent_path) + " (size "
                      + std::to_string(parent.items.size()) + ")");
    parent.items.insert(parent.items.begin() + static_cast<ptrdiff_t>(*index),
                        std::move(value));
    return {};
  }

  /// Removes the value at `path` and answers it.
  caf::expected<json_value> take(tokens path) {
    if (path.empty())
      return conflict("cannot remove the whole document");
    auto parent_path = path.first(path.size() - 1);
    auto found = locate(root_, parent_path);
    if (!found)
      return std::move(found.error());
    auto& parent = **found;
    auto position = position_of(parent, parent_path, path.back());
    if (!position)
      return std::move(position.error());
    auto out = std::move(child_at(parent, *position));
    auto at = static_cast<ptrdiff_t>(*position);
    if (parent.is_array())
      parent.items.erase(parent.items.begin() + at);
    else
      parent.members.erase(parent.members.begin() + at);
    return out;
  }

  caf::error move(tokens from, tokens path) {
    if (std::ranges::equal(from, path)) {
      // Nothing moves, but the value must exist.
      auto found = locate(root_, from);
      return found ? caf::error{} : std::move(found.error());
    }
    if (from.size() < path.size() && std::ranges::equal(from, path.first(from.size())))
      return conflict("cannot move " + location(from) + " into itself");
    auto value = take(from);
    if (!value)
      return std::move(value.error());
    // A value moving up or across keeps within the depth it had.
    if (path.size() > from.size())
      if (auto err = fits(path, extent_of(*value).depth))
        return err;
    return add(path, std::move(*value));
  }

  caf::error copy(tokens from, tokens path) {
    auto source = locate(root_, from);
    if (!source)
      return std::move(source.error());
    auto extent = extent_of(**source);
    copied_ += extent.values;
    if (copied_ > max_copied_values)
      return conflict("the patch's copies would create more than "
                      + std::to_string(max_copied_values) + " values");
    if (auto err = fits(path, extent.depth))
      return err;
    return add(path, json_value{**source});
  }

  json_value& root_;
  size_t copied_ = 0;
};

// -- diffs --------------------------------------------------------------------

void write_operation(json_writer& out, std::string_view op, const std::string& path,
                     const json_value* value = nullptr) {
  out.StartObject();
  write_string(out, "op");
  write_string(out, op);
  write_string(out, "path");
  write_string(out, path);
  if (value) {
    write_string(out, "value");
    write_json(out, *value);
  }
  out.EndObject();
}

/// Runs `write` with `token` appended to the JSON Pointer `path`.
template <class Write>
void below(std::string& path, std::string_view token, Write write) {
  auto size = path.size();
  append_token(path, token);
  write();
  path.resize(size);
}

void diff(json_writer& out, const json_value& from, const json_value& to,
          std::string& path);

void diff_objects(json_writer& out, const json_value& from, const json_value& to,
                  std::string& path) {
  auto index = by_key(to.members);
  std::vector<bool> kept(to.members.size());
  for (const auto& [key, value] : from.members) {
    auto i = find_member(to.members, index, key);
    below(path, key, [&] {
      if (i == to.members.size()) {
        write_operation(out, "remove", path);
      } else {
        kept[i] = true;
        diff(out, value, to.members[i].value, path);
      }
    });
  }
  for (size_t i = 0; i < to.members.size(); ++i)
    if (!kept[i])
      below(path, to.members[i].key,
            [&] { write_operation(out, "add", path, &to.members[i].value); });
}

void diff_arrays(json_writer& out, const json_value& from, const json_value& to,
                 std::string& path) {
  auto common = std::min(from.items.size(), to.items.size());
  for (size_t i = 0; i < common; ++i)
    below(path, std::to_string(i),
          [&] { diff(out, from.items[i], to.items[i], path); });
  for (size_t i = common; i < to.items.size(); ++i)
    below(path, std::to_string(i),
          [&] { write_operation(out, "add", path, &to.items[i]); });
  // From the end, so that each index is still valid when its turn comes.
  for (auto i = from.items.size(); i-- > common;)
    below(path, std::to_string(i), [&] { write_operation(out, "remove", path); });
}

void diff(json_writer& out, const json_value& from, const json_value& to,
          std::string& path) {
  if (from.type == to.type && from.is_object())
    diff_objects(out, from, to, path);
  else if (from.type == to.type && from.is_array())
    diff_arrays(out, from, to, path);
  else if (!json_equals(from, to))
    write_operation(out, "replace", path, &to);
}

/// Writes an RFC 7396 merge patch that turns `from` into `to`.
void write_merge_diff(json_writer& out, const json_value& from, const json_value& to) {
  if (!from.is_object() || !to.is_object()) {
    write_json(out, to);
    return;
  }
  auto index = by_key(to.members);
  std::vector<bool> kept(to.members.size());
  out.StartObject();
  for (const auto& [key, value] : from.members) {
    auto i = find_member(to.members, index, key);
    if (i == to.members.size()) {
      write_string(out, key);
      out.Null();
      continue;
    }
    kept[i] = true;
    if (!json_equals(value, to.members[i].value)) {
      write_string(out, key);
      write_merge_diff(out, value, to.members[i].value);
    }
  }
  for (size_t i = 0; i < to.members.size(); ++i)
    if (!kept[i]) {
      write_string(out, to.members[i].key);
      write_json(out, to.members[i].value);
    }
  out.EndObject();
}

/// RFC 7396's MergePatch(target, patch), in place.
void merge(json_value& target, json_value&& patch) {
  if (!patch.is_object()) {
    target = std::move(patch);
    return;
  }
  if (!target.is_object())
    target = json_value{json_value::kind::object};
  auto& members = target.members;
  auto existing = members.size();
  auto index = by_key(members);
  std::vector<bool> gone(existing);
  for (auto& [key, value] : patch.members) {
    auto i = find_member(members, index, key);
    if (value.type == json_value::kind::null) {
      if (i < existing)
        gone[i] = true;
    } else if (i < existing) {
      merge(members[i].value, std::move(value));
    } else {
      // Patch members are distinct, so an appended key is never looked up.
      merge(members.emplace_back(json_member{std::move(key), {}}).value,
            std::move(value));
    }
  }
  gone.resize(members.size());
  erase_members(members, gone);
}

/// Parses two documents, for the functions that compare them.
caf::expected<std::pair<json_value, json_value>> parse_pair(std::string_view a,
                                                           std::string_view b,
                                                           std::string_view a_name,
                                                           std::string_view b_name) {
  auto x = parse_json(a, a_name, json_duplicates::last_wins);
  if (!x)
    return std::move(x.error());
  auto y = parse_json(b, b_name, json_duplicates::last_wins);
  if (!y)
    return std::move(y.error());
  return std::pair{std::move(*x), std::move(*y)};
}

} // namespace

caf::expected<std::string> json_diff(std::string_view from, std::string_view to) {
  auto values = parse_pair(from, to, "\"from\"", "\"to\"");
  if (!values)
    return std::move(values.error());
  return json_text([&](json_writer& out) {
    std::string path;
    out.StartArray();
    diff(out, values->first, values->second, path);
    out.EndArray();
  });
}

caf::expected<std::string> apply_json_patch(std::string_view document,
                                            std::string_view patch) {
  auto parsed = parse_json(patch, "the patch", json_duplicates::kept);
  if (!parsed)
    return std::move(parsed.error());
  auto ops = read_operations(*parsed);
  if (!ops)
    return std::move(ops.error());
  auto root = parse_json(document, "the document", json_duplicates::last_wins);
  if (!root)
    return std::move(root.error());
  patcher apply{*root};
  for (size_t i = 0; i < ops->size(); ++i) {
    auto& op = (*ops)[i];
    if (auto err = apply.apply(op))
      return make_error(error_code(err),
                        "operation " + std::to_string(i) + " ("
                          + std::string{op_names[static_cast<size_t>(op.kind)]}
                          + " " + std::string{op.path_text}
                          + "): " + error_message(err));
  }
  return to_json_text(*root);
}

caf::expected<std::string> apply_merge_patch(std::string_view document,
                                             std::string_view patch) {
  auto parsed = parse_json(patch, "the merge patch", json_duplicates::kept);
  if (!parsed)
    return std::move(parsed.error());
  if (auto key = duplicate_member(*parsed))
    return make_error(ec::invalid_argument,
                      "the merge patch has a duplicate member " + quoted(*key));
  auto root = parse_json(document, "the document", json_duplicates::last_wins);
  if (!root)
    return std::move(root.error());
  merge(*root, std::move(*parsed));
  return to_json_text(*root);
}

caf::expected<std::string> merge_diff(std::string_view from, std::string_view to) {
  auto values = parse_pair(from, to, "\"from\"", "\"to\"");
  if (!values)
    return std::move(values.error());
  return json_text(
    [&](json_writer& out) { write_merge_diff(out, values->first, values->second); });
}

caf::expected<bool> json_equal(std::string_view a, std::string_view b) {
  auto values = parse_pair(a, b, "the first value", "the second value");
  if (!values)
    return std::move(values.error());
  return json_equals(values->first, values->second);
}

} // namespace ecr
