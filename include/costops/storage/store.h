// Storage of usage and cost records: one interface, stores chosen by URL.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "costops/domain/aggregate.h"
#include "costops/domain/budget.h"
#include "costops/domain/discount.h"
#include "costops/domain/records.h"
#include "costops/domain/status.h"

namespace costops::storage {

/// A model price stored in the database, layered over the catalog (the model as cost-ops catalog
/// JSON: {"id", "match"?, "prices", "variants"?}).
struct CustomPrice {
  std::string provider;
  std::string model_id;
  std::string entry_json;
  Timestamp added_at{};
};

struct WriteStats {
  uint64_t stored = 0;
  uint64_t duplicates = 0;  // records whose key was already stored (nothing written)
  uint64_t unpriced = 0;    // of `stored`, records without a price
};

namespace detail {
struct Row;
}

/// Records encoded for a store: keys, costs and JSON text, computed without the database. A
/// store's write() does this itself; a pipeline that encodes on one thread and writes on another
/// (the store's) keeps the store's thread for the database alone. Reusable: encoding the next
/// batch keeps the capacity of the last. Thread-compatible.
class EncodedRecords {
 public:
  EncodedRecords();
  ~EncodedRecords();
  EncodedRecords(EncodedRecords&&) noexcept;
  EncodedRecords& operator=(EncodedRecords&&) noexcept;

  /// Encodes `records`, replacing what this held. REQUIRES: `records` outlive the write() of
  /// this batch, unchanged (stores read their attribution there).
  void encode(std::span<const PricedRecord> records);
  std::span<const PricedRecord> records() const { return records_; }
  /// One row per record, in order (for stores).
  std::span<const detail::Row> rows() const;

 private:
  std::span<const PricedRecord> records_;
  std::vector<detail::Row> rows_;
};

/// How Store::open treats a SQLite file that does not exist, or a PostgreSQL database (the
/// schema its search_path names) without cost-ops' tables.
enum class OpenMode {
  kCreate,    ///< creates it (commands that write: init, ingest, pricing add, budget add)
  kExisting,  ///< an error (kNotFound): a command that reads must not read a mistyped path as
              ///< an empty database, that is, as no spend
};

/// A database of priced usage records. Records are keyed by their id, or by a content hash when
/// they have none (record_key), so writing the same record twice stores it once.
/// Thread-compatible: one Store per thread.
class Store {
 public:
  virtual ~Store() = default;

  /// Opens the store named by `url`: a path or "sqlite:PATH" (SQLite, the embedded default;
  /// created when missing unless `mode` is kExisting) or a postgresql:// URL. Applies pending
  /// schema migrations; refuses a database whose schema is newer than this build. The first SQLite
  /// store opened before the program initialized SQLite itself turns SQLite's memory statistics off
  /// (SQLITE_CONFIG_MEMSTATUS, as SQLite recommends: they lock a global mutex per allocation).
  static Result<std::unique_ptr<Store>> open(std::string_view url,
                                             OpenMode mode = OpenMode::kCreate);
  /// $COSTOPS_DB, else $XDG_DATA_HOME/cost-ops/costops.db (~/.local/share/... by default).
  static std::string default_url();

  virtual std::string url() const = 0;
  virtual int schema_version() const = 0;

  /// Writes `records` in one transaction: all or nothing. Duplicates are counted, not written.
  Result<WriteStats> write(std::span<const PricedRecord> records);
  /// The same for records encoded beforehand.
  virtual Result<WriteStats> write(const EncodedRecords& batch) = 0;
  /// Group-by totals computed by the database (same results as engine::Aggregator).
  virtual Result<std::vector<AggregateRow>> aggregate(const AggregateQuery& query) = 0;
  /// Calls `fn` with each stored record matching the query's filters and period, oldest first.
  virtual Status scan(const AggregateQuery& query,
                      const std::function<Status(const PricedRecord&)>& fn) = 0;
  /// Replaces the price of stored records (found by record_key; others are ignored) and moves
  /// their contribution in the daily totals, in one transaction. Returns how many were updated.
  virtual Result<uint64_t> update_costs(std::span<const PricedRecord> records) = 0;
  /// Deletes the stored records matching the query's period, filters, unpriced_only and source
  /// (its group keys aside) and takes them out of the daily totals, in one transaction: as if
  /// they had never been written. Returns how many were deleted.
  virtual Result<uint64_t> delete_records(const AggregateQuery& query) = 0;

  /// The records stored at exactly one of `times` whose id starts with `id_prefix`, oldest first
  /// (ingest's check of a usage report's time buckets against those stored).
  virtual Result<std::vector<PricedRecord>> records_at(std::span<const Timestamp> times,
                                                       std::string_view id_prefix) = 0;
  /// Deletes these stored records (found by their time and record_key; others are ignored) and
  /// takes them out of the daily totals, in one transaction. Returns how many were deleted.
  virtual Result<uint64_t> delete_stored(std::span<const PricedRecord> records) = 0;

  /// Adds or replaces custom model prices.
  virtual Status put_custom_prices(std::span<const CustomPrice> prices) = 0;
  /// All custom prices, by provider and model.
  virtual Result<std::vector<CustomPrice>> custom_prices() = 0;
  /// Removes one; false when there was none.
  virtual Result<bool> remove_custom_price(const std::string& provider,
                                           const std::string& model_id) = 0;

  /// Adds or replaces (by name) a budget.
  virtual Status put_budget(const Budget& budget) = 0;
  /// All budgets, by name.
  virtual Result<std::vector<Budget>> budgets() = 0;
  /// Removes one; false when there was none.
  virtual Result<bool> remove_budget(const std::string& name) = 0;

  /// Adds or replaces (by name) a contract discount. Errors: Discount::check's.
  virtual Status put_discount(const Discount& discount) = 0;
  /// All contract discounts, by name.
  virtual Result<std::vector<Discount>> discounts() = 0;
  /// Removes one; false when there was none.
  virtual Result<bool> remove_discount(const std::string& name) = 0;
};

/// Encodes batches on one thread and writes them, in the same order, on another: a pipeline
/// (such as ingest's, with IngestOptions::prepare) calls encode() with each batch as it is
/// complete and write() with the same batches later, while it goes on producing. Thread-safe for
/// one encoding and one writing thread. REQUIRES: `store` outlives this.
class PipelinedWriter {
 public:
  explicit PipelinedWriter(Store& store) : store_(store) {}
  /// Encodes `batch` for a later write(). REQUIRES: the records outlive that write, unchanged.
  void encode(std::span<const PricedRecord> batch);
  /// Writes `batch` (Store::write) with the encoding encode() made of it: the oldest not yet
  /// written that is of these records (older ones, never written, are dropped). A batch without
  /// one, or whose records changed since, is encoded here.
  Result<WriteStats> write(std::span<const PricedRecord> batch);

 private:
  Store& store_;
  std::mutex mu_;
  std::deque<EncodedRecords> encoded_;  // oldest first
  std::vector<EncodedRecords> spare_;   // written, kept for their capacity
};

/// The key a record is stored under: "id:" + its id, or "hash:" + a 128-bit content hash of its
/// timestamp (when it has its own), attribution, tags, metadata and usage. Stores keep one record
/// per (timestamp, key); records without a timestamp of their own are kept once per key, so
/// re-ingesting them later is idempotent too. The timestamp leads the unique index, which is also
/// the index for time ranges: time-ordered input appends to it, so ingest stays fast as the
/// database grows.
std::string record_key(const UsageRecord& r);

/// What copy_records and copy_settings did. Of the records selected, each is copied or found in
/// the destination already (by its key: a record ingested into both, or copied before).
struct CopyStats {
  uint64_t selected = 0;  // records read from the source
  WriteStats written;     // stored in the destination, or there already (duplicates)
  uint64_t budgets = 0, budgets_present = 0;      // copied; there already, the same
  uint64_t prices = 0, prices_present = 0;        // custom prices: copied; there already, the same
  uint64_t discounts = 0, discounts_present = 0;  // copied; there already, the same
  /// Left out as outside the selection's filters (copy_settings), as the kept lists name them.
  std::vector<std::string> budgets_outside, prices_outside;
  std::vector<std::string> discounts_outside;
  /// Budgets, custom prices ("provider/model") and discounts the destination has otherwise: kept
  /// as they are there.
  std::vector<std::string> budgets_kept, prices_kept, discounts_kept;
};

/// Copies the records of `from` that `query` selects (its period, filters, source and
/// unpriced_only; group keys aside) into `to`, as stored: with their prices, logged costs,
/// tags and sources, oldest first, in batches of `batch_size` records, each one transaction of
/// `to` (records and daily totals). Records `to` has under their key already are left as they
/// are there, so a copy cut short and run again completes it. `stats` counts what was done, up to
/// an error too; `on_batch`, when given, is called with it after each batch is written (a
/// terminal's progress). REQUIRES: `from` and `to` are different databases.
Status copy_records(Store& from, Store& to, const AggregateQuery& query, CopyStats* stats,
                    size_t batch_size = 10'000,
                    const std::function<void(const CopyStats&)>& on_batch = {});
/// Copies the budgets, custom prices and discounts of `from` that `to` has not (by name; by
/// provider and model; by name); those `to` has otherwise stay as they are there (CopyStats' kept
/// lists). With `selection` (the records' filters), only the budgets whose scope lies within it
/// (scope_within: a budget of OpenAI's spend with --filter provider=openai, not the budget of all
/// spend), and the custom prices and discounts of the providers (and models, for prices) it keeps
/// (its other keys, such as project, do not select them) are copied; the others are counted as
/// outside.
Status copy_settings(Store& from, Store& to, const std::vector<Filter>& selection,
                     CopyStats* stats);

/// The newest schema version this build knows.
inline constexpr int kSchemaVersion = 7;

}  // namespace costops::storage
