// Contract of moving data (`ecr export`, `ecr import`) on every backend: a
// store of all record kinds and two tenants exported, imported into a fresh
// database and exported again gives the same text and the same records;
// importing again changes nothing; bad input changes nothing.

#include "storage/record_lines.hpp"
#include "storage/transfer.hpp"

#include "tests/unit/store_contract.hpp"

#include <algorithm>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

namespace ecr::test {

namespace {

const std::string tricky_content
  = R"({"q":"say \"hi\"","text":"café ☃","n":1.50,"big":1e400})";

/// Input that can be read only once, like a pipe: it cannot seek.
class forward_only_buffer : public std::streambuf {
public:
  explicit forward_only_buffer(std::string text) : text_(std::move(text)) {
    setg(text_.data(), text_.data(), text_.data() + text_.size());
  }

private:
  std::string text_;
};

std::string export_text(store& source) {
  std::ostringstream out;
  ok(export_store(source, out));
  return out.str();
}

caf::expected<uint64_t> import_text(store& target, const std::string& text) {
  std::istringstream in{text};
  return import_store(target, in);
}

caf::expected<uint64_t> import_once(store& target, const std::string& text) {
  forward_only_buffer buffer{text};
  std::istream in{&buffer};
  return import_store(target, in);
}

std::vector<stored_record> records_of(store& source) {
  std::vector<stored_record> result;
  ok(source.export_records([&](const stored_record& x) {
    result.push_back(x);
    return caf::error{};
  }));
  return result;
}

/// `text` with its line `number` (from 1) replaced by `line`.
std::string with_line(const std::string& text, size_t number,
                      const std::string& line) {
  size_t start = 0;
  for (size_t i = 1; i < number; ++i)
    start = text.find('\n', start) + 1;
  auto end = text.find('\n', start);
  return text.substr(0, start) + line + text.substr(end);
}

size_t line_count(const std::string& text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

class transfer_contract : public store_contract {
protected:
  /// A writer on a second, fresh database of the same backend.
  store& target() {
    if (!target_) {
      target_db_ = ok(GetParam().make_database());
      target_ = ok(target_db_->open(store_role::writer));
    }
    return *target_;
  }

  /// Writes records of every kind for two tenants through the store's own
  /// methods; answers how many records there are.
  uint64_t fill() {
    put(endpoint_key("ep-1"), tricky_content, "c-1", 1000);
    put(endpoint_key("ep-1"), R"({"v":2})", "c-2", 2500); // updated later
    put(endpoint_key("ep-1", "v1", "net"), "[]", "c-3", 1100);
    put(default_key(), R"({"default":true})", "c-4", 1200);
    put(endpoint_key("ep-1", "v1", default_config_name, tenant_2), "1", "c-5",
        1300);
    put(default_key("v2", "net", tenant_2), R"("text")", "c-6", 1400);

    dispatch(status_of("ep-1", "c-2"), 3000);
    ok(writer().record_confirmation(confirmation(status_of("ep-1", "c-2"), 200,
                                                 "OK"),
                                    false, 3100));
    dispatch(status_of("ep-2", "c-4"), 3200);
    ok(writer().record_confirmation(confirmation(status_of("ep-2", "c-4"), 422,
                                                 "schema \"mismatch\""),
                                    false, 3300));
    dispatch(status_of("ep-3", "c-4"), 3400);
    dispatch(status_of("ep-1", "c-5", "v1", tenant_2), 3500);

    ok(writer().create_system_config(
      system_config(system_level::tenant, tenant_1, "logging", "s-1", 4000)));
    ok(writer().create_system_config(system_config(
      system_level::application, "meter", "logging", "s-2", 4100)));
    ok(writer().create_system_config(system_config(
      system_level::app_version, "v1", "logging", "s-3", 4200)));
    auto endpoint_level
      = system_config(system_level::endpoint, "ep-1", "net", "s-4", 4300);
    endpoint_level.display_name.clear();
    ok(writer().create_system_config(endpoint_level));
    ok(writer().create_system_config(system_config(
      system_level::tenant, tenant_2, "logging", "s-5", 4400, tenant_2)));
    auto update = endpoint_level;
    update.content = tricky_content;
    update.display_name = "Réseau";
    ok(writer().update_system_config(update, 4900));
    // Configurations, their versions, statuses, system configurations.
    return 5 + 6 + 4 + 5;
  }

  /// Records unlike those of `fill`, so a changed target shows.
  void fill_target() {
    ok(target().put_config(endpoint_key("ep-9"), "{}", {}, "t-1", 10));
    ok(target().create_system_config(
      system_config(system_level::endpoint, "ep-9", "x", "t-2", 20)));
  }

  /// Checks that `text` cannot be imported (in either reading mode), naming
  /// `line`, and that the target did not change.
  void expect_refused(const std::string& text, const std::string& line) {
    auto before = export_text(target());
    for (auto result : {import_text(target(), text),
                        import_once(target(), text)}) {
      ASSERT_TRUE(fails_with(ec::invalid_argument, result));
      EXPECT_EQ(error_message(result.error()).rfind(line, 0), 0u)
        << error_message(result.error());
    }
    EXPECT_EQ(export_text(target()), before);
  }

private:
  std::unique_ptr<backend_database> target_db_;
  store_ptr target_;
};

ECR_STORE_CONTRACT(transfer_contract);

TEST_P(transfer_contract, an_empty_store_exports_only_the_header) {
  std::ostringstream out;
  EXPECT_EQ(ok(export_store(writer(), out)), 0u);
  EXPECT_EQ(out.str(), header_line() + "\n");
  EXPECT_EQ(ok(import_text(target(), out.str())), 0u);
  EXPECT_TRUE(records_of(target()).empty());
}

TEST_P(transfer_contract, every_record_is_exported_once_per_line) {
  auto count = fill();
  std::ostringstream out;
  EXPECT_EQ(ok(export_store(writer(), out)), count);
  auto text = out.str();
  EXPECT_EQ(text.rfind(header_line() + "\n", 0), 0u);
  EXPECT_EQ(line_count(text), count + 1);
  EXPECT_EQ(text.back(), '\n');
  std::istringstream lines{text};
  std::string line;
  std::getline(lines, line);
  auto records = records_of(writer());
  for (const auto& record : records) {
    ASSERT_TRUE(std::getline(lines, line));
    EXPECT_EQ(ok(parse_line(line)), record);
  }
  EXPECT_EQ(records.size(), count);
}

TEST_P(transfer_contract, an_import_reproduces_the_store_exactly) {
  auto count = fill();
  auto text = export_text(writer());
  EXPECT_EQ(ok(import_text(target(), text)), count);
  EXPECT_EQ(export_text(target()), text);
  auto records = records_of(writer());
  EXPECT_EQ(records_of(target()), records);
  // Read back through the ordinary methods too, field for field.
  for (const auto& record : records) {
    if (auto x = std::get_if<config_record>(&record)) {
      EXPECT_EQ(ok(target().get_config(x->key)), *x);
    } else if (auto x = std::get_if<config_version>(&record)) {
      EXPECT_EQ(ok(target().get_version(x->key, x->config_id)), *x);
    } else if (auto x = std::get_if<system_config_record>(&record)) {
      EXPECT_EQ(ok(target().get_system_config(x->tenant_id, x->config_id)),
                *x);
    } else {
      auto& status = std::get<status_record>(record);
      auto query = statuses_of(status.endpoint_id, status.tenant_id);
      query.config_id = status.config_id;
      query.size = 10;
      auto page = ok(target().list_statuses(query));
      ASSERT_EQ(page.items.size(), 1u);
      EXPECT_EQ(page.items[0], status);
    }
  }
  // Imported data behaves as data written by the service.
  auto again = ok(target().put_config(endpoint_key("ep-1"), R"({"v":2})",
                                      if_match({"c-2"}), "c-new", 9000));
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(again.record.created_ms, 1000);
}

TEST_P(transfer_contract, importing_again_changes_nothing) {
  auto count = fill();
  auto text = export_text(writer());
  EXPECT_EQ(ok(import_text(target(), text)), count);
  EXPECT_EQ(ok(import_text(target(), text)), count);
  EXPECT_EQ(ok(import_once(target(), text)), count);
  EXPECT_EQ(export_text(target()), text);
}

TEST_P(transfer_contract, input_that_cannot_seek_is_imported_alike) {
  auto count = fill();
  auto text = export_text(writer());
  EXPECT_EQ(ok(import_once(target(), text)), count);
  EXPECT_EQ(export_text(target()), text);
}

TEST_P(transfer_contract, an_import_replaces_what_is_at_each_key) {
  fill();
  auto text = export_text(writer());
  ok(target().put_config(endpoint_key("ep-1"), R"({"old":1})", {}, "old-1",
                         50));
  ok(target().record_dispatch(status_of("ep-3", "c-4"), 60));
  ok(target().record_confirmation(confirmation(status_of("ep-3", "c-4"), 500,
                                               "old"),
                                  false, 70));
  // Same (tenant, level, levelId, name) as s-4 under another configId.
  ok(target().create_system_config(
    system_config(system_level::endpoint, "ep-1", "net", "old-2", 80)));
  // Not in the export: stays.
  ok(target().put_config(endpoint_key("ep-9"), "{}", {}, "keep", 90));

  ok(import_text(target(), text));
  auto records = records_of(writer());
  records.insert(records.begin(),
                 config_record{endpoint_key("ep-9"), "keep", "{}", 90, 90});
  records.insert(records.begin(),
                 config_version{endpoint_key("ep-9"), 1, "keep", "{}", 90, 90,
                                0, false, change_origin::put, ""});
  auto imported = records_of(target());
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return to_line(a) < to_line(b);
  });
  std::sort(imported.begin(), imported.end(), [](const auto& a, const auto& b) {
    return to_line(a) < to_line(b);
  });
  EXPECT_EQ(imported, records);
  EXPECT_TRUE(
    fails_with(ec::not_found, target().get_system_config(tenant_1, "old-2")));
}

TEST_P(transfer_contract, a_bad_line_anywhere_changes_nothing) {
  auto count = fill();
  auto text = export_text(writer());
  fill_target();
  auto middle = count / 2 + 1;
  expect_refused(with_line(text, middle, R"({"kind":"config"})"),
                 "line " + std::to_string(middle)
                   + ": field tenantId is missing");
  expect_refused(with_line(text, count + 1, "{\"kind\":"),
                 "line " + std::to_string(count + 1) + ": not JSON");
  expect_refused(text + "\n", "line " + std::to_string(count + 2) + ": ");
  expect_refused(with_line(text, 1, R"({"format":"ecr-export","version":9})"),
                 "line 1: export format version 9 is not supported");
  expect_refused(text.substr(text.find('\n') + 1),
                 "line 1: not an ecr export");
}

TEST_P(transfer_contract, an_export_without_history_still_imports) {
  // Format 1 had configurations without versions: each becomes a version.
  auto v1 = std::string{R"({"format":"ecr-export","version":1})"} + "\n"
            + to_line(config_record{endpoint_key("ep-1"), "c-1", "{}", 5, 6})
            + "\n";
  EXPECT_EQ(ok(import_text(target(), v1)), 1u);
  auto versions = ok(target().list_versions(endpoint_key("ep-1"), 0, 10));
  ASSERT_EQ(versions.total, 1);
  EXPECT_EQ(versions.items[0],
            (config_version{endpoint_key("ep-1"), 1, "c-1", "{}", 5, 6, 0,
                            false, change_origin::import, ""}));
  // Version lines need format 2.
  auto version_line = to_line(versions.items[0]);
  expect_refused(v1 + version_line + "\n",
                 "line 3: version records need export format 2");
}

TEST_P(transfer_contract, empty_input_is_not_an_export) {
  fill_target();
  expect_refused("", "the input is empty");
}

} // namespace

} // namespace ecr::test
