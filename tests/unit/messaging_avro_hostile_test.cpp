// The Avro decoders against hand-built hostile payloads: every malformation
// is an `invalid_argument` error naming the field and the reason, and lengths
// or counts that the payload cannot back never cause a large allocation.

#include "messaging/avro.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>

namespace {

std::atomic<bool> probe_active{false};
std::atomic<size_t> probe_largest{0};

} // namespace

// Replaced for this test binary so that a test can see the largest single
// allocation a decode makes (see `largest_allocation`). GCC flags free() on
// memory from operator new, not knowing that this operator new is malloc.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t size) {
  if (probe_active.load(std::memory_order_relaxed)) {
    auto seen = probe_largest.load(std::memory_order_relaxed);
    while (size > seen && !probe_largest.compare_exchange_weak(seen, size)) {
    }
  }
  if (auto* p = std::malloc(size == 0 ? 1 : size))
    return p;
  throw std::bad_alloc{};
}

void operator delete(void* p) noexcept {
  std::free(p);
}

void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

#pragma GCC diagnostic pop

namespace ecr::test {

namespace {

/// Bytes of the largest single `operator new` while `f` runs.
template <class F>
size_t largest_allocation(F&& f) {
  probe_largest = 0;
  probe_active = true;
  f();
  probe_active = false;
  return probe_largest;
}

/// Far above anything these payloads justify, far below what the hostile
/// lengths and counts claim.
constexpr size_t small_allocation = 4096;

/// Generous, so that the limit is never what rejects a payload here.
constexpr size_t max_payload = 1 << 20;

// Wire pieces, written independently of the codec under test.

std::string varint(int64_t x) {
  auto zigzag = (static_cast<uint64_t>(x) << 1) ^ (x < 0 ? ~uint64_t{0} : 0);
  std::string out;
  do {
    auto low = static_cast<char>(zigzag & 0x7f);
    zigzag >>= 7;
    out.push_back(zigzag != 0 ? static_cast<char>(low | 0x80) : low);
  } while (zigzag != 0);
  return out;
}

std::string str(std::string_view s) {
  return varint(static_cast<int64_t>(s.size())) + std::string{s};
}

const std::string null_branch = varint(0);
const std::string value_branch = varint(1);

/// ConfigRequest up to, not including, its nullable configId and configName.
std::string request_head(std::string_view correlation_id = "corr") {
  return str(correlation_id) + varint(1489750202643) + varint(0) + str("v1")
         + str("ep-1");
}

caf::expected<avro::config_request> decode_request(std::string_view bytes) {
  return avro::decode<avro::config_request>(bytes, max_payload);
}

/// EndpointListByFilterResponse around its appVersionsToEndpoints map.
std::string efmp_response(std::string_view map) {
  return str("corr") + varint(1) + varint(0) + str("filter-1")
         + std::string{map} + varint(200) + null_branch;
}

caf::expected<avro::endpoint_list_by_filter_response>
decode_efmp_response(std::string_view bytes) {
  return avro::decode<avro::endpoint_list_by_filter_response>(bytes, max_payload);
}

template <class T>
void expect_rejected(const caf::expected<T>& result, std::string_view reason) {
  ASSERT_FALSE(result) << "a hostile payload decoded";
  EXPECT_EQ(error_code(result.error()), ec::invalid_argument);
  auto message = error_message(result.error());
  EXPECT_NE(message.find(reason), std::string::npos) << message;
}

TEST(messaging_avro_hostile, allocation_probe_sees_large_allocations) {
  // A direct call, which the compiler may not elide as it may a new-expression.
  auto largest = largest_allocation(
    [] { ::operator delete(::operator new(size_t{1} << 20)); });
  EXPECT_GE(largest, size_t{1} << 20);
}

TEST(messaging_avro_hostile, hand_built_baseline_decodes) {
  auto decoded = decode_request(request_head() + value_branch + str("cfg")
                                + null_branch);
  ASSERT_TRUE(decoded) << error_message(decoded.error());
  EXPECT_EQ(*decoded, (avro::config_request{"corr", 1489750202643, 0, "v1",
                                            "ep-1", "cfg", std::nullopt}));
}

TEST(messaging_avro_hostile, rejects_payloads_over_the_limit) {
  auto bytes = request_head() + null_branch + null_branch;
  EXPECT_TRUE(avro::decode<avro::config_request>(bytes, bytes.size()));
  auto largest = largest_allocation([&] {
    expect_rejected(avro::decode<avro::config_request>(bytes, bytes.size() - 1),
                    "payload of " + std::to_string(bytes.size())
                      + " bytes exceeds the limit of "
                      + std::to_string(bytes.size() - 1) + " bytes");
  });
  EXPECT_LT(largest, small_allocation);
}

TEST(messaging_avro_hostile, rejects_lengths_beyond_the_input_unallocated) {
  constexpr int64_t one_tib = int64_t{1} << 40;
  auto largest = largest_allocation([&] {
    expect_rejected(decode_request(varint(one_tib) + "abc"),
                    "field 'correlationId': length 1099511627776 exceeds the "
                    "remaining 3 bytes");
    // The same through a nullable bytes field.
    auto response = str("corr") + varint(1) + varint(0) + str("v1")
                    + str("ep-1") + null_branch + str("application/json")
                    + value_branch + varint(one_tib) + "{}";
    expect_rejected(avro::decode<avro::config_response>(response, max_payload),
                    "field 'content': length 1099511627776 exceeds");
  });
  EXPECT_LT(largest, small_allocation);
}

TEST(messaging_avro_hostile, rejects_negative_lengths) {
  expect_rejected(decode_request(varint(-1) + "abc"),
                  "field 'correlationId': negative length -1");
}

TEST(messaging_avro_hostile, rejects_varints_longer_than_ten_bytes) {
  auto eleven_bytes = std::string(10, '\x80') + '\x00';
  expect_rejected(decode_request(str("corr") + eleven_bytes),
                  "field 'timestamp': varint longer than 10 bytes");
}

TEST(messaging_avro_hostile, rejects_varints_overflowing_64_bits) {
  // Nine full groups give 63 bits; the tenth byte may only add bit 63.
  auto nine_ff = std::string(9, '\xff');
  expect_rejected(decode_request(str("corr") + nine_ff + '\x02'),
                  "field 'timestamp': varint overflows 64 bits");
  auto decoded = decode_request(str("corr") + nine_ff + '\x01' + varint(0)
                                + str("v1") + str("ep-1") + null_branch
                                + null_branch);
  ASSERT_TRUE(decoded) << error_message(decoded.error());
  EXPECT_EQ(decoded->timestamp, INT64_MIN);
}

TEST(messaging_avro_hostile, rejects_bad_union_branches) {
  expect_rejected(decode_request(request_head() + varint(2) + str("cfg")
                                 + null_branch),
                  "field 'configId': union branch index 2 is neither 0 "
                  "(null) nor 1 (value)");
  expect_rejected(decode_request(request_head() + null_branch + varint(-1)),
                  "field 'configName': union branch index -1");
}

TEST(messaging_avro_hostile, rejects_ints_out_of_range) {
  for (int64_t status : {int64_t{INT32_MAX} + 1, int64_t{INT32_MIN} - 1}) {
    auto bytes = str("corr") + varint(1) + varint(0) + str("v1") + str("ep-1")
                 + null_branch + str("application/json") + null_branch
                 + varint(status) + null_branch;
    expect_rejected(avro::decode<avro::config_response>(bytes, max_payload),
                    "field 'statusCode': int value " + std::to_string(status)
                      + " is out of 32-bit range");
  }
}

TEST(messaging_avro_hostile, rejects_truncated_input) {
  expect_rejected(decode_request(request_head()),
                  "field 'configId': truncated input");
  expect_rejected(decode_request(""), "field 'correlationId': truncated input");
}

TEST(messaging_avro_hostile, rejects_trailing_bytes) {
  expect_rejected(decode_request(request_head() + null_branch + null_branch
                                 + "xy"),
                  "2 trailing bytes after the record");
}

TEST(messaging_avro_hostile, rejects_invalid_utf8_in_strings) {
  for (std::string_view bad : {"\xff", "\xc0\x80", "\xed\xa0\x80", "\xe2\x82",
                               "\xf4\x90\x80\x80", "ok\x80"}) {
    SCOPED_TRACE(testing::PrintToString(std::string{bad}));
    expect_rejected(decode_request(request_head(bad) + null_branch
                                   + null_branch),
                    "field 'correlationId': string is not valid UTF-8");
  }
  auto decoded = decode_request(request_head("\xf0\x9f\x93\xa1 \xd0\xba")
                                + null_branch + null_branch);
  ASSERT_TRUE(decoded) << error_message(decoded.error());
  EXPECT_EQ(decoded->correlation_id, "\xf0\x9f\x93\xa1 \xd0\xba");
}

TEST(messaging_avro_hostile, accepts_any_bytes_in_bytes_fields) {
  avro::config_updated event;
  event.content = std::string{"\xff\xfe\x00\xc0\x80", 5};
  auto decoded
    = avro::decode<avro::config_updated>(avro::encode(event), max_payload);
  ASSERT_TRUE(decoded) << error_message(decoded.error());
  EXPECT_EQ(decoded->content, event.content);
}

TEST(messaging_avro_hostile, rejects_huge_block_counts_unallocated) {
  constexpr int64_t huge = int64_t{1} << 40;
  auto largest = largest_allocation([&] {
    expect_rejected(decode_efmp_response(efmp_response(
                      varint(huge) + str("k") + varint(0) + varint(0))),
                    "field 'appVersionsToEndpoints': block count "
                    "1099511627776 exceeds the remaining");
    expect_rejected(decode_efmp_response(efmp_response(
                      varint(1) + str("k") + varint(huge) + str("ep")
                      + varint(0) + varint(0))),
                    "block count 1099511627776 exceeds the remaining");
    // Negative counts announce a byte size, which must fit as well.
    expect_rejected(decode_efmp_response(efmp_response(
                      varint(-1) + varint(huge) + str("k") + varint(0)
                      + varint(0))),
                    "block byte size 1099511627776 exceeds the remaining");
  });
  EXPECT_LT(largest, small_allocation);
}

TEST(messaging_avro_hostile, accepts_negative_block_counts_with_sizes) {
  auto items = str("a") + str("b");
  auto array = varint(-2) + varint(static_cast<int64_t>(items.size())) + items
               + varint(0);
  auto first = str("v1") + array;
  auto map = varint(-1) + varint(static_cast<int64_t>(first.size())) + first
             + varint(1) + str("v2") + varint(0) + varint(0);
  auto decoded = decode_efmp_response(efmp_response(map));
  ASSERT_TRUE(decoded) << error_message(decoded.error());
  EXPECT_EQ(decoded->app_versions_to_endpoints,
            (avro::string_lists{{"v1", {"a", "b"}}, {"v2", {}}}));
  EXPECT_EQ(decoded->status_code, 200);
}

TEST(messaging_avro_hostile, rejects_inconsistent_block_sizes) {
  auto entry = str("v1") + varint(0);
  auto with_size = [&](int64_t size) {
    return efmp_response(varint(-1) + varint(size) + entry + varint(0));
  };
  auto actual = static_cast<int64_t>(entry.size());
  expect_rejected(decode_efmp_response(with_size(actual - 1)),
                  "block byte size " + std::to_string(actual - 1)
                    + " does not match its " + std::to_string(actual)
                    + " bytes of items");
  expect_rejected(decode_efmp_response(with_size(-3)),
                  "negative block byte size -3");
  expect_rejected(decode_efmp_response(efmp_response(varint(INT64_MIN))),
                  "block count -9223372036854775808 is out of range");
}

TEST(messaging_avro_hostile, repeated_map_keys_keep_the_last_entry) {
  auto map = varint(2) + str("v1") + varint(1) + str("old") + varint(0)
             + str("v1") + varint(1) + str("new") + varint(0) + varint(0);
  auto decoded = decode_efmp_response(efmp_response(map));
  ASSERT_TRUE(decoded) << error_message(decoded.error());
  EXPECT_EQ(decoded->app_versions_to_endpoints,
            (avro::string_lists{{"v1", {"new"}}}));
}

} // namespace

} // namespace ecr::test
