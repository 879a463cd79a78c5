// The Avro codec against Apache Avro's Python implementation: golden files it
// wrote (tests/data/avro/make_golden.py) and, at test time, its decoding of
// what we encode (tests/data/avro/check_decode.py).

#include "messaging/avro.hpp"

#include "core/error.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <ostream>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace ecr::test {

namespace {

namespace fs = std::filesystem;

const fs::path& data_dir() {
  static const fs::path dir
    = fs::path{__FILE__}.parent_path().parent_path() / "data" / "avro";
  return dir;
}

const char* const python = "/usr/bin/python3";

// -- records by Avro name -----------------------------------------------------

template <class T>
struct codec {
  using record = T;

  /// Decodes with the limit set to exactly the payload size.
  static caf::expected<T> decode(std::string_view bytes) {
    return avro::decode<T>(bytes, bytes.size());
  }
};

using all_codecs = std::tuple<
  codec<avro::config_request>,
  codec<avro::config_response>,
  codec<avro::config_updated>,
  codec<avro::config_applied>,
  codec<avro::endpoint_registered_event>,
  codec<avro::endpoint_unregistered_event>,
  codec<avro::endpoint_app_version_updated_event>,
  codec<avro::broadcast_configuration_update_event>,
  codec<avro::service_specific_configuration_update_event>,
  codec<avro::endpoint_list_by_filter_request>,
  codec<avro::endpoint_list_by_filter_response>,
  codec<avro::tenant_unregistered_event>,
  codec<avro::tenant_updated_event>,
  codec<avro::system_config_updated>>;

template <class F>
void for_each_codec(F&& f) {
  std::apply([&](auto... c) { (f(c), ...); }, all_codecs{});
}

/// Calls `f` with the codec of the record named `avro_name`; false if none.
template <class F>
bool with_codec(std::string_view avro_name, F&& f) {
  auto found = false;
  for_each_codec([&](auto c) {
    if (decltype(c)::record::avro_name == avro_name) {
      found = true;
      f(c);
    }
  });
  return found;
}

// -- records as JSON (the form cases.json and check_decode.py use) ------------

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 0xf]);
  }
  return out;
}

void require(bool condition, const std::string& what) {
  if (!condition)
    throw std::runtime_error(what);
}

std::string unhex(std::string_view text) {
  require(text.size() % 2 == 0, "odd-length hex string");
  std::string out;
  for (size_t i = 0; i < text.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string{text.substr(i, 2)},
                                              nullptr, 16)));
  return out;
}

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

/// Compact JSON of one record, fields in schema order, bytes as hex.
class record_to_json {
public:
  explicit record_to_json(json_writer& out) : out_(out) {
  }

  template <class T>
  void operator()(std::string_view name, const T& x) {
    out_.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    put(x);
  }

private:
  void put(int64_t x) {
    out_.Int64(x);
  }

  void put(int32_t x) {
    out_.Int(x);
  }

  void put(const std::string& x) {
    out_.String(x.data(), static_cast<rapidjson::SizeType>(x.size()));
  }

  void put(const std::optional<std::string>& x) {
    if (x)
      put(*x);
    else
      out_.Null();
  }

  void put(avro::bytes_field<const std::string> x) {
    put(hex(x.value));
  }

  void put(avro::bytes_field<const std::optional<std::string>> x) {
    if (x.value)
      put(hex(*x.value));
    else
      out_.Null();
  }

  void put(const avro::string_lists& xs) {
    out_.StartObject();
    for (const auto& [key, values] : xs) {
      out_.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
      out_.StartArray();
      for (const auto& value : values)
        put(value);
      out_.EndArray();
    }
    out_.EndObject();
  }

  json_writer& out_;
};

template <class T>
std::string to_json(const T& record) {
  rapidjson::StringBuffer buffer;
  json_writer out{buffer};
  out.StartObject();
  record_to_json visitor{out};
  avro::fields(visitor, record);
  out.EndObject();
  return buffer.GetString();
}

/// Compact rendering of parsed JSON, comparable with `to_json`.
std::string render(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  json_writer out{buffer};
  value.Accept(out);
  return buffer.GetString();
}

/// Fills a record from a JSON object that holds exactly its fields.
class record_from_json {
public:
  explicit record_from_json(const rapidjson::Value& object) : object_(object) {
    require(object.IsObject(), "record is not a JSON object");
  }

  template <class T>
  void operator()(std::string_view name, T&& x) {
    auto member = object_.FindMember(std::string{name}.c_str());
    require(member != object_.MemberEnd(), "no field " + std::string{name});
    get(member->value, x);
    ++fields_;
  }

  void require_all_read() const {
    require(fields_ == object_.MemberCount(), "JSON has unknown fields");
  }

private:
  static void get(const rapidjson::Value& v, int64_t& x) {
    require(v.IsInt64(), "expected a long");
    x = v.GetInt64();
  }

  static void get(const rapidjson::Value& v, int32_t& x) {
    require(v.IsInt(), "expected an int");
    x = v.GetInt();
  }

  static void get(const rapidjson::Value& v, std::string& x) {
    require(v.IsString(), "expected a string");
    x.assign(v.GetString(), v.GetStringLength());
  }

  static void get(const rapidjson::Value& v, std::optional<std::string>& x) {
    if (v.IsNull())
      x.reset();
    else
      get(v, x.emplace());
  }

  static void get(const rapidjson::Value& v, avro::bytes_field<std::string> x) {
    get(v, x.value);
    x.value = unhex(x.value);
  }

  static void get(const rapidjson::Value& v,
                  avro::bytes_field<std::optional<std::string>> x) {
    if (v.IsNull())
      x.value.reset();
    else
      get(v, avro::as_bytes(x.value.emplace()));
  }

  static void get(const rapidjson::Value& v, avro::string_lists& xs) {
    require(v.IsObject(), "expected a map");
    for (const auto& entry : v.GetObject()) {
      require(entry.value.IsArray(), "expected an array");
      auto& values = xs[entry.name.GetString()];
      for (const auto& item : entry.value.GetArray())
        get(item, values.emplace_back());
    }
  }

  const rapidjson::Value& object_;
  rapidjson::SizeType fields_ = 0;
};

template <class T>
T from_json(const rapidjson::Value& object) {
  T record;
  record_from_json visitor{object};
  avro::fields(visitor, record);
  visitor.require_all_read();
  return record;
}

rapidjson::Document parse_json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  require(!doc.HasParseError(), "malformed JSON: " + text.substr(0, 200));
  return doc;
}

void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream out{path, std::ios::binary};
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  require(out.good(), "cannot write " + path);
}

// -- golden files -------------------------------------------------------------

struct golden_case {
  std::string file;
  std::string avro_name;
  /// Into `cases_json()`, which lives for the whole run.
  const rapidjson::Value* values;
};

const rapidjson::Document& cases_json() {
  static const auto doc = [] {
    auto path = (data_dir() / "cases.json").string();
    auto text = read_file(path);
    require(!text.empty(), "missing " + path + " (see make_golden.py)");
    return parse_json(text);
  }();
  return doc;
}

std::vector<golden_case> golden_cases() {
  std::vector<golden_case> result;
  for (const auto& entry : cases_json().GetArray())
    result.push_back({entry["file"].GetString(), entry["schema"].GetString(),
                      &entry["values"]});
  return result;
}

// Names the case in test listings (the default would dump its bytes).
void PrintTo(const golden_case& c, std::ostream* out) {
  *out << c.file;
}

std::string test_name(const testing::TestParamInfo<golden_case>& info) {
  auto name = fs::path{info.param.file}.stem().string();
  for (auto& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return name;
}

class messaging_avro_golden : public testing::TestWithParam<golden_case> {
protected:
  std::string golden_bytes() const {
    auto bytes = read_file((data_dir() / GetParam().file).string());
    require(!bytes.empty(), "missing golden file " + GetParam().file);
    return bytes;
  }

  /// Runs `f(codec, bytes)` for this case's record type.
  template <class F>
  void run(F&& f) const {
    auto bytes = golden_bytes();
    auto known = with_codec(GetParam().avro_name, [&](auto c) { f(c, bytes); });
    EXPECT_TRUE(known) << "no codec for " << GetParam().avro_name;
  }
};

TEST_P(messaging_avro_golden, decodes_every_field) {
  run([&](auto c, const std::string& bytes) {
    auto decoded = c.decode(bytes);
    ASSERT_TRUE(decoded) << error_message(decoded.error());
    EXPECT_EQ(to_json(*decoded), render(*GetParam().values));
  });
}

TEST_P(messaging_avro_golden, encodes_byte_for_byte) {
  run([&](auto c, const std::string& bytes) {
    using record = typename decltype(c)::record;
    auto values = from_json<record>(*GetParam().values);
    EXPECT_EQ(hex(avro::encode(values)), hex(bytes));
  });
}

// Avro binary is self-delimiting, so no proper prefix of a record is one.
TEST_P(messaging_avro_golden, rejects_every_truncation) {
  run([&](auto c, const std::string& bytes) {
    for (size_t n = 0; n < bytes.size(); ++n) {
      auto decoded = c.decode(std::string_view{bytes}.substr(0, n));
      ASSERT_FALSE(decoded) << "prefix of " << n << " bytes decoded";
      EXPECT_EQ(error_code(decoded.error()), ec::invalid_argument);
    }
  });
}

TEST_P(messaging_avro_golden, rejects_a_trailing_byte) {
  run([&](auto c, const std::string& bytes) {
    auto decoded = c.decode(bytes + '\0');
    ASSERT_FALSE(decoded);
    EXPECT_NE(error_message(decoded.error()).find("1 trailing byte after the record"),
              std::string::npos)
      << error_message(decoded.error());
  });
}

// Random byte changes must never crash or over-read (run under the
// sanitizers); whatever still decodes must survive re-encoding unchanged.
TEST_P(messaging_avro_golden, survives_random_corruption) {
  run([&](auto c, const std::string& bytes) {
    std::mt19937_64 rng{std::hash<std::string>{}(GetParam().file)};
    for (int round = 0; round < 200; ++round) {
      auto mutated = bytes;
      for (auto n = 1 + rng() % 3; n > 0; --n)
        mutated[rng() % mutated.size()] = static_cast<char>(rng());
      auto decoded = c.decode(mutated);
      if (!decoded) {
        EXPECT_EQ(error_code(decoded.error()), ec::invalid_argument);
        continue;
      }
      auto again = c.decode(avro::encode(*decoded));
      ASSERT_TRUE(again) << error_message(again.error());
      EXPECT_EQ(to_json(*again), to_json(*decoded));
    }
  });
}

INSTANTIATE_TEST_SUITE_P(cases, messaging_avro_golden,
                         testing::ValuesIn(golden_cases()), test_name);

TEST(messaging_avro_golden_files, cover_every_record_and_file) {
  std::map<std::string, int> cases_per_record;
  std::set<std::string> listed;
  for (const auto& c : golden_cases()) {
    ++cases_per_record[c.avro_name];
    listed.insert(c.file);
  }
  for_each_codec([&](auto c) {
    auto name = std::string{decltype(c)::record::avro_name};
    EXPECT_GE(cases_per_record[name], 4) << name;
  });
  EXPECT_EQ(cases_per_record.size(), std::tuple_size_v<all_codecs>);
  for (const auto& entry : fs::directory_iterator{data_dir()}) {
    if (entry.path().extension() == ".bin") {
      EXPECT_TRUE(listed.count(entry.path().filename().string()))
        << entry.path() << " is not in cases.json";
    }
  }
}

// -- Apache Avro decodes what we encode ---------------------------------------

/// Fills every field with values drawn from `rng`: both signs and all
/// magnitudes of numbers, multi-byte and escaped characters, any bytes.
class randomizer {
public:
  explicit randomizer(std::mt19937_64& rng) : rng_(rng) {
  }

  template <class T>
  void operator()(std::string_view, T&& x) {
    fill(x);
  }

private:
  size_t below(size_t n) {
    return static_cast<size_t>(rng_() % n);
  }

  void fill(int64_t& x) {
    x = static_cast<int64_t>(rng_()) >> below(64);
  }

  void fill(int32_t& x) {
    x = static_cast<int32_t>(static_cast<uint32_t>(rng_())) >> below(32);
  }

  void fill(std::string& x) {
    static const char* const pieces[]
      = {"a", "Z", "7", " ", "-", "\"", "\\", "\n", "ü", "конфиг", "設定", "📡"};
    x.clear();
    for (auto n = below(40); n > 0; --n)
      x += pieces[below(std::size(pieces))];
  }

  void fill(avro::bytes_field<std::string> x) {
    x.value.resize(below(300));
    for (auto& c : x.value)
      c = static_cast<char>(rng_());
  }

  void fill(std::optional<std::string>& x) {
    if (below(3) == 0)
      x.reset();
    else
      fill(x.emplace());
  }

  void fill(avro::bytes_field<std::optional<std::string>> x) {
    if (below(3) == 0)
      x.value.reset();
    else
      fill(avro::as_bytes(x.value.emplace()));
  }

  void fill(avro::string_lists& xs) {
    xs.clear();
    for (auto n = below(6); n > 0; --n) {
      std::string key;
      fill(key);
      auto& values = xs[key];
      values.resize(below(5));
      for (auto& value : values)
        fill(value);
    }
  }

  std::mt19937_64& rng_;
};

TEST(messaging_avro_python, reference_decoder_reads_what_we_encode) {
  ASSERT_TRUE(fs::exists(python))
    << python << " not found: this test needs Debian's python3 with "
    << "python3-avro (scripts/install-deps.sh installs both)";
  temp_dir dir;
  auto out_json = dir.file("decoded.json");
  std::vector<std::string> argv{python,
                                (data_dir() / "check_decode.py").string(),
                                (data_dir() / "schemas").string(), out_json};
  std::vector<std::string> expected;
  std::mt19937_64 rng{20240611};
  for (int round = 0; round < 8; ++round) {
    for_each_codec([&](auto c) {
      typename decltype(c)::record x;
      randomizer fill{rng};
      avro::fields(fill, x);
      auto bytes = avro::encode(x);
      // Our own decoder must agree as well.
      auto back = c.decode(bytes);
      ASSERT_TRUE(back) << error_message(back.error());
      EXPECT_EQ(to_json(*back), to_json(x));
      auto path = dir.file(std::to_string(argv.size()) + ".bin");
      write_file(path, bytes);
      argv.push_back(std::string{decltype(c)::record::avro_name} + "=" + path);
      expected.push_back(to_json(x));
    });
  }
  process checker{{argv, {}, dir.file("python.log")}};
  auto status = checker.wait_exit(std::chrono::minutes{2});
  ASSERT_TRUE(status) << "check_decode.py did not finish";
  ASSERT_TRUE(status->exited_with(0))
    << "check_decode.py failed (" << status->describe() << "):\n"
    << checker.log();
  auto decoded = parse_json(read_file(out_json));
  ASSERT_TRUE(decoded.IsArray());
  ASSERT_EQ(decoded.Size(), expected.size());
  for (rapidjson::SizeType i = 0; i < decoded.Size(); ++i)
    EXPECT_EQ(render(decoded[i]), expected[i]) << "record #" << i;
}

} // namespace

} // namespace ecr::test
