// Contract of group commit, reader handles, persistence and concurrent use.

#include "tests/unit/store_contract.hpp"

#include <atomic>
#include <functional>
#include <thread>

namespace ecr::test {

namespace {

const std::string content_a = R"({"a":1})";
const std::string content_b = R"({"b":2})";

// -- group commit ---------------------------------------------------------------

class batch_contract : public store_contract {};

ECR_STORE_CONTRACT(batch_contract);

TEST_P(batch_contract, committed_batch_is_visible_to_a_reader) {
  auto reader = open(store_role::reader);
  ok(writer().begin_batch());
  auto a = put(endpoint_key("ep-1"), content_a, "id-1", 1000).record;
  auto b = put(endpoint_key("ep-2"), content_b, "id-2", 1000).record;
  auto status = dispatch(status_of("ep-1", "id-1"), 1000);
  auto system = ok(writer().create_system_config(
    system_config("ENDPOINT", "ep-1", "logging", "sc-1")));
  ok(writer().commit_batch());
  EXPECT_EQ(ok(reader->get_config(endpoint_key("ep-1"))), a);
  EXPECT_EQ(ok(reader->get_config(endpoint_key("ep-2"))), b);
  EXPECT_EQ(ok(reader->list_statuses(statuses_of("ep-1"))).items,
            std::vector{status});
  EXPECT_EQ(ok(reader->get_system_config(tenant_1, "sc-1")), system);
}

TEST_P(batch_contract, reader_never_sees_uncommitted_writes) {
  if (!GetParam().isolated_batches)
    GTEST_SKIP() << GetParam().name << " makes each write durable on its own";
  auto reader = open(store_role::reader);
  auto before = put(endpoint_key("ep-1"), content_a, "id-1", 1000).record;
  ok(writer().begin_batch());
  auto after = put(endpoint_key("ep-1"), content_b, "id-2", 2000).record;
  put(endpoint_key("ep-2"), content_b, "id-3", 2000);
  // The writer reads its own batch; the reader still reads the old state.
  EXPECT_EQ(ok(writer().get_config(endpoint_key("ep-1"))), after);
  EXPECT_EQ(ok(reader->get_config(endpoint_key("ep-1"))), before);
  EXPECT_TRUE(fails_with(ec::not_found,
                         reader->get_config(endpoint_key("ep-2"))));
  ok(writer().commit_batch());
  EXPECT_EQ(ok(reader->get_config(endpoint_key("ep-1"))), after);
  EXPECT_EQ(ok(reader->get_config(endpoint_key("ep-2"))).config_id, "id-3");
}

TEST_P(batch_contract, writes_in_a_batch_see_earlier_writes_of_the_batch) {
  ok(writer().begin_batch());
  put(endpoint_key("ep-1"), content_a, "id-1", 1000);
  auto again = put(endpoint_key("ep-1"), content_a, "id-2", 2000);
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(again.record.config_id, "id-1");
  auto changed = put(endpoint_key("ep-1"), content_b, "id-3", 3000,
                     if_match({"id-1"}));
  EXPECT_EQ(changed.record, (config_record{endpoint_key("ep-1"), "id-3",
                                           content_b, 1000, 3000}));
  ok(writer().commit_batch());
  EXPECT_EQ(ok(writer().get_config(endpoint_key("ep-1"))), changed.record);
}

TEST_P(batch_contract, failing_write_is_undone_alone) {
  auto reader = open(store_role::reader);
  ok(writer().create_system_config(
    system_config("ENDPOINT", "ep-1", "logging", "sc-1")));
  ok(writer().begin_batch());
  put(endpoint_key("ep-1"), content_a, "id-1", 1000);
  EXPECT_TRUE(fails_with(ec::precondition_failed,
                         writer().put_config(endpoint_key("ep-2"), content_a,
                                             if_match(), "id-2", 1000)));
  EXPECT_TRUE(fails_with(ec::conflict,
                         writer().create_system_config(system_config(
                           "ENDPOINT", "ep-1", "logging", "sc-2"))));
  EXPECT_TRUE(fails_with(ec::not_found,
                         writer().delete_system_config(tenant_1, "sc-x")));
  put(endpoint_key("ep-3"), content_a, "id-3", 1000);
  ok(writer().commit_batch());
  EXPECT_EQ(ok(reader->get_config(endpoint_key("ep-1"))).config_id, "id-1");
  EXPECT_TRUE(fails_with(ec::not_found,
                         reader->get_config(endpoint_key("ep-2"))));
  EXPECT_EQ(ok(reader->get_config(endpoint_key("ep-3"))).config_id, "id-3");
  EXPECT_EQ(ok(reader->list_system_configs(tenant_1, "ENDPOINT", "ep-1")).size(),
            1u);
}

// -- handles ------------------------------------------------------------------------

class handle_contract : public store_contract {};

ECR_STORE_CONTRACT(handle_contract);

TEST_P(handle_contract, single_writes_are_visible_to_a_reader) {
  auto reader = open(store_role::reader);
  auto stored = put(endpoint_key("ep-1"), content_a, "id-1", 1000).record;
  EXPECT_EQ(ok(reader->get_config(endpoint_key("ep-1"))), stored);
  ok(writer().delete_config(endpoint_key("ep-1"), {}));
  EXPECT_TRUE(fails_with(ec::not_found,
                         reader->get_config(endpoint_key("ep-1"))));
}

TEST_P(handle_contract, data_survives_reopening) {
  auto config = put(endpoint_key("ep-1"), content_a, "id-1", 1000).record;
  auto status = dispatch(status_of("ep-1", "id-1"), 1000);
  auto system = ok(writer().create_system_config(
    system_config("ENDPOINT", "ep-1", "logging", "sc-1")));
  reopen_writer();
  EXPECT_EQ(ok(writer().get_config(endpoint_key("ep-1"))), config);
  EXPECT_EQ(all_statuses(statuses_of("ep-1")), std::vector{status});
  EXPECT_EQ(ok(writer().get_system_config(tenant_1, "sc-1")), system);
  // The reopened writer writes on top of what is there.
  EXPECT_FALSE(put(endpoint_key("ep-1"), content_a, "id-2", 2000).changed);
  EXPECT_TRUE(fails_with(ec::conflict,
                         writer().create_system_config(system_config(
                           "ENDPOINT", "ep-1", "logging", "sc-2"))));
}

TEST_P(handle_contract, a_snapshot_reads_what_was_committed_before_it) {
  auto reader = open(store_role::reader);
  auto stored = put(endpoint_key("ep-1"), content_a, "id-1", 1000).record;
  ok(reader->begin_snapshot());
  EXPECT_EQ(ok(reader->get_config(endpoint_key("ep-1"))), stored);
  EXPECT_TRUE(fails_with(ec::not_found,
                         reader->get_config(endpoint_key("ep-2"))));
  reader->end_snapshot();
}

TEST_P(handle_contract, after_a_snapshot_reads_see_every_committed_write) {
  auto reader = open(store_role::reader);
  put(endpoint_key("ep-1"), content_a, "id-1", 1000);
  ok(reader->begin_snapshot());
  EXPECT_EQ(ok(reader->get_config(endpoint_key("ep-1"))).config_id, "id-1");
  auto changed = put(endpoint_key("ep-1"), content_b, "id-2", 2000).record;
  reader->end_snapshot();
  EXPECT_EQ(ok(reader->get_config(endpoint_key("ep-1"))), changed);
  // Snapshots can follow each other on one handle.
  ok(reader->begin_snapshot());
  EXPECT_EQ(ok(reader->get_config(endpoint_key("ep-1"))), changed);
  reader->end_snapshot();
}

TEST_P(handle_contract, a_snapshot_keeps_reading_the_state_it_began_with) {
  if (!GetParam().isolated_batches)
    GTEST_SKIP() << GetParam().name << " shows every read the latest writes";
  auto reader = open(store_role::reader);
  auto before = put(endpoint_key("ep-1"), content_a, "id-1", 1000).record;
  ok(reader->begin_snapshot());
  EXPECT_EQ(ok(reader->get_config(endpoint_key("ep-1"))), before);
  put(endpoint_key("ep-1"), content_b, "id-2", 2000);
  put(endpoint_key("ep-2"), content_b, "id-3", 2000);
  EXPECT_EQ(ok(reader->get_config(endpoint_key("ep-1"))), before);
  EXPECT_TRUE(fails_with(ec::not_found,
                         reader->get_config(endpoint_key("ep-2"))));
  reader->end_snapshot();
  EXPECT_EQ(ok(reader->get_config(endpoint_key("ep-2"))).config_id, "id-3");
}

TEST_P(handle_contract, ping_answers_on_every_handle) {
  ok(writer().ping());
  ok(open(store_role::reader)->ping());
}

TEST_P(handle_contract, reader_cannot_write) {
  auto config = put(endpoint_key("ep-1"), content_a, "id-1", 1000).record;
  auto status = dispatch(status_of("ep-1", "id-1"), 1000);
  auto system = ok(writer().create_system_config(
    system_config("ENDPOINT", "ep-1", "logging", "sc-1")));
  auto reader = open(store_role::reader);
  auto& r = *reader;
  EXPECT_FALSE(r.put_config(endpoint_key("ep-1"), content_b, {}, "id-2", 2000));
  EXPECT_FALSE(r.put_config(endpoint_key("ep-2"), content_b, {}, "id-3", 2000));
  EXPECT_FALSE(r.delete_config(endpoint_key("ep-1"), {}));
  EXPECT_FALSE(r.record_dispatch(status_of("ep-1", "id-4"), 2000));
  EXPECT_FALSE(r.record_confirmation(
    confirmation(status_of("ep-1", "id-1"), 200, "OK"), false, 2000));
  EXPECT_FALSE(r.create_system_config(
    system_config("ENDPOINT", "ep-1", "alerts", "sc-2")));
  auto update = system;
  update.content = "{}";
  EXPECT_FALSE(r.update_system_config(update, 2000));
  EXPECT_TRUE(r.delete_system_config(tenant_1, "sc-1")); // an error
  EXPECT_FALSE(r.purge_endpoint(tenant_1, "ep-1"));
  EXPECT_FALSE(r.purge_tenant(tenant_1));
  // Nothing changed.
  EXPECT_EQ(ok(writer().get_config(endpoint_key("ep-1"))), config);
  EXPECT_TRUE(fails_with(ec::not_found,
                         writer().get_config(endpoint_key("ep-2"))));
  EXPECT_EQ(all_statuses(statuses_of("ep-1")), std::vector{status});
  EXPECT_EQ(ok(writer().list_system_configs(tenant_1, "ENDPOINT", "ep-1")),
            std::vector{system});
  // And the reader still reads.
  EXPECT_EQ(ok(r.get_config(endpoint_key("ep-1"))), config);
}

/// The content written under `config_id`, so that readers can check that
/// they see whole records.
std::string content_for(const std::string& config_id) {
  return R"({"id":")" + config_id + R"("})";
}

TEST_P(handle_contract, readers_in_other_threads_read_while_the_writer_writes) {
  constexpr int writes = 200;
  constexpr int reader_count = 4;
  auto scope = endpoint_key("ep-1");
  std::vector<store_ptr> readers;
  for (int i = 0; i < reader_count; ++i)
    readers.push_back(open(store_role::reader));
  std::atomic<bool> writer_done{false};
  // Each reader must see whole records and never lose one it saw; after the
  // writer is done, it must see every record.
  auto read_until_done = [&](store& reader) {
    size_t seen = 0;
    for (bool last = false; !last;) {
      last = writer_done.load();
      auto listed = reader.list_configs(scope);
      if (!listed) {
        ADD_FAILURE() << "reader failed: " << render(listed.error());
        return;
      }
      EXPECT_GE(listed->size(), seen);
      seen = listed->size();
      for (const auto& x : *listed)
        EXPECT_EQ(x.content, content_for(x.config_id));
    }
    EXPECT_EQ(seen, static_cast<size_t>(writes));
  };
  std::vector<std::thread> threads;
  for (auto& reader : readers)
    threads.emplace_back(read_until_done, std::ref(*reader));
  for (int i = 0; i < writes; ++i) {
    auto id = "id-" + std::to_string(i);
    auto key = scope;
    key.name = "n-" + std::to_string(i);
    auto written = writer().put_config(key, content_for(id), {}, id, 1000);
    EXPECT_TRUE(written) << render(written.error());
  }
  writer_done = true;
  for (auto& t : threads)
    t.join();
}

} // namespace

} // namespace ecr::test
