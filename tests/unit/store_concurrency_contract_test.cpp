// Contract of several writers on one database, as several replicas of one
// instance hold: each writer handle is used from its own thread, and the
// store alone must keep their writes atomic and none of them lost.

#include "tests/unit/store_contract.hpp"

#include <array>
#include <barrier>
#include <charconv>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace ecr::test {

namespace {

constexpr size_t writer_count = 2;

/// What each writer got, by writer and then by round.
template <class T>
using by_writer = std::array<std::vector<T>, writer_count>;

/// The content writer `writer` stores in round `round`.
std::string content_of(int round, size_t writer) {
  return R"({"round":)" + std::to_string(round) + R"(,"writer":)"
         + std::to_string(writer) + "}";
}

/// A configId unique to a writer, a round and an attempt.
std::string id_of(int round, size_t writer, int attempt = 0) {
  return "id-" + std::to_string(round) + "-" + std::to_string(writer) + "-"
         + std::to_string(attempt);
}

std::string counter_content(int64_t count) {
  return R"({"count":)" + std::to_string(count) + "}";
}

/// Reads what `counter_content` wrote.
caf::expected<int64_t> counter_value(const std::string& content) {
  int64_t value = 0;
  auto pos = content.find(':');
  if (pos == std::string::npos
      || std::from_chars(content.data() + pos + 1,
                         content.data() + content.size(), value)
           .ec
           != std::errc{})
    return make_error(ec::invalid_argument, "not a counter: " + content);
  return value;
}

class concurrency_contract : public store_contract {
protected:
  /// Runs `rounds` rounds on two new writer handles, each in its own thread.
  /// Both writers start each round together; `step(round, writer, handle)`
  /// may call `both_ready()` to meet the other writer again within a round.
  template <class T>
  by_writer<T> race(int rounds,
                    const std::function<T(int, size_t, store&)>& step) {
    std::array<store_ptr, writer_count> handles;
    for (auto& h : handles)
      h = open(store_role::writer);
    by_writer<T> results;
    std::vector<std::thread> threads;
    for (size_t w = 0; w < writer_count; ++w)
      threads.emplace_back([&, w] {
        for (int round = 0; round < rounds; ++round) {
          both_ready();
          results[w].push_back(step(round, w, *handles[w]));
        }
      });
    for (auto& t : threads)
      t.join();
    return results;
  }

  /// Blocks until every writer thread got here.
  void both_ready() {
    sync_.arrive_and_wait();
  }

private:
  std::barrier<> sync_{writer_count};
};

ECR_STORE_CONTRACT(concurrency_contract);

/// One writer's attempt at a conditional write.
struct conditional_put {
  std::string read_config_id;
  caf::expected<put_result> result;
};

TEST_P(concurrency_contract, if_match_admits_exactly_one_of_racing_writers) {
  constexpr int rounds = 60;
  auto key = endpoint_key("ep-1");
  auto first = put(key, content_of(-1, 0), "id-initial", 1000).record;
  auto results = race<conditional_put>(
    rounds, [&](int round, size_t w, store& s) -> conditional_put {
      auto current = s.get_config(key);
      // Both have read the same configId before either writes.
      both_ready();
      if (!current)
        return {"", current.error()};
      return {current->config_id,
              s.put_config(key, content_of(round, w),
                           if_match({current->config_id}), id_of(round, w),
                           2000 + round)};
    });
  auto previous = first;
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::vector<size_t> winners;
    for (size_t w = 0; w < writer_count; ++w) {
      const auto& attempt = results[w][round];
      EXPECT_EQ(attempt.read_config_id, previous.config_id) << "writer " << w;
      if (attempt.result)
        winners.push_back(w);
      else
        EXPECT_TRUE(fails_with(ec::precondition_failed, attempt.result))
          << "writer " << w;
    }
    ASSERT_EQ(winners.size(), 1u);
    auto w = winners.front();
    const auto& won = *results[w][round].result;
    EXPECT_TRUE(won.changed);
    EXPECT_FALSE(won.created);
    EXPECT_EQ(won.record, (config_record{key, id_of(round, w),
                                         content_of(round, w), 1000,
                                         2000 + round}));
    previous = won.record;
  }
  // The next round's reads checked each winner was stored; this the last.
  EXPECT_EQ(ok(writer().get_config(key)), previous);
}

TEST_P(concurrency_contract, compare_and_swap_loses_no_acknowledged_write) {
  constexpr int increments = 40;
  auto key = endpoint_key("ep-1", "v1", "counter");
  put(key, counter_content(0), "id-initial", 1000);
  // Each writer increments the counter `increments` times, retrying on a
  // precondition failure; the round is the increment.
  auto results = race<caf::error>(
    increments, [&](int round, size_t w, store& s) -> caf::error {
      for (int attempt = 0;; ++attempt) {
        auto current = s.get_config(key);
        if (!current)
          return current.error();
        auto count = counter_value(current->content);
        if (!count)
          return count.error();
        auto written = s.put_config(key, counter_content(*count + 1),
                                    if_match({current->config_id}),
                                    id_of(round, w, attempt), 2000 + round);
        if (written)
          return {};
        if (error_code(written.error()) != ec::precondition_failed)
          return written.error();
      }
    });
  for (size_t w = 0; w < writer_count; ++w)
    for (const auto& err : results[w])
      EXPECT_FALSE(err) << "writer " << w << ": " << render(err);
  EXPECT_EQ(ok(counter_value(ok(writer().get_config(key)).content)),
            int64_t{increments} * int64_t{writer_count});
}

TEST_P(concurrency_contract, every_acknowledged_write_has_its_version_alone) {
  constexpr int rounds = 40;
  auto key = endpoint_key("ep-1");
  auto results = race<caf::expected<put_result>>(
    rounds, [&](int round, size_t w, store& s) {
      return s.put_config(key, content_of(round, w), {}, id_of(round, w),
                          1000 + round, {change_origin::put, "writer"});
    });
  std::map<std::string, std::string> acknowledged; // configId -> content
  std::set<int64_t> revisions;
  for (size_t w = 0; w < writer_count; ++w)
    for (const auto& result : results[w]) {
      ASSERT_TRUE(result) << render(result.error());
      ASSERT_TRUE(result->changed);
      acknowledged.emplace(result->record.config_id, result->record.content);
      EXPECT_TRUE(revisions.insert(result->revision).second)
        << "revision " << result->revision << " acknowledged twice";
    }
  auto kept = ok(writer().list_versions(key, 0, 1000));
  std::map<std::string, std::string> versions;
  std::set<int64_t> kept_revisions;
  for (const auto& v : kept.items) {
    versions.emplace(v.config_id, v.content);
    kept_revisions.insert(v.revision);
  }
  // Each write has exactly its version, and no version is without a write.
  EXPECT_EQ(versions, acknowledged);
  EXPECT_EQ(kept_revisions, revisions);
  EXPECT_EQ(*kept_revisions.begin(), 1);
  EXPECT_EQ(*kept_revisions.rbegin(), int64_t{rounds} * int64_t{writer_count});
}

TEST_P(concurrency_contract, a_partial_update_loses_no_concurrent_write) {
  constexpr int increments = 40;
  auto key = endpoint_key("ep-1", "v1", "counter");
  put(key, counter_content(0), "id-initial", 1000);
  auto increment = [](const config_record& current)
    -> caf::expected<std::string> {
    auto count = counter_value(current.content);
    if (!count)
      return count.error();
    return counter_content(*count + 1);
  };
  // Both writers increment at once, without preconditions: each change
  // applies to what the other left.
  auto results = race<caf::error>(
    increments, [&](int round, size_t w, store& s) -> caf::error {
      auto written = s.modify_config(key, increment, {}, id_of(round, w),
                                     2000 + round, {change_origin::patch, ""});
      return written ? caf::error{} : written.error();
    });
  for (size_t w = 0; w < writer_count; ++w)
    for (const auto& err : results[w])
      EXPECT_FALSE(err) << "writer " << w << ": " << render(err);
  EXPECT_EQ(ok(counter_value(ok(writer().get_config(key)).content)),
            int64_t{increments} * int64_t{writer_count});
}

TEST_P(concurrency_contract,
       racing_creates_of_one_key_both_succeed_and_one_creates) {
  constexpr int rounds = 40;
  auto key_of = [](int round) {
    return endpoint_key("ep-" + std::to_string(round));
  };
  auto results = race<caf::expected<put_result>>(
    rounds, [&](int round, size_t w, store& s) {
      return s.put_config(key_of(round), content_of(round, w), {},
                          id_of(round, w), 1000 + static_cast<int64_t>(w));
    });
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::vector<put_result> done;
    for (size_t w = 0; w < writer_count; ++w) {
      const auto& result = results[w][round];
      ASSERT_TRUE(result) << "writer " << w << ": " << render(result.error());
      EXPECT_TRUE(result->changed) << "writer " << w;
      done.push_back(*result);
    }
    // An upsert: one writer created the record, the other replaced it, and
    // the store holds the replacement with the creator's creation date.
    ASSERT_NE(done[0].created, done[1].created);
    const auto& creator = done[0].created ? done[0] : done[1];
    const auto& replacer = done[0].created ? done[1] : done[0];
    EXPECT_EQ(replacer.record.created_ms, creator.record.created_ms);
    EXPECT_EQ(ok(writer().get_config(key_of(round))), replacer.record);
  }
}

TEST_P(concurrency_contract, an_update_is_never_dated_before_the_record) {
  // Replicas take the time before the store orders their writes, and hosts'
  // clocks differ: a later write may carry an earlier time than the record.
  auto key = endpoint_key("ep-1");
  auto first = put(key, content_of(0, 0), "id-1", 2000).record;
  auto other = open(store_role::writer);
  auto later = ok(other->put_config(key, content_of(0, 1), {}, "id-2", 1000));
  EXPECT_EQ(later.record.created_ms, first.created_ms);
  EXPECT_GE(later.record.updated_ms, first.updated_ms);
  EXPECT_EQ(ok(writer().get_config(key)), later.record);
}

TEST_P(concurrency_contract, racing_system_config_creates_admit_exactly_one) {
  constexpr int rounds = 40;
  auto results = race<caf::expected<system_config_record>>(
    rounds, [&](int round, size_t w, store& s) {
      return s.create_system_config(system_config(
        "ENDPOINT", "ep-" + std::to_string(round), "logging", id_of(round, w)));
    });
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::vector<system_config_record> created;
    for (size_t w = 0; w < writer_count; ++w) {
      const auto& result = results[w][round];
      if (result)
        created.push_back(*result);
      else
        EXPECT_TRUE(fails_with(ec::conflict, result)) << "writer " << w;
    }
    ASSERT_EQ(created.size(), 1u);
    auto level_id = "ep-" + std::to_string(round);
    EXPECT_EQ(ok(writer().list_system_configs(tenant_1, "ENDPOINT", level_id)),
              created);
  }
}

TEST_P(concurrency_contract, racing_dispatches_never_downgrade_a_confirmation) {
  constexpr int rounds = 25;
  constexpr int dispatches = 4;
  constexpr int64_t confirmed_at = 9000;
  auto key_of = [](int round) {
    return status_of("ep-1", "cfg-" + std::to_string(round));
  };
  auto code_of = [](int round) { return round % 2 == 0 ? 200 : 500; };
  // Writer 0 confirms (or fails) the round's configuration once while
  // writer 1 keeps dispatching it, alternating single and batched records.
  auto results = race<caf::error>(
    rounds, [&](int round, size_t w, store& s) -> caf::error {
      if (w == 0) {
        auto confirmed = s.record_confirmation(
          confirmation(key_of(round), code_of(round), "reason"), false,
          confirmed_at);
        return confirmed ? caf::error{} : confirmed.error();
      }
      for (int i = 0; i < dispatches; ++i) {
        auto dispatch = key_of(round);
        dispatch.last_dispatched_ms = 1000 + i;
        if (i % 2 == 0) {
          if (auto done = s.record_dispatch(dispatch, 1000 + i); !done)
            return done.error();
        } else if (auto done = s.record_dispatches({dispatch}); !done) {
          return done.error();
        }
      }
      return {};
    });
  for (size_t w = 0; w < writer_count; ++w)
    for (const auto& err : results[w])
      EXPECT_FALSE(err) << "writer " << w << ": " << render(err);
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    auto query = statuses_of("ep-1");
    query.config_id = key_of(round).config_id;
    auto found = all_statuses(query);
    ASSERT_EQ(found.size(), 1u);
    const auto& x = found.front();
    EXPECT_EQ(x.status, code_of(round) == 200 ? delivery_status::confirmed
                                              : delivery_status::failed);
    EXPECT_EQ(x.confirmation_code, code_of(round));
    EXPECT_EQ(x.confirmation_reason, "reason");
    EXPECT_EQ(x.last_confirmed_ms, confirmed_at);
    EXPECT_EQ(x.last_dispatched_ms, 1000 + dispatches - 1);
  }
}

} // namespace

} // namespace ecr::test
