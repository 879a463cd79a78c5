#include "storage/transfer.hpp"

#include "core/error.hpp"
#include "storage/record_lines.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <istream>
#include <ostream>
#include <string>
#include <variant>

namespace ecr {

namespace {

/// Records per batch: a large import makes a few thousand durable commits
/// instead of one per record, and no transaction holds the whole export.
constexpr uint64_t import_batch_size = 1000;

/// The lines of an export, numbered from 1, each optionally copied to
/// `copy`. A line is cut after `max_line_bytes + 1` bytes: `parse_line`
/// refuses it, and a file without line breaks cannot take all memory.
class line_source {
public:
  line_source(std::streambuf& in, std::ostream* copy) : in_(in), copy_(copy) {
    // nop
  }

  /// The next line without its line break; false at the end of the input.
  bool next(std::string& line) {
    line.clear();
    for (;;) {
      auto c = in_.sbumpc();
      if (c == std::streambuf::traits_type::eof()) {
        if (line.empty())
          return false;
        break;
      }
      if (c == '\n')
        break;
      line.push_back(static_cast<char>(c));
      if (line.size() > max_line_bytes)
        break;
    }
    ++number_;
    if (copy_)
      copy_->write(line.data(), static_cast<std::streamsize>(line.size()))
        .put('\n');
    return true;
  }

  uint64_t number() const noexcept {
    return number_;
  }

private:
  std::streambuf& in_;
  std::ostream* copy_;
  uint64_t number_ = 0;
};

/// Checks the header of `in` and calls `f` with each record after it and the
/// export's format version; answers how many there were. Errors, of the
/// input or of `f`, name the line they happened on.
template <class F>
caf::expected<uint64_t>
for_each_record(std::streambuf& in, std::ostream* copy, F f) {
  line_source lines{in, copy};
  std::string line;
  auto at_line = [&](const caf::error& err) {
    return make_error(error_code(err), "line " + std::to_string(lines.number())
                                         + ": " + error_message(err));
  };
  if (!lines.next(line))
    return make_error(ec::invalid_argument,
                      "the input is empty; an export starts with "
                        + header_line());
  auto format = read_header(line);
  if (!format)
    return at_line(format.error());
  uint64_t count = 0;
  while (lines.next(line)) {
    auto record = parse_line(line);
    if (!record)
      return at_line(record.error());
    if (*format < 2 && std::holds_alternative<config_version>(*record))
      return at_line(make_error(ec::invalid_argument,
                                "version records need export format 2"));
    if (auto err = f(*record, *format))
      return at_line(err);
    ++count;
  }
  return count;
}

/// Writes records in batches of `import_batch_size`.
class batch_writer {
public:
  explicit batch_writer(store& target) : target_(target) {
    // nop
  }

  /// Writes `record` of an export of format version `format`: a
  /// configuration from an export without history becomes a new version.
  caf::error add(const stored_record& record, int format) {
    if (!open_) {
      if (auto err = target_.begin_batch())
        return err;
      open_ = true;
    }
    const auto* legacy = format < 2 ? std::get_if<config_record>(&record)
                                    : nullptr;
    if (auto err = legacy ? target_.import_config_as_version(*legacy)
                          : target_.import_record(record))
      return err;
    return ++pending_ == import_batch_size ? commit() : caf::error{};
  }

  /// Makes the open batch durable, if any.
  caf::error commit() {
    if (!open_)
      return {};
    open_ = false;
    pending_ = 0;
    return target_.commit_batch();
  }

private:
  store& target_;
  bool open_ = false;
  uint64_t pending_ = 0;
};

caf::expected<uint64_t> import_checked(store& target, std::streambuf& in) {
  batch_writer writer{target};
  auto count = for_each_record(in, nullptr,
                               [&](const stored_record& x, int format) {
                                 return writer.add(x, format);
                               });
  // Also after a failure: what was written stays, and the batch ends.
  auto committed = writer.commit();
  if (!count)
    return count.error();
  if (committed)
    return committed;
  return count;
}

caf::expected<uint64_t> check_all(std::streambuf& in, std::ostream* copy) {
  return for_each_record(in, copy, [](const stored_record&, int) {
    return caf::error{};
  });
}

caf::error io_failure(std::string what) {
  return make_error(ec::storage_failure, std::move(what));
}

/// A temporary file for input that cannot be read twice; removed when the
/// object goes away.
class spool_file {
public:
  spool_file() = default;
  spool_file(const spool_file&) = delete;
  spool_file& operator=(const spool_file&) = delete;

  ~spool_file() {
    if (path_.empty())
      return;
    stream_.close();
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }

  caf::error open() {
    std::error_code err;
    auto dir = std::filesystem::temp_directory_path(err);
    if (err)
      return io_failure("no directory for a temporary file: " + err.message());
    auto path = (dir / "ecr-import-XXXXXX").string();
    auto fd = ::mkstemp(path.data());
    if (fd < 0)
      return io_failure("cannot create a temporary file in " + dir.string()
                        + ": " + std::strerror(errno));
    ::close(fd);
    path_ = path;
    stream_.open(path_, std::ios::in | std::ios::out | std::ios::binary
                          | std::ios::trunc);
    if (!stream_)
      return io_failure("cannot open " + path_);
    return {};
  }

  std::fstream& stream() noexcept {
    return stream_;
  }

private:
  std::string path_;
  std::fstream stream_;
};

} // namespace

caf::expected<uint64_t> export_store(store& source, std::ostream& out) {
  auto write = [&](const std::string& line) {
    out.write(line.data(), static_cast<std::streamsize>(line.size())).put('\n');
    return out ? caf::error{} : io_failure("cannot write the export");
  };
  if (auto err = write(header_line()))
    return err;
  uint64_t count = 0;
  auto err = source.export_records([&](const stored_record& x) {
    ++count;
    return write(to_line(x));
  });
  if (err)
    return err;
  if (!out.flush())
    return io_failure("cannot write the export");
  return count;
}

caf::expected<uint64_t> import_store(store& target, std::istream& in) {
  auto& buf = *in.rdbuf();
  auto start = buf.pubseekoff(0, std::ios::cur, std::ios::in);
  if (start != std::streampos(std::streamoff(-1))) {
    if (auto checked = check_all(buf, nullptr); !checked)
      return checked.error();
    if (buf.pubseekpos(start, std::ios::in) != start)
      return io_failure("cannot read the input a second time");
    return import_checked(target, buf);
  }
  spool_file spool;
  if (auto err = spool.open())
    return err;
  auto& copy = spool.stream();
  if (auto checked = check_all(buf, &copy); !checked)
    return checked.error();
  if (!copy.flush() || !copy.seekg(0))
    return io_failure("cannot write the temporary copy of the input");
  return import_checked(target, *copy.rdbuf());
}

} // namespace ecr
