// Contract of the revision history (B1): every change of a key records a
// version in the same atomic write, revisions count on across deletes,
// retention applies as keys are written, purges remove history.

#include "tests/unit/store_contract.hpp"

#include <string>
#include <vector>

namespace ecr::test {

namespace {

class history_contract : public store_contract {
protected:
  /// Every kept version of `key`, newest first.
  std::vector<config_version> versions_of(const config_key& key) {
    return ok(writer().list_versions(key, 0, 1000)).items;
  }

  std::vector<int64_t> revisions_of(const config_key& key) {
    std::vector<int64_t> result;
    for (const auto& v : versions_of(key))
      result.push_back(v.revision);
    return result;
  }

  /// Writes version `i` of `key`: content `{"v":i}`, configId `id-i`, at
  /// `1000 * i`.
  put_result write(const config_key& key, int i,
                   const change_source& source = {}) {
    return ok(writer().put_config(key, content(i), {}, id(i), 1000 * i,
                                  source));
  }

  static std::string content(int i) {
    return R"({"v":)" + std::to_string(i) + "}";
  }

  static std::string id(int i) {
    return "id-" + std::to_string(i);
  }
};

ECR_STORE_CONTRACT(history_contract);

TEST_P(history_contract, a_change_records_a_version_of_what_it_wrote) {
  auto key = endpoint_key("ep-1");
  auto created = write(key, 1, {change_origin::put, "alice"});
  EXPECT_EQ(created.revision, 1);
  auto versions = versions_of(key);
  ASSERT_EQ(versions.size(), 1u);
  EXPECT_EQ(versions[0], (config_version{key, 1, id(1), content(1), 1000, 1000,
                                         0, false, change_origin::put,
                                         "alice"}));
  EXPECT_EQ(ok(writer().revision_of(key)), 1);
}

TEST_P(history_contract, identical_content_records_no_version) {
  auto key = default_key();
  write(key, 1);
  auto again = ok(writer().put_config(key, content(1), {}, "id-x", 5000));
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(again.revision, 1);
  EXPECT_EQ(revisions_of(key), (std::vector<int64_t>{1}));
}

TEST_P(history_contract, a_version_is_superseded_when_the_next_arrives) {
  auto key = endpoint_key("ep-1");
  write(key, 1);
  auto second = write(key, 2, {change_origin::batch, "bob"});
  EXPECT_EQ(second.revision, 2);
  auto versions = versions_of(key);
  ASSERT_EQ(versions.size(), 2u);
  // Newest first; the older one ends where the newer one begins.
  EXPECT_EQ(versions[0].revision, 2);
  EXPECT_EQ(versions[0].superseded_ms, 0);
  EXPECT_EQ(versions[0].origin, change_origin::batch);
  EXPECT_EQ(versions[0].actor, "bob");
  EXPECT_EQ(versions[0].created_ms, 1000);
  EXPECT_EQ(versions[1].revision, 1);
  EXPECT_EQ(versions[1].superseded_ms, versions[0].updated_ms);
  EXPECT_EQ(versions[1].content, content(1));
}

TEST_P(history_contract, a_delete_records_a_tombstone_and_revisions_go_on) {
  auto key = endpoint_key("ep-1", "v1", "named");
  write(key, 1);
  ok(writer().delete_config(key, {}, 3000, {change_origin::remove, "carol"}));
  EXPECT_EQ(ok(writer().revision_of(key)), 2);
  auto versions = versions_of(key);
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0], (config_version{key, 2, "", "", 1000, 3000, 0, true,
                                         change_origin::remove, "carol"}));
  EXPECT_EQ(versions[1].superseded_ms, 3000);
  // Created again: the count goes on, never reusing a revision.
  auto again = write(key, 4);
  EXPECT_EQ(again.revision, 3);
  EXPECT_EQ(revisions_of(key), (std::vector<int64_t>{3, 2, 1}));
}

TEST_P(history_contract, a_refused_write_records_nothing) {
  auto key = endpoint_key("ep-1");
  write(key, 1);
  EXPECT_TRUE(fails_with(ec::precondition_failed,
                         writer().put_config(key, content(2), if_match({"x"}),
                                             id(2), 2000)));
  EXPECT_TRUE(fails_with(ec::precondition_failed,
                         writer().delete_config(key, if_match({"x"}), 2000)));
  EXPECT_TRUE(fails_with(ec::not_found,
                         writer().delete_config(endpoint_key("ep-2"), {}, 2000)));
  EXPECT_EQ(revisions_of(key), (std::vector<int64_t>{1}));
  EXPECT_EQ(ok(writer().revision_of(endpoint_key("ep-2"))), 0);
  EXPECT_TRUE(versions_of(endpoint_key("ep-2")).empty());
}

TEST_P(history_contract, a_version_is_found_by_its_config_id) {
  auto key = default_key("v1", "default");
  write(key, 1);
  write(key, 2);
  ok(writer().delete_config(key, {}, 9000));
  auto first = ok(writer().get_version(key, id(1)));
  EXPECT_EQ(first.revision, 1);
  EXPECT_EQ(first.content, content(1));
  EXPECT_EQ(first.superseded_ms, 2000);
  EXPECT_EQ(ok(writer().get_version(key, id(2))).content, content(2));
  EXPECT_TRUE(fails_with(ec::not_found, writer().get_version(key, "id-x")));
  // Versions belong to their key.
  EXPECT_TRUE(
    fails_with(ec::not_found, writer().get_version(default_key("v2"), id(1))));
}

TEST_P(history_contract, versions_come_in_pages_newest_first) {
  auto key = endpoint_key("ep-1");
  for (int i = 1; i <= 5; ++i)
    write(key, i);
  auto page = [&](int64_t number) {
    auto result = ok(writer().list_versions(key, number, 2));
    EXPECT_EQ(result.total, 5);
    std::vector<int64_t> revisions;
    for (const auto& v : result.items)
      revisions.push_back(v.revision);
    return revisions;
  };
  EXPECT_EQ(page(0), (std::vector<int64_t>{5, 4}));
  EXPECT_EQ(page(1), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(page(2), (std::vector<int64_t>{1}));
  EXPECT_TRUE(page(3).empty());
}

TEST_P(history_contract, the_oldest_versions_go_past_max_versions) {
  reopen_writer(history_policy{3, 0});
  auto key = endpoint_key("ep-1");
  for (int i = 1; i <= 5; ++i)
    write(key, i);
  EXPECT_EQ(revisions_of(key), (std::vector<int64_t>{5, 4, 3}));
  EXPECT_TRUE(fails_with(ec::not_found, writer().get_version(key, id(2))));
  EXPECT_EQ(ok(writer().get_version(key, id(3))).content, content(3));
  // Other keys keep their own.
  write(endpoint_key("ep-2"), 1);
  EXPECT_EQ(revisions_of(endpoint_key("ep-2")), (std::vector<int64_t>{1}));
}

TEST_P(history_contract, versions_go_max_age_after_they_were_superseded) {
  reopen_writer(history_policy{100, 2500});
  auto key = endpoint_key("ep-1");
  write(key, 1);
  write(key, 2);
  write(key, 3);
  // At 3000, version 1 (superseded at 2000) is not yet 2500 old.
  EXPECT_EQ(revisions_of(key), (std::vector<int64_t>{3, 2, 1}));
  write(key, 5);
  // At 5000: version 1 was superseded 3000 ago, version 2 exactly 2000 ago.
  EXPECT_EQ(revisions_of(key), (std::vector<int64_t>{4, 3, 2}));
  // Long after: what was superseded long ago goes; the version just
  // superseded and the current one stay.
  write(key, 50);
  EXPECT_EQ(revisions_of(key), (std::vector<int64_t>{5, 4}));
}

TEST_P(history_contract, without_history_no_version_is_kept) {
  auto key = endpoint_key("ep-1");
  write(key, 1);
  write(key, 2);
  reopen_writer(history_policy{0, 0});
  auto third = write(key, 3);
  // Revisions still count; what was kept goes with the next write.
  EXPECT_EQ(third.revision, 3);
  EXPECT_EQ(ok(writer().list_versions(key, 0, 20)).total, 0);
  EXPECT_TRUE(fails_with(ec::not_found, writer().get_version(key, id(1))));
  write(endpoint_key("ep-2"), 1);
  EXPECT_TRUE(versions_of(endpoint_key("ep-2")).empty());
}

TEST_P(history_contract, purges_remove_history) {
  write(endpoint_key("ep-1"), 1);
  write(endpoint_key("ep-1", "v2"), 1);
  write(endpoint_key("ep-2"), 1);
  write(default_key(), 1);
  write(endpoint_key("ep-1", "v1", default_config_name, tenant_2), 1);
  ok(writer().delete_config(endpoint_key("ep-2"), {}, 5000));
  ok(writer().purge_endpoint(tenant_1, "ep-1"));
  EXPECT_TRUE(versions_of(endpoint_key("ep-1")).empty());
  EXPECT_TRUE(versions_of(endpoint_key("ep-1", "v2")).empty());
  EXPECT_EQ(ok(writer().revision_of(endpoint_key("ep-1"))), 0);
  EXPECT_EQ(revisions_of(endpoint_key("ep-2")), (std::vector<int64_t>{2, 1}));
  ok(writer().purge_tenant(tenant_1));
  EXPECT_TRUE(versions_of(endpoint_key("ep-2")).empty());
  EXPECT_TRUE(versions_of(default_key()).empty());
  EXPECT_EQ(revisions_of(endpoint_key("ep-1", "v1", default_config_name,
                                      tenant_2)),
            (std::vector<int64_t>{1}));
}

TEST_P(history_contract, other_handles_see_the_history) {
  auto key = endpoint_key("ep-1");
  write(key, 1);
  write(key, 2);
  auto reader = open(store_role::reader);
  auto page = ok(reader->list_versions(key, 0, 20));
  EXPECT_EQ(page.total, 2);
  EXPECT_EQ(ok(reader->get_version(key, id(1))).content, content(1));
}

TEST_P(history_contract, an_export_without_history_imports_as_new_versions) {
  auto key = endpoint_key("ep-1");
  write(key, 1);
  config_record imported{key, "id-imp", R"({"imported":true})", 500, 7000};
  ok(writer().import_config_as_version(imported));
  EXPECT_EQ(ok(writer().get_config(key)), imported);
  auto versions = versions_of(key);
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0], (config_version{key, 2, "id-imp", imported.content,
                                         500, 7000, 0, false,
                                         change_origin::import, ""}));
  // The same record again changes nothing.
  ok(writer().import_config_as_version(imported));
  EXPECT_EQ(revisions_of(key), (std::vector<int64_t>{2, 1}));
}

TEST_P(history_contract, imported_versions_are_stored_as_given) {
  auto key = endpoint_key("ep-9");
  config_version old{key,  4,     "id-4", R"({"v":4})", 100, 400, 600,
                     false, change_origin::patch, "dave"};
  config_version gone{key, 5, "", "", 100, 600, 0, true,
                      change_origin::remove, ""};
  ok(writer().import_record(stored_record{old}));
  ok(writer().import_record(stored_record{gone}));
  EXPECT_EQ(versions_of(key), (std::vector<config_version>{gone, old}));
  EXPECT_EQ(ok(writer().revision_of(key)), 5);
  EXPECT_TRUE(fails_with(ec::not_found, writer().get_config(key)));
  // A write after them goes on from their revision.
  EXPECT_EQ(write(key, 7).revision, 6);
}

} // namespace

} // namespace ecr::test
