#include "core/json_value.hpp"

#include "core/error.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <numeric>

namespace ecr {

namespace {

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

/// Whether `text` is exactly one JSON number (RFC 8259's grammar).
bool is_json_number(std::string_view text) noexcept {
  size_t i = 0;
  auto digits = [&] {
    auto start = i;
    while (i < text.size() && is_digit(text[i]))
      ++i;
    return i > start;
  };
  auto consume = [&](std::string_view any_of) {
    if (i < text.size() && any_of.find(text[i]) != std::string_view::npos) {
      ++i;
      return true;
    }
    return false;
  };
  consume("-");
  if (!consume("0") && !digits())
    return false;
  if (consume(".") && !digits())
    return false;
  if (consume("eE")) {
    consume("+-");
    if (!digits())
      return false;
  }
  return i == text.size();
}

/// The input as RapidJSON's reader sees it, every number shown as `0`.
/// RapidJSON 1.1 refuses numbers beyond a double's range (`1e400`) even
/// when asked for their text, so this stream recognises numbers itself and
/// keeps their spelling for the handler. A span that is not a valid number
/// passes unchanged for the reader to refuse.
class number_masking_stream {
public:
  using Ch = char;

  explicit number_masking_stream(std::string_view text) : text_(text) {
    find_number();
  }

  Ch Peek() const {
    if (number_length_ > 0)
      return '0';
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }

  Ch Take() {
    auto c = Peek();
    if (number_length_ > 0) {
      number_ = text_.substr(pos_, number_length_);
      pos_ += number_length_;
    } else if (pos_ < text_.size()) {
      follow_strings(text_[pos_++]);
    }
    find_number();
    return c;
  }

  size_t Tell() const {
    return pos_;
  }

  /// The spelling of the number taken last.
  std::string_view number() const {
    return number_;
  }

  // RapidJSON's stream concept asks for these; its reader calls them only
  // when parsing in situ, which this stream is not for.
  Ch* PutBegin() {
    return nullptr;
  }
  void Put(Ch) {}
  size_t PutEnd(Ch*) {
    return 0;
  }

private:
  /// Digits inside strings are text, so the stream tracks strings as the
  /// reader does: up to the first quote not escaped by a backslash.
  void follow_strings(char c) {
    if (!in_string_)
      in_string_ = c == '"';
    else if (escaped_)
      escaped_ = false;
    else if (c == '\\')
      escaped_ = true;
    else if (c == '"')
      in_string_ = false;
  }

  /// Looks for a number starting where the stream is, but not within a
  /// span passed unchanged: "--1" must not be read as "-" "-1".
  void find_number() {
    constexpr std::string_view number_chars = "0123456789+-.eE";
    number_length_ = 0;
    if (in_string_ || pos_ == text_.size()
        || !(is_digit(text_[pos_]) || text_[pos_] == '-')
        || (pos_ > 0 && number_chars.find(text_[pos_ - 1]) != std::string_view::npos))
      return;
    auto end = text_.find_first_not_of(number_chars, pos_);
    auto span = text_.substr(pos_, end == std::string_view::npos ? end : end - pos_);
    if (is_json_number(span))
      number_length_ = span.size();
  }

  std::string_view text_;
  size_t pos_ = 0;
  size_t number_length_ = 0;
  std::string_view number_;
  bool in_string_ = false;
  bool escaped_ = false;
};

/// Builds a `json_value` from the reader's events.
class dom_builder
  : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, dom_builder> {
public:
  dom_builder(const number_masking_stream& in, json_duplicates duplicates)
    : in_(in), duplicates_(duplicates) {
  }

  bool Null() {
    place({});
    return true;
  }

  bool Bool(bool truth) {
    place(json_value{json_value::kind::boolean}).truth = truth;
    return true;
  }

  bool RawNumber(const char*, rapidjson::SizeType, bool) {
    place(json_value{json_value::kind::number, std::string{in_.number()}});
    return true;
  }

  bool String(const char* text, rapidjson::SizeType length, bool) {
    place(json_value{json_value::kind::string, std::string{text, length}});
    return true;
  }

  bool Key(const char* text, rapidjson::SizeType length, bool) {
    key_.assign(text, length);
    return true;
  }

  bool StartObject() {
    return open(json_value::kind::object);
  }

  bool EndObject(rapidjson::SizeType) {
    if (duplicates_ == json_duplicates::last_wins)
      keep_last(open_.back()->members);
    open_.pop_back();
    return true;
  }

  bool StartArray() {
    return open(json_value::kind::array);
  }

  bool EndArray(rapidjson::SizeType) {
    open_.pop_back();
    return true;
  }

  /// Whether the builder stopped the reader: nesting too deep.
  bool too_deep() const {
    return too_deep_;
  }

  json_value& root() {
    return root_;
  }

private:
  /// Adds `value` where the reader is; answers it in place. An open
  /// container is the last child of its own parent, so pointers to the
  /// open ones stay valid while their children are added.
  json_value& place(json_value value) {
    if (open_.empty())
      return root_ = std::move(value);
    auto& parent = *open_.back();
    if (parent.is_array())
      return parent.items.emplace_back(std::move(value));
    parent.members.push_back({std::move(key_), std::move(value)});
    return parent.members.back().value;
  }

  bool open(json_value::kind type) {
    if (open_.size() == json_max_depth) {
      too_deep_ = true;
      return false;
    }
    open_.push_back(&place(json_value{type}));
    return true;
  }

  /// Folds repeated members into the first one's position, with the last
  /// one's value.
  static void keep_last(std::vector<json_member>& members) {
    if (members.size() < 2)
      return;
    auto index = by_key(members);
    std::vector<bool> gone(members.size());
    auto first = index[0];
    for (size_t i = 1; i < index.size(); ++i) {
      if (members[index[i]].key != members[first].key) {
        first = index[i];
        continue;
      }
      members[first].value = std::move(members[index[i]].value);
      gone[index[i]] = true;
    }
    erase_members(members, gone);
  }

  const number_masking_stream& in_;
  json_duplicates duplicates_;
  json_value root_;
  std::vector<json_value*> open_;
  std::string key_;
  bool too_deep_ = false;
};

/// RapidJSON's message as part of a sentence: "Invalid value." -> "invalid
/// value".
std::string reader_message(rapidjson::ParseErrorCode code) {
  std::string text = rapidjson::GetParseError_En(code);
  if (!text.empty() && text.back() == '.')
    text.pop_back();
  if (!text.empty())
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

/// A number as ±0.DIGITS × 10^exponent, DIGITS without leading or trailing
/// zeros (none for zero, whatever its sign).
struct decimal {
  bool negative = false;
  std::string digits;
  int64_t exponent = 0;
  /// The exponent has more digits than an int64_t holds safely.
  bool huge = false;
};

decimal normalised(std::string_view number) {
  decimal out;
  size_t i = 0;
  out.negative = number[i] == '-';
  i += out.negative ? 1 : 0;
  int64_t point = 0;
  for (; i < number.size() && is_digit(number[i]); ++i, ++point)
    out.digits.push_back(number[i]);
  if (i < number.size() && number[i] == '.')
    for (++i; i < number.size() && is_digit(number[i]); ++i)
      out.digits.push_back(number[i]);
  int64_t exponent = 0;
  if (i < number.size()) { // at 'e' or 'E'
    bool minus = number[++i] == '-';
    i += number[i] == '-' || number[i] == '+' ? 1 : 0;
    for (; i < number.size(); ++i) {
      out.huge = out.huge || exponent > 100'000'000'000'000'000;
      exponent = out.huge ? exponent : exponent * 10 + (number[i] - '0');
    }
    exponent = minus ? -exponent : exponent;
  }
  auto leading = std::min(out.digits.find_first_not_of('0'), out.digits.size());
  out.digits.erase(0, leading);
  point -= static_cast<int64_t>(leading);
  out.digits.erase(out.digits.find_last_not_of('0') + 1);
  out.exponent = point + exponent;
  return out;
}

} // namespace

void write_json(json_writer& out, const json_value& value) {
  switch (value.type) {
    case json_value::kind::null:
      out.Null();
      break;
    case json_value::kind::boolean:
      out.Bool(value.truth);
      break;
    case json_value::kind::number:
      out.RawValue(value.text.data(), value.text.size(), rapidjson::kNumberType);
      break;
    case json_value::kind::string:
      write_string(out, value.text);
      break;
    case json_value::kind::array:
      out.StartArray();
      for (const auto& item : value.items)
        write_json(out, item);
      out.EndArray();
      break;
    case json_value::kind::object:
      out.StartObject();
      for (const auto& [key, member] : value.members) {
        write_string(out, key);
        write_json(out, member);
      }
      out.EndObject();
      break;
  }
}

caf::expected<json_value> parse_json(std::string_view text, std::string_view what,
                                     json_duplicates duplicates) {
  constexpr unsigned flags = rapidjson::kParseNumbersAsStringsFlag
                             | rapidjson::kParseValidateEncodingFlag
                             | rapidjson::kParseIterativeFlag;
  number_masking_stream in{text};
  dom_builder builder{in, duplicates};
  rapidjson::Reader reader;
  auto result = reader.Parse<flags>(in, builder);
  auto prefix = std::string{what};
  if (builder.too_deep())
    return make_error(ec::invalid_argument,
                      prefix + " is nested deeper than "
                        + std::to_string(json_max_depth) + " levels");
  if (result.IsError())
    return make_error(ec::invalid_argument,
                      prefix + " is not JSON: " + reader_message(result.Code())
                        + " (at offset " + std::to_string(result.Offset()) + ")");
  // The reader takes a NUL byte for the end of the text.
  if (in.Tell() != text.size())
    return make_error(ec::invalid_argument,
                      prefix + " is not JSON: a NUL byte (at offset "
                        + std::to_string(in.Tell()) + ")");
  return std::move(builder.root());
}

std::string to_json_text(const json_value& value) {
  return json_text([&](json_writer& out) { write_json(out, value); });
}

bool same_number(std::string_view a, std::string_view b) {
  if (a == b)
    return true;
  auto x = normalised(a);
  auto y = normalised(b);
  if (x.digits.empty() || y.digits.empty())
    return x.digits.empty() && y.digits.empty();
  return !x.huge && !y.huge && x.negative == y.negative && x.digits == y.digits
         && x.exponent == y.exponent;
}

bool json_equals(const json_value& a, const json_value& b) {
  if (a.type != b.type)
    return false;
  switch (a.type) {
    case json_value::kind::null:
      return true;
    case json_value::kind::boolean:
      return a.truth == b.truth;
    case json_value::kind::number:
      return same_number(a.text, b.text);
    case json_value::kind::string:
      return a.text == b.text;
    case json_value::kind::array:
      return std::equal(a.items.begin(), a.items.end(), b.items.begin(),
                        b.items.end(), json_equals);
    case json_value::kind::object: {
      if (a.members.size() != b.members.size())
        return false;
      auto index = by_key(b.members);
      return std::all_of(a.members.begin(), a.members.end(), [&](const auto& m) {
        auto i = find_member(b.members, index, m.key);
        return i < b.members.size() && json_equals(m.value, b.members[i].value);
      });
    }
  }
  return false;
}

json_extent extent_of(const json_value& value) {
  json_extent out{1, 0};
  auto add = [&](const json_value& child) {
    auto inner = extent_of(child);
    out.values += inner.values;
    out.depth = std::max(out.depth, inner.depth + 1);
  };
  if (value.is_array() || value.is_object())
    out.depth = 1;
  for (const auto& item : value.items)
    add(item);
  for (const auto& member : value.members)
    add(member.value);
  return out;
}

std::vector<size_t> by_key(const std::vector<json_member>& members) {
  std::vector<size_t> index(members.size());
  std::iota(index.begin(), index.end(), size_t{0});
  std::sort(index.begin(), index.end(), [&](size_t x, size_t y) {
    auto order = members[x].key.compare(members[y].key);
    return order != 0 ? order < 0 : x < y;
  });
  return index;
}

size_t find_member(const std::vector<json_member>& members,
                   const std::vector<size_t>& index, std::string_view key) {
  auto i = std::lower_bound(index.begin(), index.end(), key,
                            [&](size_t at, std::string_view wanted) {
                              return members[at].key < wanted;
                            });
  return i != index.end() && members[*i].key == key ? *i : members.size();
}

const std::string* duplicate_member(const json_value& value) {
  auto index = by_key(value.members);
  for (size_t i = 1; i < index.size(); ++i)
    if (value.members[index[i]].key == value.members[index[i - 1]].key)
      return &value.members[index[i]].key;
  for (const auto& item : value.items)
    if (auto key = duplicate_member(item))
      return key;
  for (const auto& member : value.members)
    if (auto key = duplicate_member(member.value))
      return key;
  return nullptr;
}

void erase_members(std::vector<json_member>& members, const std::vector<bool>& gone) {
  size_t kept = 0;
  for (size_t i = 0; i < members.size(); ++i)
    if (!gone[i]) {
      if (kept != i)
        members[kept] = std::move(members[i]);
      ++kept;
    }
  members.resize(kept);
}

} // namespace ecr
