// The notices replicas exchange to keep their caches coherent.

#include "messaging/replica_sync.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>

namespace ecr {
namespace {

using replica_sync::decode;
using replica_sync::encode;
using replica_sync::notice;

TEST(messaging_replica_sync, the_subject_belongs_to_the_instance) {
  EXPECT_EQ(replica_sync::subject("ecr-a"),
            "kaa.v1.service.ecr-a.replicas.config.changed");
}

TEST(messaging_replica_sync, a_key_round_trips) {
  notice endpoint{"ecr-a-1", config_key{"kaa", "ep-1", "v1", "alerts"}};
  auto decoded = decode(encode(endpoint));
  ASSERT_TRUE(decoded) << render(decoded.error());
  EXPECT_EQ(decoded->replica_id, "ecr-a-1");
  EXPECT_EQ(decoded->key, endpoint.key);
  // An app version's default has no endpoint.
  notice fallback{"ecr-a-1", config_key{"kaa", "", "v1", "default"}};
  EXPECT_EQ(decode(encode(fallback))->key, fallback.key);
}

TEST(messaging_replica_sync, everything_round_trips) {
  auto decoded = decode(encode({"ecr-a-2", std::nullopt}));
  ASSERT_TRUE(decoded) << render(decoded.error());
  EXPECT_EQ(decoded->replica_id, "ecr-a-2");
  EXPECT_FALSE(decoded->key);
}

TEST(messaging_replica_sync, anything_else_is_refused) {
  for (std::string bad :
       {std::string{}, std::string{"hello"},
        std::string{"ecr-replica-sync 2\nr\n*"},
        std::string{"ecr-replica-sync 1\n\n*"},
        std::string{"ecr-replica-sync 1\nr"},
        std::string{"ecr-replica-sync 1\nr\nkaa\nep\nv1"},
        std::string{"ecr-replica-sync 1\nr\n\nep\nv1\ndefault"},
        std::string{"ecr-replica-sync 1\nr\nkaa\nep\nv1\ndefault\nextra"},
        "ecr-replica-sync 1\nr\n" + std::string(5000, 'x')}) {
    auto decoded = decode(bad);
    ASSERT_FALSE(decoded) << bad;
    EXPECT_EQ(error_code(decoded.error()), ec::invalid_argument);
  }
}

} // namespace
} // namespace ecr
