#include "messaging/avro.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <limits>

namespace ecr::avro {

namespace {

/// Strict UTF-8, as Apache Avro's readers decode strings: no overlong forms,
/// no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view s) noexcept {
  size_t i = 0;
  while (i < s.size()) {
    auto lead = static_cast<uint8_t>(s[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t continuations;
    uint32_t code_point;
    uint32_t smallest;
    if ((lead & 0xe0) == 0xc0) {
      continuations = 1, code_point = lead & 0x1f, smallest = 0x80;
    } else if ((lead & 0xf0) == 0xe0) {
      continuations = 2, code_point = lead & 0x0f, smallest = 0x800;
    } else if ((lead & 0xf8) == 0xf0) {
      continuations = 3, code_point = lead & 0x07, smallest = 0x10000;
    } else {
      return false;
    }
    if (s.size() - i <= continuations)
      return false;
    for (size_t k = 1; k <= continuations; ++k) {
      auto byte = static_cast<uint8_t>(s[i + k]);
      if ((byte & 0xc0) != 0x80)
        return false;
      code_point = (code_point << 6) | (byte & 0x3f);
    }
    if (code_point < smallest || code_point > 0x10ffff
        || (code_point >= 0xd800 && code_point <= 0xdfff))
      return false;
    i += continuations + 1;
  }
  return true;
}

class writer {
public:
  template <class T>
  void operator()(std::string_view, const T& x) {
    put(x);
  }

  std::string take() {
    return std::move(out_);
  }

private:
  void put(int64_t x) {
    auto zigzag = (static_cast<uint64_t>(x) << 1) ^ static_cast<uint64_t>(x >> 63);
    for (; zigzag >= 0x80; zigzag >>= 7)
      out_.push_back(static_cast<char>(zigzag | 0x80));
    out_.push_back(static_cast<char>(zigzag));
  }

  void put(int32_t x) {
    put(int64_t{x});
  }

  void put(const std::string& x) {
    put(static_cast<int64_t>(x.size()));
    out_ += x;
  }

  void put(const std::optional<std::string>& x) {
    put(int64_t{x ? 1 : 0});
    if (x)
      put(*x);
  }

  template <class T>
  void put(bytes_field<T> x) {
    put(x.value);
  }

  // One block holding every item, then the empty block that ends the
  // sequence: what Apache Avro's writers emit.
  template <class Container, class PutItem>
  void put_blocks(const Container& items, PutItem put_item) {
    if (!items.empty()) {
      put(static_cast<int64_t>(items.size()));
      for (const auto& item : items)
        put_item(item);
    }
    put(int64_t{0});
  }

  void put(const std::vector<std::string>& xs) {
    put_blocks(xs, [this](const std::string& x) { put(x); });
  }

  void put(const string_lists& xs) {
    put_blocks(xs, [this](const auto& entry) {
      put(entry.first);
      put(entry.second);
    });
  }

  std::string out_;
};

/// Reads fields in order; the first problem stops all further reading.
class reader {
public:
  explicit reader(std::string_view in) : in_(in) {
  }

  template <class T>
  void operator()(std::string_view field, T&& x) {
    if (problem_.empty() && !read(x))
      field_ = field;
  }

  caf::error finish(std::string_view record) {
    if (problem_.empty() && remaining() > 0)
      problem_ = fmt::format("{} trailing byte{} after the record", remaining(),
                             remaining() == 1 ? "" : "s");
    if (problem_.empty())
      return {};
    auto where = field_.empty() ? std::string{}
                                : fmt::format(" field '{}'", field_);
    return make_error(ec::invalid_argument,
                      fmt::format("invalid Avro {}{}: {}", record, where,
                                  problem_));
  }

private:
  size_t remaining() const noexcept {
    return in_.size() - pos_;
  }

  bool fail(std::string problem) {
    problem_ = std::move(problem);
    return false;
  }

  bool read(int64_t& x) {
    uint64_t zigzag = 0;
    for (int shift = 0;; shift += 7) {
      if (remaining() == 0)
        return fail("truncated input");
      auto byte = static_cast<uint8_t>(in_[pos_++]);
      // The 10th byte carries bit 63 only.
      if (shift == 63 && (byte & 0x80) != 0)
        return fail("varint longer than 10 bytes");
      if (shift == 63 && byte > 1)
        return fail("varint overflows 64 bits");
      zigzag |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0)
        break;
    }
    x = static_cast<int64_t>(zigzag >> 1) ^ -static_cast<int64_t>(zigzag & 1);
    return true;
  }

  bool read(int32_t& x) {
    int64_t value = 0;
    if (!read(value))
      return false;
    if (value < std::numeric_limits<int32_t>::min()
        || value > std::numeric_limits<int32_t>::max())
      return fail(fmt::format("int value {} is out of 32-bit range", value));
    x = static_cast<int32_t>(value);
    return true;
  }

  /// A length or byte size that the remaining input can hold: checked before
  /// anything is allocated for it.
  bool read_size(size_t& n, std::string_view what) {
    int64_t value = 0;
    if (!read(value))
      return false;
    if (value < 0)
      return fail(fmt::format("negative {} {}", what, value));
    if (static_cast<uint64_t>(value) > remaining())
      return fail(fmt::format("{} {} exceeds the remaining {} bytes", what,
                              value, remaining()));
    n = static_cast<size_t>(value);
    return true;
  }

  bool read(bytes_field<std::string> x) {
    size_t n = 0;
    if (!read_size(n, "length"))
      return false;
    x.value.assign(in_.substr(pos_, n));
    pos_ += n;
    return true;
  }

  bool read(std::string& x) {
    if (!read(as_bytes(x)))
      return false;
    return valid_utf8(x) || fail("string is not valid UTF-8");
  }

  template <class ReadValue>
  bool read_nullable(std::optional<std::string>& x, ReadValue read_value) {
    int64_t branch = 0;
    if (!read(branch))
      return false;
    if (branch == 0) {
      x.reset();
      return true;
    }
    if (branch != 1)
      return fail(fmt::format(
        "union branch index {} is neither 0 (null) nor 1 (value)", branch));
    return read_value(x.emplace());
  }

  bool read(std::optional<std::string>& x) {
    return read_nullable(x, [this](std::string& s) { return read(s); });
  }

  bool read(bytes_field<std::optional<std::string>> x) {
    return read_nullable(x.value,
                         [this](std::string& s) { return read(as_bytes(s)); });
  }

  /// Map and array blocks. A negative count announces the block's byte size,
  /// which must then match the items. Every item takes at least one byte, so
  /// a count beyond the remaining bytes is rejected before reading items.
  template <class ReadItem>
  bool read_blocks(ReadItem read_item) {
    for (;;) {
      int64_t count = 0;
      if (!read(count))
        return false;
      if (count == 0)
        return true;
      std::optional<size_t> byte_size;
      if (count < 0) {
        if (count == std::numeric_limits<int64_t>::min())
          return fail(fmt::format("block count {} is out of range", count));
        count = -count;
        if (!read_size(byte_size.emplace(), "block byte size"))
          return false;
      }
      if (static_cast<uint64_t>(count) > remaining())
        return fail(fmt::format("block count {} exceeds the remaining {} bytes",
                                count, remaining()));
      auto start = pos_;
      for (int64_t i = 0; i < count; ++i)
        if (!read_item())
          return false;
      if (byte_size && pos_ - start != *byte_size)
        return fail(fmt::format("block byte size {} does not match its {} "
                                "bytes of items",
                                *byte_size, pos_ - start));
    }
  }

  bool read(std::vector<std::string>& xs) {
    return read_blocks([&] { return read(xs.emplace_back()); });
  }

  bool read(string_lists& xs) {
    return read_blocks([&] {
      std::string key;
      std::vector<std::string> values;
      if (!read(key) || !read(values))
        return false;
      // A repeated key replaces the earlier entry, as in Apache Avro's readers.
      xs.insert_or_assign(std::move(key), std::move(values));
      return true;
    });
  }

  std::string_view in_;
  size_t pos_ = 0;
  std::string_view field_;
  std::string problem_;
};

template <class T>
std::string encode_record(const T& x) {
  writer w;
  fields(w, x);
  return w.take();
}

template <class T>
caf::expected<T> decode_record(std::string_view bytes,
                               size_t max_payload_bytes) {
  if (bytes.size() > max_payload_bytes)
    return make_error(ec::invalid_argument,
                      fmt::format("invalid Avro {}: payload of {} bytes "
                                  "exceeds the limit of {} bytes",
                                  T::avro_name, bytes.size(),
                                  max_payload_bytes));
  T result;
  reader r{bytes};
  fields(r, result);
  if (auto err = r.finish(T::avro_name))
    return err;
  return result;
}

} // namespace

template <class T>
std::string encode(const T& x) {
  return encode_record(x);
}

template <class T>
caf::expected<T> decode(std::string_view bytes, size_t max_payload_bytes) {
  return decode_record<T>(bytes, max_payload_bytes);
}

#define ECR_AVRO_INSTANTIATE(record)                                           \
  template std::string encode<record>(const record&);                          \
  template caf::expected<record> decode<record>(std::string_view, size_t);

ECR_AVRO_INSTANTIATE(config_request)
ECR_AVRO_INSTANTIATE(config_response)
ECR_AVRO_INSTANTIATE(config_updated)
ECR_AVRO_INSTANTIATE(config_applied)
ECR_AVRO_INSTANTIATE(endpoint_registered_event)
ECR_AVRO_INSTANTIATE(endpoint_unregistered_event)
ECR_AVRO_INSTANTIATE(endpoint_app_version_updated_event)
ECR_AVRO_INSTANTIATE(broadcast_configuration_update_event)
ECR_AVRO_INSTANTIATE(service_specific_configuration_update_event)
ECR_AVRO_INSTANTIATE(endpoint_list_by_filter_request)
ECR_AVRO_INSTANTIATE(endpoint_list_by_filter_response)
ECR_AVRO_INSTANTIATE(tenant_unregistered_event)
ECR_AVRO_INSTANTIATE(tenant_updated_event)
ECR_AVRO_INSTANTIATE(system_config_updated)

#undef ECR_AVRO_INSTANTIATE

} // namespace ecr::avro
