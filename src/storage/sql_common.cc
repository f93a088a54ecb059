#include "storage/sql_common.h"

#include <simdjson.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "costops/domain/json_text.h"
#include "costops/storage/store.h"

namespace costops::storage::detail {
namespace {

using json = nlohmann::json;

// The day a usage_records row's ts falls in, as Row::day (daily_totals' day).
constexpr const char* kDayOfTs =
    "(CASE WHEN ts >= 0 THEN ts / 86400000000 ELSE (ts - 86399999999) / 86400000000 END)";

// The columns a scan reads, in read_scanned's order (plan_scan, records_at).
constexpr const char* kScanColumns =
    "ts, provider, model, organization, project, user_id, priced, currency, tags, detail, key_day, "
    "cost_e6, cost_e15, cost_e24, input_tokens, output_tokens, requests";

// kTotalsColumns as schema 5 had them, before the token parts (for its migration).
constexpr const char* kTotalsColumnsV5 =
    "day, provider, model, organization, project, currency, records, unpriced, input_tokens, "
    "output_tokens, cost_e6, cost_e15, cost_e24, requests";

// The daily totals of the usage_records rows `where` selects (" WHERE ..."), in kTotalsColumns'
// order (kTotalsColumnsV5' without `token_parts`), each counter with `sign` ("" to add them, "-"
// to take them out).
std::string totals_of(std::string_view sign, std::string_view where, bool token_parts = true) {
  std::string s = "SELECT ";
  s += kDayOfTs;
  s += ", provider, model, organization, project, currency";
  std::vector<const char*> sums = {"COUNT(*)",           "SUM(1 - priced)", "SUM(input_tokens)",
                                   "SUM(output_tokens)", "SUM(cost_e6)",    "SUM(cost_e15)",
                                   "SUM(cost_e24)",      "SUM(requests)"};
  if (token_parts) {
    sums.insert(sums.end(),
                {"SUM(cache_read_tokens)", "SUM(cache_write_tokens)", "SUM(reasoning_tokens)"});
  }
  for (const char* sum : sums) s.append(", ").append(sign).append(sum);
  s.append(" FROM usage_records").append(where).append(" GROUP BY 1, 2, 3, 4, 5, 6");
  return s;
}

// Tags as one JSON object, into `out` (cleared first; its capacity is reused).
void tags_json(const UsageRecord& r, std::string& out) {
  out.clear();
  append_json_object(out, r.tags);
}

// The record's fields that are not columns, as one JSON object, into `d` (cleared first).
// Fields at their defaults (no flavor, standard tier, not batch, prices valid "always", no
// warnings, no logged cost) are left out, and so are the input and output tokens and the total
// cost, which columns hold; read_scanned restores them all. Narrow rows are what makes ingest fast.
void detail_json(const PricedRecord& pr, std::string& d) {
  const UsageRecord& r = pr.usage;
  d.assign("{\"id\":");
  append_json_string(d, r.id);
  if (!r.api_flavor.empty()) {
    d += ",\"api_flavor\":";
    append_json_string(d, r.api_flavor);
  }
  if (!r.service_tier.empty()) {
    d += ",\"service_tier\":";
    append_json_string(d, r.service_tier);
  }
  if (r.batch) d += ",\"batch\":true";
  if (r.tier_input_tokens >= 0)
    d += ",\"tier_input_tokens\":" + std::to_string(r.tier_input_tokens);
  if (!r.metadata_json.empty()) {
    d += ",\"metadata\":";
    d += r.metadata_json;
  }
  d += ",\"source\":";
  append_json_string(d, r.source);
  if (r.logged_cost) {
    d += ",\"logged_cost\":\"";
    r.logged_cost->append_to(d);
    d += '"';
  }
  d += ",\"usage\":";
  Usage rest = r.usage;  // zero counts are not written
  rest.counts[units::kInputTokens] = rest.counts[units::kOutputTokens] = 0;
  append_usage_json(d, rest);
  if (pr.cost) {
    const CostRecord& c = *pr.cost;
    d += ",\"model_id\":";
    append_json_string(d, c.model);
    d += ",\"input_cost\":\"";
    c.input_cost.amount.append_to(d);
    d += "\",\"output_cost\":\"";
    c.output_cost.amount.append_to(d);
    d += '"';
    if (c.price_version != "always") {
      d += ",\"price_version\":";
      append_json_string(d, c.price_version);
    }
    d += ",\"catalog_entry\":";
    append_json_string(d, c.catalog_entry);
    if (c.discount) {
      const AppliedDiscount& a = *c.discount;
      d += ",\"discount\":{\"name\":";
      append_json_string(d, a.name);
      for (const auto& [key, amount] : {std::pair{"percent", &a.percent},
                                        {"list_input", &a.list_input.amount},
                                        {"list_output", &a.list_output.amount},
                                        {"list_total", &a.list_total.amount}}) {
        d += ",\"";
        d += key;
        d += "\":\"";
        amount->append_to(d);
        d += '"';
      }
      d += '}';
    }
    if (!c.warnings.empty()) {
      d += ",\"warnings\":[";
      for (size_t i = 0; i < c.warnings.size(); ++i) {
        if (i) d += ',';
        append_json_string(d, c.warnings[i]);
      }
      d += ']';
    }
  } else {
    d += ",\"unpriced_reason\":";
    append_json_string(d, pr.unpriced_reason);
  }
  d += '}';
}

// Whether a key's values are text read from JSON columns (a tag's, or the tier the detail
// column says), not ids of dims values.
bool text_key(GroupKey::Kind k) { return k == GroupKey::Kind::kTag || k == GroupKey::Kind::kTier; }

const char* dim_column(GroupKey::Kind k) {
  switch (k) {
    case GroupKey::Kind::kProvider:
      return "provider";
    case GroupKey::Kind::kModel:
      return "model";
    case GroupKey::Kind::kOrganization:
      return "organization";
    case GroupKey::Kind::kProject:
      return "project";
    case GroupKey::Kind::kUser:
      return "user_id";
    default:
      return nullptr;
  }
}

int dim_kind(GroupKey::Kind k) {
  switch (k) {
    case GroupKey::Kind::kProvider:
      return kDimProvider;
    case GroupKey::Kind::kModel:
      return kDimModel;
    case GroupKey::Kind::kOrganization:
      return kDimOrganization;
    case GroupKey::Kind::kProject:
      return kDimProject;
    case GroupKey::Kind::kUser:
      return kDimUser;
    default:
      return -1;
  }
}

bool day_aligned(const std::optional<Timestamp>& t) {
  return !t || t->time_since_epoch().count() % kUsPerDay == 0;
}

// " WHERE ..." over usage_records or daily_totals; appends params.
bool where_clause(const AggregateQuery& q, const Dialect& d, const DimIds& dim_ids, bool rollup,
                  SqlQuery* out, std::string* where) {
  std::vector<std::string> conds;
  auto param = [&](SqlParam p) {
    out->params.push_back(std::move(p));
    return d.param(static_cast<int>(out->params.size()));
  };
  if (q.unpriced_only) conds.push_back("priced = 0");  // planned on usage_records only
  if (!q.source.empty()) {                             // usage_records only too: "<input>:<line>"
    const std::string prefix = q.source + ":";
    // Compared by its length in characters (as both substr count), given as a number: a
    // parameter's length would leave PostgreSQL to guess its type.
    const auto chars = std::count_if(prefix.begin(), prefix.end(), [](char c) {
      return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    });
    conds.push_back("substr(" +
                    std::string(d.postgres ? "(detail::jsonb) ->> 'source'"
                                           : "json_extract(detail, '$.source')") +
                    ", 1, " + std::to_string(chars) + ") = " + param(prefix));
  }
  if (q.from)
    conds.push_back((rollup ? "day >= " : "ts >= ") +
                    param(q.from->time_since_epoch().count() / (rollup ? kUsPerDay : 1)));
  if (q.to)
    conds.push_back((rollup ? "day < " : "ts < ") +
                    param(q.to->time_since_epoch().count() / (rollup ? kUsPerDay : 1)));
  // Filters combine by key (FilterGroup): one of a key's KEY=VALUE filters and none of its
  // KEY!=VALUE ones.
  for (const auto& g : group_filters(q.filters)) {
    if (text_key(g.key.kind)) {
      // A tag's value, or the tier the detail column says, matched in SQL.
      auto text_match = [&](const Filter& f) {
        std::string value = d.tier_value();
        if (f.key.kind == GroupKey::Kind::kTag) {
          out->params.push_back(d.tag_param(f.key.tag));
          value = d.tag_value(static_cast<int>(out->params.size()));
        }
        return f.is_pattern() ? d.glob(value, param(d.glob_param(f.value)))
                              : value + " = " + param(f.value);
      };
      std::string any;
      for (const auto& f : g.any_of) any += (any.empty() ? "" : " OR ") + text_match(f);
      if (!any.empty()) conds.push_back("(" + any + ")");
      for (const auto& f : g.none_of) conds.push_back("NOT (" + text_match(f) + ")");
      continue;
    }
    // The ids of the values the filters match: written into the SQL (integers of the dims
    // table), as a pattern may match more values than a statement takes parameters.
    auto ids_of = [&](const std::vector<Filter>& filters) {
      std::vector<int64_t> ids;
      for (const auto& f : filters) {
        const auto more = dim_ids(dim_kind(g.key.kind), f);
        ids.insert(ids.end(), more.begin(), more.end());
      }
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      std::string in;
      for (int64_t id : ids) in += (in.empty() ? "" : ", ") + std::to_string(id);
      return in;
    };
    if (!g.any_of.empty()) {
      const std::string in = ids_of(g.any_of);
      if (in.empty()) return false;  // no stored value matches: no record
      conds.push_back(std::string(dim_column(g.key.kind)) + " IN (" + in + ")");
    }
    if (const std::string in = ids_of(g.none_of); !in.empty())
      conds.push_back(std::string(dim_column(g.key.kind)) + " NOT IN (" + in + ")");
  }
  where->clear();
  for (size_t i = 0; i < conds.size(); ++i) *where += (i == 0 ? " WHERE " : " AND ") + conds[i];
  return true;
}

// The usage_records table: schema 1 keyed by (key_hi, key_lo); schema 2 adds key_day (the
// unique index on (key_day, key_hi, key_lo) is created beside it).
std::string usage_records_table(const std::string& name, const Dialect& d, bool with_key_day) {
  const std::string i = d.postgres ? "BIGINT" : "INTEGER";
  const std::string json_type = d.postgres ? "JSONB" : "TEXT";
  return R"sql(
CREATE TABLE )sql" +
         name + R"sql( (
  key_hi )sql" +
         i + R"sql( NOT NULL,  -- 128-bit hash of the record key (id, or content)
  key_lo )sql" +
         i + R"sql( NOT NULL,
  ts )sql" +
         i + R"sql( NOT NULL,      -- microseconds since 1970-01-01 UTC
  provider )sql" +
         i + R"sql( NOT NULL,  -- dims ids
  model )sql" +
         i + R"sql( NOT NULL,
  organization )sql" +
         i + R"sql( NOT NULL,
  project )sql" +
         i + R"sql( NOT NULL,
  user_id )sql" +
         i + R"sql( NOT NULL,
  input_tokens )sql" +
         i + R"sql( NOT NULL,
  output_tokens )sql" +
         i + R"sql( NOT NULL,
  priced INTEGER NOT NULL,           -- 0: unpriced (reason in detail), never $0
  currency )sql" +
         i + R"sql( NOT NULL,
  cost_e6 )sql" +
         i + R"sql( NOT NULL,   -- total cost = e6*10^-6 + e15*10^-15 + e24*10^-24, exact
  cost_e15 )sql" +
         i + R"sql( NOT NULL,
  cost_e24 )sql" +
         i + R"sql( NOT NULL,
  tags )sql" +
         json_type + R"sql( NOT NULL,   -- JSON object
  detail TEXT NOT NULL,              -- JSON: id, flavor, tier, batch, metadata, source, usage, prices, ...
)sql" +
         (with_key_day ? "  key_day " + i + " NOT NULL  -- day of the own timestamp, -1: none\n"
                       : std::string("  PRIMARY KEY (key_hi, key_lo)\n")) +
         ");\n";
}

}  // namespace

std::string migration(int version, const Dialect& d) {
  assert(version >= 0 && version < kSchemaVersion);
  const std::string i = d.postgres ? "BIGINT" : "INTEGER";
  const std::string day_of_ts = kDayOfTs;
  // A daily_totals row and a row x of sums per day and group (UPDATE daily_totals ... FROM x).
  std::string same_group;
  for (const char* c : {"day", "provider", "model", "organization", "project", "currency"})
    same_group +=
        std::string(same_group.empty() ? "" : " AND ") + "daily_totals." + c + " = x." + c;
  if (version == 6) {
    // Schema 7: contract discounts (a percentage off a provider's list prices, for some days).
    return R"sql(
CREATE TABLE discounts (
  name TEXT PRIMARY KEY,
  provider TEXT NOT NULL,
  models TEXT NOT NULL,              -- JSON list of names and patterns, [] for all
  percent TEXT NOT NULL,             -- exact decimal
  first_day TEXT NOT NULL,           -- YYYY-MM-DD, '' when open
  last_day TEXT NOT NULL
);
)sql";
  }
  if (version == 5) {
    // Schema 6: each record's cache reads, cache writes and reasoning tokens (token_parts) as
    // columns, summed in the daily totals, so that queries of any period and grouping have them.
    // Stored records take them from the usage kept in their detail.
    auto count = [&](const char* key) {
      const std::string k(key);
      return "COALESCE(" +
             (d.postgres ? "((detail::jsonb) -> 'usage' ->> '" + k + "')::bigint"
                         : "json_extract(detail, '$.usage." + k + "')") +
             ", 0)";
    };
    auto given = [&](const char* key) {
      const std::string k(key);
      return d.postgres ? "((detail::jsonb) -> 'usage') ? '" + k + "'"
                        : "json_type(detail, '$.usage." + k + "') IS NOT NULL";
    };
    const std::string cache_read =
        "CASE WHEN " + given("cache_read_tokens") + " THEN " + count("cache_read_tokens") +
        " ELSE " + count("cache_text_read_tokens") + " + " + count("cache_audio_read_tokens") +
        " + " + count("cache_image_read_tokens") + " END";
    const std::string cache_write =
        "CASE WHEN " + given("cache_write_tokens") + " THEN " + count("cache_write_tokens") +
        " ELSE " + count("cache_write_5m_tokens") + " + " + count("cache_write_1h_tokens") + " END";
    std::string sql;
    for (const char* table : {"usage_records", "daily_totals"}) {
      for (const char* c : {"cache_read_tokens", "cache_write_tokens", "reasoning_tokens"})
        sql += std::string("ALTER TABLE ") + table + " ADD COLUMN " + c + " " + i +
               " NOT NULL DEFAULT 0;";
    }
    return sql + "UPDATE usage_records SET cache_read_tokens = " + cache_read +
           ", cache_write_tokens = " + cache_write +
           ", reasoning_tokens = " + count("output_reasoning_tokens") +
           " WHERE detail LIKE '%cache%' OR detail LIKE '%reasoning%';"
           "UPDATE daily_totals SET cache_read_tokens = x.cr, cache_write_tokens = x.cw, "
           "reasoning_tokens = x.rs FROM (SELECT " +
           day_of_ts +
           " AS day, provider, model, organization, project, currency, SUM(cache_read_tokens) AS "
           "cr, SUM(cache_write_tokens) AS cw, SUM(reasoning_tokens) AS rs FROM usage_records "
           "WHERE cache_read_tokens <> 0 OR cache_write_tokens <> 0 OR reasoning_tokens <> 0 "
           "GROUP BY 1, 2, 3, 4, 5, 6) AS x WHERE " +
           same_group + ";";
  }
  if (version == 4) {
    // Schema 5: a priced record that names no provider is counted under the catalog provider
    // that priced it (provider_of). Stored ones take it from their detail's catalog_entry,
    // "<catalog source>#<provider>/<model_id>": what is left of the '/' before the model id,
    // after the last '#'. The daily totals of their days are then summed anew from the records.
    std::string provider_of;
    if (d.postgres) {
      provider_of =
          "substring(left((usage_records.detail::jsonb) ->> 'catalog_entry', "
          "length((usage_records.detail::jsonb) ->> "
          "'catalog_entry') - length((usage_records.detail::jsonb) ->> 'model_id') - 1) from "
          "'[^#]*$')";
    } else {
      // SQLite has no "after the last '#'": rtrim by every other character leaves the text up
      // to it, which replace() then removes.
      const std::string entry = "json_extract(usage_records.detail, '$.catalog_entry')";
      const std::string head = "substr(" + entry + ", 1, length(" + entry +
                               ") - length(json_extract(usage_records.detail, '$.model_id')) - 1)";
      provider_of =
          "replace(" + head + ", rtrim(" + head + ", replace(" + head + ", '#', '')), '')";
    }
    const std::string none = "(SELECT id FROM dims WHERE kind = 0 AND value = '')";
    const std::string moved = "usage_records.priced = 1 AND usage_records.provider = " + none +
                              " AND " + provider_of + " <> ''";
    return "CREATE TEMP TABLE moved_days AS SELECT DISTINCT day FROM daily_totals WHERE "
           "provider = " +
           none +
           " AND records > unpriced;"
           "INSERT INTO dims (kind, value) SELECT DISTINCT 0, " +
           provider_of + " FROM usage_records WHERE " + moved +
           " ON CONFLICT (kind, value) DO NOTHING;"
           "UPDATE usage_records SET provider = (SELECT id FROM dims WHERE kind = 0 AND value = " +
           provider_of + ") WHERE " + moved +
           ";"
           "DELETE FROM daily_totals WHERE day IN (SELECT day FROM moved_days);"
           "INSERT INTO daily_totals (" +
           kTotalsColumnsV5 + ") " +
           totals_of("", " WHERE " + day_of_ts + " IN (SELECT day FROM moved_days)", false) +
           ";"
           "DROP TABLE moved_days;";
  }
  if (version == 3) {
    // Schema 4: the requests each record counts (a row of a provider's usage report counts many),
    // summed in the daily totals. Stored records take theirs from the usage kept in their detail
    // (without a count, a record is one request); each day's totals then count one request per
    // record plus what its records count beyond one.
    const std::string stored = d.postgres ? "((detail::jsonb) -> 'usage' ->> 'requests')::bigint"
                                          : "json_extract(detail, '$.usage.requests')";
    const std::string day_totals =
        "SELECT " + day_of_ts +
        " AS day, provider, model, organization, project, currency, SUM(requests - 1) AS extra "
        "FROM usage_records WHERE requests <> 1 GROUP BY 1, 2, 3, 4, 5, 6";
    return "ALTER TABLE usage_records ADD COLUMN requests " + i + " NOT NULL DEFAULT 1;" +
           "UPDATE usage_records SET requests = " + stored +
           " WHERE detail LIKE '%\"requests\":%' AND " + stored + " IS NOT NULL;" +
           "ALTER TABLE daily_totals ADD COLUMN requests " + i + " NOT NULL DEFAULT 0;" +
           "UPDATE daily_totals SET requests = records;" +
           "UPDATE daily_totals SET requests = daily_totals.requests + x.extra FROM (" +
           day_totals + ") AS x WHERE " + same_group + ";";
  }
  if (version == 2) {
    // Schema 3: records are unique per (timestamp, key), and that unique index is the time index
    // too. Time-ordered input appends to it; schema 2's (day, key) index took each insert to a
    // random page of the day, and a second index on ts was kept beside it. Records without a
    // timestamp of their own (key_day -1) are unique by key alone, in a partial index.
    return "DROP INDEX IF EXISTS usage_records_key;"
           "DROP INDEX IF EXISTS usage_records_ts;"
           "CREATE UNIQUE INDEX usage_records_key ON usage_records (ts, key_hi, key_lo);"
           "CREATE UNIQUE INDEX usage_records_untimed ON usage_records (key_hi, key_lo) "
           "WHERE key_day = -1;";
  }
  if (version == 1) {
    // Schema 2: records are unique per (day of their own timestamp, key) instead of per key, so
    // the unique index grows with time rather than at random (see record_key).
    if (d.postgres) {
      return "ALTER TABLE usage_records ADD COLUMN key_day BIGINT;"
             "UPDATE usage_records SET key_day = " +
             day_of_ts +
             ";"
             "ALTER TABLE usage_records ALTER COLUMN key_day SET NOT NULL;"
             "ALTER TABLE usage_records DROP CONSTRAINT usage_records_pkey;"
             "CREATE UNIQUE INDEX usage_records_key ON usage_records (key_day, key_hi, key_lo);";
    }
    // SQLite cannot drop a primary key: rebuild the table with the same columns plus key_day.
    return usage_records_table("usage_records_v2", d, /*with_key_day=*/true) +
           "INSERT INTO usage_records_v2 SELECT *, " + day_of_ts +
           " FROM usage_records;"
           "DROP TABLE usage_records;"
           "ALTER TABLE usage_records_v2 RENAME TO usage_records;"
           "CREATE INDEX usage_records_ts ON usage_records (ts);"
           "CREATE UNIQUE INDEX usage_records_key ON usage_records (key_day, key_hi, key_lo);";
  }
  // One definition for both dialects; only types and table options differ.
  const std::string id =
      d.postgres ? "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" : "INTEGER PRIMARY KEY";
  const std::string json_type = d.postgres ? "JSONB" : "TEXT";
  const std::string clustered = d.postgres ? "" : " WITHOUT ROWID";
  return R"sql(
CREATE TABLE dims (
  id )sql" +
         id + R"sql(,
  kind INTEGER NOT NULL,             -- 0 provider, 1 model, 2 organization, 3 project, 4 user, 5 currency
  value TEXT NOT NULL,
  UNIQUE (kind, value)
);
)sql" + usage_records_table("usage_records", d, /*with_key_day=*/false) +
         R"sql(
CREATE INDEX usage_records_ts ON usage_records (ts);
CREATE TABLE daily_totals (
  day )sql" +
         i + R"sql( NOT NULL,     -- days since 1970-01-01 UTC
  provider )sql" +
         i + R"sql( NOT NULL,
  model )sql" +
         i + R"sql( NOT NULL,
  organization )sql" +
         i + R"sql( NOT NULL,
  project )sql" +
         i + R"sql( NOT NULL,
  currency )sql" +
         i + R"sql( NOT NULL,
  records )sql" +
         i + R"sql( NOT NULL,
  unpriced )sql" +
         i + R"sql( NOT NULL,
  input_tokens )sql" +
         i + R"sql( NOT NULL,
  output_tokens )sql" +
         i + R"sql( NOT NULL,
  cost_e6 )sql" +
         i + R"sql( NOT NULL,
  cost_e15 )sql" +
         i + R"sql( NOT NULL,
  cost_e24 )sql" +
         i + R"sql( NOT NULL,
  PRIMARY KEY (day, provider, model, organization, project, currency)
))sql" + clustered +
         R"sql(;
CREATE TABLE custom_prices (
  provider TEXT NOT NULL,
  model_id TEXT NOT NULL,
  entry TEXT NOT NULL,               -- the model as cost-ops catalog JSON
  added_at )sql" +
         i + R"sql( NOT NULL,
  PRIMARY KEY (provider, model_id)
);
CREATE TABLE budgets (
  name TEXT PRIMARY KEY,
  scope TEXT NOT NULL,               -- JSON list of filters, [] for all
  period TEXT NOT NULL,
  amount TEXT NOT NULL,              -- exact decimal
  currency TEXT NOT NULL,
  thresholds TEXT NOT NULL           -- JSON list of percentages
);
)sql";
}

Status DimCache::load(const RunSql& run) {
  for (auto& m : ids_) m.clear();
  values_.clear();
  return run("SELECT id, kind, value FROM dims", {}, [&](const ResultRow& r) {
    const int64_t id = r.i64(0);
    const int64_t kind = r.i64(1);
    if (kind < 0 || kind >= kDimKinds) return;
    std::string v = r.text(2);
    ids_[kind][v] = id;
    values_[id] = std::move(v);
  });
}

Status DimCache::refresh(const RunSql& run) {
  int64_t rows = 0;
  COSTOPS_RETURN_IF_ERROR(
      run("SELECT COUNT(*) FROM dims", {}, [&](const ResultRow& r) { rows = r.i64(0); }));
  // Values are never taken out of the table, so more rows than values cached means new ones.
  return rows > static_cast<int64_t>(values_.size()) ? load(run) : Status::ok();
}

Result<int64_t> DimCache::id(int kind, std::string_view value,
                             const std::function<Result<int64_t>()>& insert) {
  if (const int64_t known = find(kind, value); known >= 0) return known;
  auto id = insert();
  if (!id) return id.status();
  put(kind, std::string(value), *id);
  return *id;
}

std::vector<std::pair<int, std::string>> DimCache::missing(
    std::span<const PricedRecord> records) const {
  std::vector<std::pair<int, std::string>> out;
  std::unordered_set<std::string_view> seen[kDimKinds];
  std::string_view values[kDimKinds];
  for (const auto& r : records) {
    dim_values(r, values);
    for (int k = 0; k < kDimKinds; ++k) {
      if (find(k, values[k]) < 0 && seen[k].insert(values[k]).second)
        out.emplace_back(k, std::string(values[k]));
    }
  }
  return out;
}

void DimCache::put(int kind, std::string value, int64_t id) {
  values_[id] = value;
  ids_[kind].insert_or_assign(std::move(value), id);
}

Status DimCache::ids_of(const PricedRecord& r, int64_t ids[kDimKinds], const AddDim& add) const {
  std::string_view values[kDimKinds];
  dim_values(r, values);
  for (int k = 0; k < kDimKinds; ++k) {
    ids[k] = find(k, values[k]);
    if (ids[k] >= 0) continue;
    auto id = add(k, values[k]);
    if (!id) return id.status();
    ids[k] = *id;
  }
  return Status::ok();
}

DimIds DimCache::lookup() const {
  return [this](int kind, const Filter& f) {
    std::vector<int64_t> ids;
    if (!f.is_pattern()) {
      if (const int64_t id = find(kind, f.value); id >= 0) ids.push_back(id);
      return ids;
    }
    for (const auto& [value, id] : ids_[kind]) {
      if (f.matches(value)) ids.push_back(id);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  };
}

DimValue DimCache::names() const {
  return [this](int64_t id) {
    auto it = values_.find(id);
    return it == values_.end() ? std::string() : it->second;
  };
}

void dim_values(const PricedRecord& pr, std::string_view out[kDimKinds]) {
  const UsageRecord& r = pr.usage;
  out[kDimProvider] = provider_of(pr);
  out[kDimModel] = r.model;
  out[kDimOrganization] = r.organization_id;
  out[kDimProject] = r.project_id;
  out[kDimUser] = r.user_id;
  out[kDimCurrency] = pr.cost ? pr.cost->total_cost.currency.code() : std::string_view();
}

void key_hash(const UsageRecord& r, int64_t* hi, int64_t* lo) {
  if (!r.id.empty()) {  // record_key(r), hashed without building it
    *hi = static_cast<int64_t>(fnv1a(r.id, fnv1a("id:", kKeySeedHi)));
    *lo = static_cast<int64_t>(fnv1a(r.id, fnv1a("id:", kKeySeedLo)));
  } else {
    const std::string key = record_key(r);
    *hi = static_cast<int64_t>(fnv1a(key, kKeySeedHi));
    *lo = static_cast<int64_t>(fnv1a(key, kKeySeedLo));
  }
}

void make_row(const PricedRecord& pr, Row* row) {
  const UsageRecord& r = pr.usage;
  key_hash(r, &row->key_hi, &row->key_lo);
  row->ts = r.timestamp.time_since_epoch().count();
  row->day = row->ts >= 0 ? row->ts / kUsPerDay : (row->ts - kUsPerDay + 1) / kUsPerDay;
  row->key_day = r.has_timestamp ? row->day : kNoOwnDay;
  row->input_tokens = r.usage.get(units::kInputTokens);
  row->output_tokens = r.usage.get(units::kOutputTokens);
  row->requests = r.usage.requests();
  const TokenParts parts = token_parts(r.usage);
  row->cache_read_tokens = parts.cache_read;
  row->cache_write_tokens = parts.cache_write;
  row->reasoning_tokens = parts.reasoning;
  row->priced = pr.cost ? 1 : 0;
  row->cost_e6 = row->cost_e15 = row->cost_e24 = 0;
  if (pr.cost)
    split_money(pr.cost->total_cost.amount, &row->cost_e6, &row->cost_e15, &row->cost_e24);
  tags_json(r, row->tags);
  detail_json(pr, row->detail);
}

void split_money(Decimal d, int64_t* e6, int64_t* e15, int64_t* e24) {
  constexpr int128 k9 = 1'000'000'000;
  const int128 raw = d.raw();
  *e24 = static_cast<int64_t>(raw % k9);
  *e15 = static_cast<int64_t>((raw / k9) % k9);
  *e6 = static_cast<int64_t>(raw / (k9 * k9));
}

Decimal join_money(int64_t e6, int64_t e15, int64_t e24) {
  constexpr int128 k9 = 1'000'000'000;
  return Decimal::from_raw(static_cast<int128>(e6) * k9 * k9 + static_cast<int128>(e15) * k9 + e24);
}

std::string Dialect::param(int n) const { return postgres ? "$" + std::to_string(n) : "?"; }
std::string Dialect::add_to_totals() const {
  std::string s =
      " ON CONFLICT (day, provider, model, organization, project, currency) DO UPDATE SET ";
  const char* counters[] = {
      "records",         "unpriced", "requests", "input_tokens",      "output_tokens",
      "cost_e6",         "cost_e15", "cost_e24", "cache_read_tokens", "cache_write_tokens",
      "reasoning_tokens"};
  for (const char* c : counters) {
    const std::string sum = "daily_totals." + std::string(c) + " + EXCLUDED." + c;
    s += std::string(c == counters[0] ? "" : ", ") + c + " = ";
    // PostgreSQL's bigint addition fails when it overflows; SQLite's turns to a float, so its
    // sum is NULL then, which the columns' NOT NULL refuses.
    s += postgres ? sum : "CASE WHEN typeof(" + sum + ") = 'integer' THEN " + sum + " END";
  }
  return s;
}
std::string Dialect::tag_value(int n) const {
  return postgres ? "COALESCE(tags->>" + param(n) + ", '')"
                  : "COALESCE(json_extract(tags, " + param(n) + "), '')";
}
std::string Dialect::tier_value() const {
  const std::string batch =
      postgres ? "(detail::jsonb ->> 'batch') = 'true'" : "json_extract(detail, '$.batch') = 1";
  const std::string tier = postgres ? "COALESCE(detail::jsonb ->> 'service_tier', '')"
                                    : "COALESCE(json_extract(detail, '$.service_tier'), '')";
  return "(CASE WHEN " + batch + " THEN 'batch' WHEN " + tier +
         " IN ('', 'default', 'auto') THEN 'standard' ELSE " + tier + " END)";
}
std::string Dialect::tag_param(const std::string& tag) const {
  return postgres ? tag : "$.\"" + tag + "\"";
}
std::string Dialect::glob(const std::string& expr, const std::string& p) const {
  return expr + (postgres ? " LIKE " + p + " ESCAPE '\\'" : " GLOB " + p);
}
std::string Dialect::glob_param(const std::string& pattern) const {
  // SQLite's GLOB: '*' as it is, '?' and '[' as one-character classes. PostgreSQL's LIKE: '%'
  // for '*', the escape character before '%', '_' and itself.
  std::string out;
  for (char c : pattern) {
    if (postgres) {
      if (c == '%' || c == '_' || c == '\\') out += '\\';
      out += c == '*' ? '%' : c;
    } else if (c == '?' || c == '[') {
      out += std::string("[") + c + "]";
    } else {
      out += c;
    }
  }
  return out;
}

AggregatePlan plan_aggregate(const AggregateQuery& q, const Dialect& d, const DimIds& dim_ids) {
  AggregatePlan plan;
  bool rollup = day_aligned(q.from) && day_aligned(q.to);
  for (const auto& k : q.group_by) {
    plan.need_hour |= k.kind == GroupKey::Kind::kHour;
    plan.need_day |= k.kind == GroupKey::Kind::kDay || k.kind == GroupKey::Kind::kWeek ||
                     k.kind == GroupKey::Kind::kMonth;
    rollup &= k.kind != GroupKey::Kind::kHour && k.kind != GroupKey::Kind::kTag &&
              k.kind != GroupKey::Kind::kTier && k.kind != GroupKey::Kind::kUser;
  }
  for (const auto& f : q.filters)
    rollup &= f.key.kind != GroupKey::Kind::kTag && f.key.kind != GroupKey::Kind::kTier &&
              f.key.kind != GroupKey::Kind::kUser;
  rollup &= !q.unpriced_only && q.source.empty();
  const bool zoned = !q.time_zone.is_utc() && (plan.need_hour || plan.need_day);
  rollup &= !zoned;
  SqlQuery& out = plan.query;
  std::string select, group;
  int ncols = 0;
  // GROUP BY refers to result columns by position: an expression with a parameter would need
  // binding twice.
  auto add_col = [&](const std::string& expr) {
    select += expr + ", ";
    group += (group.empty() ? "" : ", ") + std::to_string(++ncols);
  };
  for (const auto& k : q.group_by) {
    if (k.kind == GroupKey::Kind::kTag) {
      out.params.push_back(d.tag_param(k.tag));
      add_col(d.tag_value(static_cast<int>(out.params.size())));
    } else if (k.kind == GroupKey::Kind::kTier) {
      add_col(d.tier_value());
    } else if (const char* c = dim_column(k.kind)) {
      add_col(c);
    }
  }
  if (zoned) {
    plan.bucket_us = kUsPerQuarterHour;  // labelled in the zone afterwards
  } else if (plan.need_hour) {
    plan.bucket_us = kUsPerHour;
  } else if (plan.need_day) {
    plan.bucket_us = kUsPerDay;
  }
  if (plan.bucket_us != 0)
    add_col(rollup ? std::string("day") : "(ts / " + std::to_string(plan.bucket_us) + ")");
  add_col("currency");
  plan.key_columns = ncols;
  plan.per_record = !rollup && !d.postgres;  // PostgreSQL sums groups in a hash table itself
  // The counters in fold_row's order: per record (a usage_records expression), or summed (that
  // expression, or daily_totals' column). PostgreSQL sums bigints as numeric, which the cast
  // back fails beyond 64 bits (read as text, it was clamped); SQLite's SUM fails itself.
  std::string sums;
  for (auto [record, total] : std::initializer_list<std::pair<const char*, const char*>>{
           {"1", "records"},
           {"1 - priced", "unpriced"},
           {"requests", "requests"},
           {"input_tokens", "input_tokens"},
           {"output_tokens", "output_tokens"},
           {"cost_e6", "cost_e6"},
           {"cost_e15", "cost_e15"},
           {"cost_e24", "cost_e24"},
           {"cache_read_tokens", "cache_read_tokens"},
           {"cache_write_tokens", "cache_write_tokens"},
           {"reasoning_tokens", "reasoning_tokens"}}) {
    std::string e = plan.per_record ? record : "SUM(" + std::string(rollup ? total : record) + ")";
    if (d.postgres) e = "CAST(" + e + " AS BIGINT)";
    sums += (sums.empty() ? "" : ", ") + e;
  }
  std::string where;
  if (!where_clause(q, d, dim_ids, rollup, &out, &where)) {
    plan.impossible = true;
    return plan;
  }
  out.sql = "SELECT " + select + sums + " FROM " + (rollup ? "daily_totals" : "usage_records") +
            where + (plan.per_record ? "" : " GROUP BY " + group);
  return plan;
}

CustomPriceSql custom_price_sql(const Dialect& d) {
  CustomPriceSql c;
  c.upsert = "INSERT INTO custom_prices (provider, model_id, entry, added_at) VALUES (" +
             d.param(1) + ", " + d.param(2) + ", " + d.param(3) + ", " + d.param(4) +
             ") ON CONFLICT (provider, model_id) DO UPDATE SET entry = EXCLUDED.entry, added_at = "
             "EXCLUDED.added_at";
  c.list =
      "SELECT provider, model_id, entry, added_at FROM custom_prices ORDER BY provider, model_id";
  // A provider id ignoring case, as the catalog finds it (rows stored before ids were lowered).
  c.remove = "DELETE FROM custom_prices WHERE lower(provider) = lower(" + d.param(1) +
             ") AND model_id = " + d.param(2);
  return c;
}

BudgetSql budget_sql(const Dialect& d) {
  BudgetSql b;
  b.upsert = "INSERT INTO budgets (name, scope, period, amount, currency, thresholds) VALUES (" +
             d.param(1) + ", " + d.param(2) + ", " + d.param(3) + ", " + d.param(4) + ", " +
             d.param(5) + ", " + d.param(6) +
             ") ON CONFLICT (name) DO UPDATE SET scope = EXCLUDED.scope, period = EXCLUDED.period, "
             "amount = EXCLUDED.amount, currency = EXCLUDED.currency, thresholds = "
             "EXCLUDED.thresholds";
  b.list = "SELECT name, scope, period, amount, currency, thresholds FROM budgets ORDER BY name";
  b.remove = "DELETE FROM budgets WHERE name = " + d.param(1);
  return b;
}

std::vector<SqlParam> budget_params(const Budget& b) {
  nlohmann::json scope = nlohmann::json::array();
  for (const auto& f : b.scope) scope.push_back(f.text());
  nlohmann::json th = b.thresholds;
  return {SqlParam(b.name),     SqlParam(scope.dump()),
          SqlParam(b.period),   SqlParam(b.amount.to_string()),
          SqlParam(b.currency), SqlParam(th.dump())};
}

namespace {

Result<Budget> budget_from_row(const ResultRow& r) {
  Budget b;
  b.name = r.text(0);
  auto bad = [&](const std::string& what) {
    return invalid_argument("budget \"" + b.name + "\": stored " + what + " is corrupt");
  };
  const auto scope = nlohmann::json::parse(r.text(1), nullptr, false);
  if (!scope.is_array()) return bad("scope");
  for (const auto& f : scope) {
    if (!f.is_string()) return bad("scope");
    auto parsed = Filter::parse(f.get<std::string>());
    if (!parsed) return bad("scope");
    b.scope.push_back(*parsed);
  }
  b.period = r.text(2);
  auto amount = Decimal::parse(r.text(3));
  if (!amount) return bad("amount");
  b.amount = *amount;
  b.currency = r.text(4);
  const auto th = nlohmann::json::parse(r.text(5), nullptr, false);
  if (!th.is_array()) return bad("thresholds");
  b.thresholds.clear();
  for (const auto& t : th) {
    if (!t.is_number()) return bad("thresholds");
    b.thresholds.push_back(t.get<double>());
  }
  return b;
}

}  // namespace

Result<std::vector<Budget>> list_budgets(const Dialect& d, const RunSql& run) {
  std::vector<Budget> out;
  Status bad;
  COSTOPS_RETURN_IF_ERROR(run(budget_sql(d).list, {}, [&](const ResultRow& r) {
    if (!bad.is_ok()) return;
    auto b = budget_from_row(r);
    if (!b) {
      bad = b.status();
      return;
    }
    out.push_back(std::move(*b));
  }));
  if (!bad.is_ok()) return bad;
  return out;
}

Status upsert_discount(const Dialect& d, const RunSql& run, const Discount& discount) {
  COSTOPS_RETURN_IF_ERROR(discount.check());
  const std::string sql =
      "INSERT INTO discounts (name, provider, models, percent, first_day, last_day) VALUES (" +
      d.param(1) + ", " + d.param(2) + ", " + d.param(3) + ", " + d.param(4) + ", " + d.param(5) +
      ", " + d.param(6) +
      ") ON CONFLICT (name) DO UPDATE SET provider = EXCLUDED.provider, models = EXCLUDED.models, "
      "percent = EXCLUDED.percent, first_day = EXCLUDED.first_day, last_day = EXCLUDED.last_day";
  return run(
      sql,
      {SqlParam(discount.name), SqlParam(discount.provider),
       SqlParam(nlohmann::json(discount.models).dump()), SqlParam(discount.percent.to_string()),
       SqlParam(Discount::day_text(discount.from)), SqlParam(Discount::day_text(discount.to))},
      [](const ResultRow&) {});
}

Result<std::vector<Discount>> list_discounts(const RunSql& run) {
  std::vector<Discount> out;
  Status bad;
  COSTOPS_RETURN_IF_ERROR(
      run("SELECT name, provider, models, percent, first_day, last_day FROM discounts ORDER BY "
          "name",
          {}, [&](const ResultRow& r) {
            if (!bad.is_ok()) return;
            Discount d;
            d.name = r.text(0);
            d.provider = r.text(1);
            const auto models = nlohmann::json::parse(r.text(2), nullptr, false);
            auto percent = Decimal::parse(r.text(3));
            bool ok = models.is_array() && percent;
            for (const auto& m : ok ? models : nlohmann::json::array()) {
              ok = ok && m.is_string();
              if (ok) d.models.push_back(m.get<std::string>());
            }
            if (ok) d.percent = *percent;
            for (auto [column, day] : {std::pair{4, &d.from}, {5, &d.to}}) {
              auto parsed = Discount::parse_day(r.text(column));
              ok = ok && parsed.has_value();
              if (ok) *day = *parsed;
            }
            if (!ok) bad = invalid_argument("discount \"" + d.name + "\": stored row is corrupt");
            out.push_back(std::move(d));
          }));
  if (!bad.is_ok()) return bad;
  return out;
}

std::string remove_discount_sql(const Dialect& d) {
  return "DELETE FROM discounts WHERE name = " + d.param(1);
}

Status upsert_custom_prices(const Dialect& d, const RunSql& run,
                            std::span<const CustomPrice> prices) {
  const CustomPriceSql sql = custom_price_sql(d);
  for (const auto& p : prices) {
    COSTOPS_RETURN_IF_ERROR(run(sql.upsert,
                                {SqlParam(p.provider), SqlParam(p.model_id), SqlParam(p.entry_json),
                                 SqlParam(p.added_at.time_since_epoch().count())},
                                [](const ResultRow&) {}));
  }
  return Status::ok();
}

Result<std::vector<CustomPrice>> list_custom_prices(const Dialect& d, const RunSql& run) {
  std::vector<CustomPrice> out;
  COSTOPS_RETURN_IF_ERROR(run(custom_price_sql(d).list, {}, [&](const ResultRow& r) {
    out.push_back(
        {r.text(0), r.text(1), r.text(2), Timestamp{std::chrono::microseconds{r.i64(3)}}});
  }));
  return out;
}

Result<std::vector<PricedRecord>> records_at(const Dialect& d, const RunSql& run,
                                             const DimValue& dim_value,
                                             std::span<const Timestamp> times,
                                             std::string_view id_prefix) {
  // detail begins with the id (detail_json): its first bytes are compared, not its JSON parsed.
  std::string head = "{\"id\":";
  append_json_string(head, id_prefix);
  head.pop_back();  // the closing quote: a prefix
  std::vector<PricedRecord> out;
  constexpr size_t kPerStatement = 500;  // well under either database's parameter limit
  for (size_t at = 0; at < times.size(); at += kPerStatement) {
    const size_t n = std::min(kPerStatement, times.size() - at);
    std::vector<SqlParam> params;
    params.reserve(n + 1);
    params.emplace_back(head);
    std::string sql = std::string("SELECT ") + kScanColumns +
                      " FROM usage_records WHERE substr(detail, 1, " + std::to_string(head.size()) +
                      ") = " + d.param(1) + " AND ts IN (";
    for (size_t i = 0; i < n; ++i) {
      sql += (i ? ", " : "") + d.param(static_cast<int>(i) + 2);
      params.emplace_back(static_cast<int64_t>(times[at + i].time_since_epoch().count()));
    }
    sql += ") ORDER BY ts, key_hi, key_lo";
    Status bad;
    COSTOPS_RETURN_IF_ERROR(run(sql, params, [&](const ResultRow& r) {
      PricedRecord pr;
      if (Status st = read_scanned(r, dim_value, &pr); !st.is_ok()) {
        if (bad.is_ok()) bad = st;
        return;
      }
      out.push_back(std::move(pr));
    }));
    COSTOPS_RETURN_IF_ERROR(bad);
  }
  return out;
}

RepriceSql reprice_sql(const Dialect& d) {
  auto p = [&](int n) { return d.param(n); };
  RepriceSql r;
  r.select_old =
      "SELECT ts, provider, model, organization, project, priced, currency, input_tokens, "
      "output_tokens, cost_e6, cost_e15, cost_e24, requests, cache_read_tokens, "
      "cache_write_tokens, reasoning_tokens FROM usage_records WHERE ts = " +
      p(1) + " AND key_hi = " + p(2) + " AND key_lo = " + p(3);
  r.update = "UPDATE usage_records SET priced = " + p(1) + ", currency = " + p(2) +
             ", cost_e6 = " + p(3) + ", cost_e15 = " + p(4) + ", cost_e24 = " + p(5) +
             ", detail = " + p(6) + ", provider = " + p(7) + " WHERE ts = " + p(8) +
             " AND key_hi = " + p(9) + " AND key_lo = " + p(10);
  std::string values;
  for (int i = 1; i <= kTotalsColumnCount; ++i) values += (i > 1 ? ", " : "") + p(i);
  r.add_to_total = std::string("INSERT INTO daily_totals (") + kTotalsColumns + ") VALUES (" +
                   values + ")" + d.add_to_totals();
  return r;
}

Result<uint64_t> update_costs(const Dialect& d, const SqlRunner& db,
                              std::span<const PricedRecord> records) {
  const RepriceSql sql = reprice_sql(d);
  uint64_t updated = 0;
  Row row;
  for (const auto& pr : records) {
    make_row(pr, &row);
    std::string_view values[kDimKinds];
    dim_values(pr, values);
    auto currency = db.dim_id(kDimCurrency, values[kDimCurrency]);
    if (!currency) return currency.status();
    // A record that names no provider moves to the one that priced it (provider_of).
    auto provider = db.dim_id(kDimProvider, values[kDimProvider]);
    if (!provider) return provider.status();
    bool found = false;
    int64_t old[16] = {};
    COSTOPS_RETURN_IF_ERROR(db.run(sql.select_old,
                                   {SqlParam(row.ts), SqlParam(row.key_hi), SqlParam(row.key_lo)},
                                   [&](const ResultRow& r) {
                                     found = true;
                                     for (int i = 0; i < 16; ++i) old[i] = r.i64(i);
                                   }));
    if (!found) continue;
    COSTOPS_RETURN_IF_ERROR(
        db.run(sql.update,
               {SqlParam(row.priced), SqlParam(*currency), SqlParam(row.cost_e6),
                SqlParam(row.cost_e15), SqlParam(row.cost_e24), SqlParam(row.detail),
                SqlParam(*provider), SqlParam(row.ts), SqlParam(row.key_hi), SqlParam(row.key_lo)},
               [](const ResultRow&) {}));
    // Move the record's contribution between daily_totals rows: out of the old, into the new.
    // The old row is this record's (found by its ts and key): its day is make_row's.
    const int64_t day = row.day;
    auto add = [&](int64_t prov, int64_t cur, int64_t sign, int64_t priced, int64_t e6, int64_t e15,
                   int64_t e24) {
      return db.run(sql.add_to_total,
                    {SqlParam(day), SqlParam(prov), SqlParam(old[2]), SqlParam(old[3]),
                     SqlParam(old[4]), SqlParam(cur), SqlParam(sign), SqlParam(sign * (1 - priced)),
                     SqlParam(sign * old[7]), SqlParam(sign * old[8]), SqlParam(sign * e6),
                     SqlParam(sign * e15), SqlParam(sign * e24), SqlParam(sign * old[12]),
                     SqlParam(sign * old[13]), SqlParam(sign * old[14]), SqlParam(sign * old[15])},
                    [](const ResultRow&) {});
    };
    COSTOPS_RETURN_IF_ERROR(add(old[1], old[6], -1, old[5], old[9], old[10], old[11]));
    COSTOPS_RETURN_IF_ERROR(
        add(*provider, *currency, 1, row.priced, row.cost_e6, row.cost_e15, row.cost_e24));
    ++updated;
  }
  COSTOPS_RETURN_IF_ERROR(
      db.run("DELETE FROM daily_totals WHERE records = 0", {}, [](const ResultRow&) {}));
  return updated;
}

namespace {

// Takes the records `where` (with `params`; "" for all) selects out of the daily totals, then out
// of usage_records. The caller deletes the daily totals left without records.
Status delete_where(const Dialect& d, const RunSql& run, std::string_view where,
                    const std::vector<SqlParam>& params) {
  // Out of the daily totals first (the rows are still there to sum), then the records. (SQLite
  // reads "SELECT ... ON CONFLICT" only after a WHERE.)
  const std::string_view some = where.empty() ? " WHERE 1 = 1" : where;
  COSTOPS_RETURN_IF_ERROR(run(std::string("INSERT INTO daily_totals (") + kTotalsColumns + ") " +
                                  totals_of("-", some) + d.add_to_totals(),
                              params, [](const ResultRow&) {}));
  return run("DELETE FROM usage_records" + std::string(where), params, [](const ResultRow&) {});
}

}  // namespace

Result<uint64_t> delete_records(const AggregateQuery& q, const Dialect& d, const DimIds& dim_ids,
                                const RunSql& run) {
  SqlQuery sel;
  std::string where;
  if (!where_clause(q, d, dim_ids, false, &sel, &where)) return 0;  // a value never stored
  int64_t n = 0;
  COSTOPS_RETURN_IF_ERROR(run("SELECT COUNT(*) FROM usage_records" + where, sel.params,
                              [&](const ResultRow& r) { n = r.i64(0); }));
  if (n == 0) return 0;
  COSTOPS_RETURN_IF_ERROR(delete_where(d, run, where, sel.params));
  COSTOPS_RETURN_IF_ERROR(
      run("DELETE FROM daily_totals WHERE records = 0", {}, [](const ResultRow&) {}));
  return static_cast<uint64_t>(n);
}

Result<uint64_t> delete_stored(const Dialect& d, const RunSql& run,
                               std::span<const PricedRecord> records) {
  const std::string where =
      " WHERE ts = " + d.param(1) + " AND key_hi = " + d.param(2) + " AND key_lo = " + d.param(3);
  uint64_t deleted = 0;
  for (const PricedRecord& pr : records) {
    int64_t hi = 0, lo = 0;
    key_hash(pr.usage, &hi, &lo);
    const std::vector<SqlParam> params = {
        SqlParam(static_cast<int64_t>(pr.usage.timestamp.time_since_epoch().count())), SqlParam(hi),
        SqlParam(lo)};
    int64_t n = 0;
    COSTOPS_RETURN_IF_ERROR(run("SELECT COUNT(*) FROM usage_records" + where, params,
                                [&](const ResultRow& r) { n = r.i64(0); }));
    if (n == 0) continue;
    COSTOPS_RETURN_IF_ERROR(delete_where(d, run, where, params));
    deleted += static_cast<uint64_t>(n);
  }
  COSTOPS_RETURN_IF_ERROR(
      run("DELETE FROM daily_totals WHERE records = 0", {}, [](const ResultRow&) {}));
  return deleted;
}

Status fold_row(const AggregateQuery& q, const AggregatePlan& plan, const ResultRow& r,
                const DimValue& dim_value, std::map<std::vector<std::string>, AggregateRow>* rows) {
  int c = 0;
  std::vector<std::string> keys;
  std::vector<size_t> bucket_slots;
  for (const auto& k : q.group_by) {
    if (text_key(k.kind)) {
      keys.push_back(r.text(c++));
    } else if (dim_column(k.kind) != nullptr) {
      keys.push_back(dim_value(r.i64(c++)));
    } else {
      bucket_slots.push_back(keys.size());
      keys.emplace_back();
    }
  }
  if (plan.bucket_us != 0) {
    const int64_t b = r.i64(c++);
    const Timestamp start{std::chrono::microseconds{b * plan.bucket_us}};
    size_t bs = 0;
    for (const auto& k : q.group_by)
      if (k.kind >= GroupKey::Kind::kHour)
        keys[bucket_slots[bs++]] = bucket_label(k.kind, start, q.time_zone);
  }
  const std::string currency = dim_value(r.i64(c++));
  AggregateRow& row = (*rows)[keys];
  row.keys = keys;
  row.records += static_cast<uint64_t>(r.i64(c++));
  row.unpriced += static_cast<uint64_t>(r.i64(c++));
  row.requests += r.i64(c++);
  row.input_tokens += r.i64(c++);
  row.output_tokens += r.i64(c++);
  if (!currency.empty()) {
    Decimal& sum = row.cost[currency];
    if (!Decimal::add_checked(sum, join_money(r.i64(c), r.i64(c + 1), r.i64(c + 2)), &sum))
      return out_of_range("aggregate cost overflows");
  }
  c += 3;
  row.cache_read_tokens += r.i64(c++);
  row.cache_write_tokens += r.i64(c++);
  row.reasoning_tokens += r.i64(c++);
  return Status::ok();
}

GroupSums::GroupSums(const AggregateQuery& q, const AggregatePlan& plan)
    : text_(static_cast<size_t>(plan.key_columns), false) {
  size_t c = 0;
  for (const auto& k : q.group_by) {
    if (text_key(k.kind)) {
      text_[c++] = true;
    } else if (dim_column(k.kind) != nullptr) {
      ++c;
    }
  }
}

Status GroupSums::add(const ResultRow& r) {
  // The key columns encoded: an integer as its 8 bytes, a text as its length's 8 and its bytes.
  key_.clear();
  auto put = [&](int64_t v) { key_.append(reinterpret_cast<const char*>(&v), sizeof v); };
  for (size_t c = 0; c < text_.size(); ++c) {
    if (text_[c]) {
      const std::string t = r.text(static_cast<int>(c));
      put(static_cast<int64_t>(t.size()));
      key_ += t;
    } else {
      put(r.i64(static_cast<int>(c)));
    }
  }
  auto it = groups_.find(key_);
  if (it == groups_.end()) it = groups_.emplace(key_, std::array<int64_t, kSums>{}).first;
  const int first = static_cast<int>(text_.size());
  for (int i = 0; i < kSums; ++i)
    if (__builtin_add_overflow(it->second[i], r.i64(first + i), &it->second[i]))
      return out_of_range("aggregate: a sum overflows 64-bit integers");
  return Status::ok();
}

Status GroupSums::fold(const AggregateQuery& q, const AggregatePlan& plan,
                       const DimValue& dim_value,
                       std::map<std::vector<std::string>, AggregateRow>* rows) const {
  std::vector<int64_t> ints(text_.size());
  std::vector<std::string> texts(text_.size());
  const int first = static_cast<int>(text_.size());
  for (const auto& group : groups_) {
    const auto& key = group.first;  // plain references: lambdas capture them
    const auto& sums = group.second;
    size_t at = 0;
    auto take = [&] {
      int64_t v;
      std::memcpy(&v, key.data() + at, sizeof v);
      at += sizeof v;
      return v;
    };
    for (size_t c = 0; c < text_.size(); ++c) {
      if (text_[c]) {
        const auto n = static_cast<size_t>(take());
        texts[c].assign(key, at, n);
        at += n;
      } else {
        ints[c] = take();
      }
    }
    const ResultRow row{[&](int c) { return c < first ? ints[c] : sums[c - first]; },
                        [&](int c) { return texts[c]; }};
    COSTOPS_RETURN_IF_ERROR(fold_row(q, plan, row, dim_value, rows));
  }
  return Status::ok();
}

std::optional<SqlQuery> plan_scan(const AggregateQuery& q, const Dialect& d,
                                  const DimIds& dim_ids) {
  SqlQuery out;
  std::string where;
  if (!where_clause(q, d, dim_ids, false, &out, &where)) return std::nullopt;
  out.sql = std::string("SELECT ") + kScanColumns + " FROM usage_records" + where +
            " ORDER BY ts, key_hi, key_lo";
  return out;
}

Status read_scanned(const ResultRow& row, const DimValue& dim_value, PricedRecord* pr) {
  UsageRecord& r = pr->usage;
  r.timestamp = Timestamp{std::chrono::microseconds{row.i64(0)}};
  r.has_timestamp = row.i64(10) != kNoOwnDay;
  r.provider = dim_value(row.i64(1));
  r.model = dim_value(row.i64(2));
  r.organization_id = dim_value(row.i64(3));
  r.project_id = dim_value(row.i64(4));
  r.user_id = dim_value(row.i64(5));
  const bool priced = row.i64(6) != 0;
  const std::string currency = dim_value(row.i64(7));
  // simdjson, one parser per thread (a scan reads every record's tags and detail: nlohmann's
  // parse was most of a scan's time). The detail's fields are those detail_json writes.
  thread_local simdjson::dom::parser parser;
  const auto corrupt = [&] {
    return io_error("corrupt stored record" + (r.id.empty() ? "" : " " + r.id));
  };
  simdjson::dom::object tags, d;
  {
    const std::string text = row.text(8);
    if (parser.parse(text.data(), text.size()).get(tags) != simdjson::SUCCESS) return corrupt();
    for (const auto field : tags) {
      std::string_view v;
      if (field.value.get(v) == simdjson::SUCCESS) {
        r.tags.emplace_back(std::string(field.key), std::string(v));
      } else {
        r.tags.emplace_back(std::string(field.key), simdjson::minify(field.value));
      }
    }
  }
  const std::string detail = row.text(9);
  if (parser.parse(detail.data(), detail.size()).get(d) != simdjson::SUCCESS) return corrupt();
  std::string_view price_version = "always";
  CostRecord c;
  int costs = 0;  // input_cost and output_cost read
  for (const auto field : d) {
    const std::string_view k = field.key;
    const simdjson::dom::element v = field.value;
    std::string_view text;
    const bool is_text = v.get(text) == simdjson::SUCCESS;
    if (k == "id" && is_text) {
      r.id = text;
    } else if (k == "api_flavor" && is_text) {
      r.api_flavor = text;
    } else if (k == "service_tier" && is_text) {
      r.service_tier = text;
    } else if (k == "batch") {
      if (v.get(r.batch) != simdjson::SUCCESS) return corrupt();
    } else if (k == "tier_input_tokens") {
      if (v.get(r.tier_input_tokens) != simdjson::SUCCESS) return corrupt();
    } else if (k == "metadata") {
      r.metadata_json = simdjson::minify(v);  // as ingest writes it (record_json.cc)
    } else if (k == "source" && is_text) {
      r.source = text;
    } else if (k == "logged_cost" && is_text) {
      auto amount = Decimal::parse(text);
      if (!amount) return amount.status().with_context("stored record " + r.id);
      r.logged_cost = *amount;
    } else if (k == "usage") {
      simdjson::dom::object usage;
      if (v.get(usage) != simdjson::SUCCESS) return corrupt();
      for (const auto u : usage) {
        const auto unit = unit_by_usage_key(u.key);
        int64_t n = 0;
        if (!unit || u.value.get(n) != simdjson::SUCCESS)
          return io_error("corrupt stored usage of record " + r.id);
        r.usage.set(*unit, n);
      }
    } else if (k == "model_id" && is_text) {
      c.model = text;
    } else if ((k == "input_cost" || k == "output_cost") && is_text) {
      auto amount = Decimal::parse(text);
      if (!amount) return amount.status().with_context("stored record " + r.id);
      (k == "input_cost" ? c.input_cost : c.output_cost).amount = *amount;
      ++costs;
    } else if (k == "price_version" && is_text) {
      price_version = text;
    } else if (k == "catalog_entry" && is_text) {
      c.catalog_entry = text;
    } else if (k == "discount") {
      simdjson::dom::object o;
      if (v.get(o) != simdjson::SUCCESS) return corrupt();
      AppliedDiscount a;
      int amounts = 0;
      for (const auto f : o) {
        std::string_view t;
        if (f.value.get(t) != simdjson::SUCCESS) return corrupt();
        if (f.key == "name") {
          a.name = t;
          continue;
        }
        Decimal* to = f.key == "percent"       ? &a.percent
                      : f.key == "list_input"  ? &a.list_input.amount
                      : f.key == "list_output" ? &a.list_output.amount
                      : f.key == "list_total"  ? &a.list_total.amount
                                               : nullptr;
        if (to == nullptr) continue;
        auto amount = Decimal::parse(t);
        if (!amount) return amount.status().with_context("stored record " + r.id);
        *to = *amount;
        ++amounts;
      }
      if (amounts != 4) return corrupt();
      c.discount = std::move(a);
    } else if (k == "warnings") {
      simdjson::dom::array warnings;
      if (v.get(warnings) != simdjson::SUCCESS) return corrupt();
      for (const auto w : warnings) {
        std::string_view t;
        if (w.get(t) != simdjson::SUCCESS) return corrupt();
        c.warnings.emplace_back(t);
      }
    } else if (k == "unpriced_reason" && is_text) {
      pr->unpriced_reason = text;
    }
  }
  for (auto [unit, column] : {std::pair{units::kInputTokens, 14}, {units::kOutputTokens, 15}})
    if (const int64_t n = row.i64(column); n != 0) r.usage.set(unit, n);
  // A count of 0 requests is a count too (detail leaves zero counts out); 1 is the default.
  if (const int64_t n = row.i64(16); n != 1) r.usage.set(units::kRequests, n);
  if (!priced) return Status::ok();
  if (costs != 2) return corrupt();
  pr->unpriced_reason.clear();
  auto cur = Currency::parse(currency);
  if (!cur) return cur.status();
  c.usage_id = r.id;
  c.provider = r.provider;
  c.input_cost.currency = c.output_cost.currency = *cur;
  if (c.discount)
    c.discount->list_input.currency = c.discount->list_output.currency =
        c.discount->list_total.currency = *cur;
  c.total_cost = Money{join_money(row.i64(11), row.i64(12), row.i64(13)), *cur};
  c.price_version = price_version;
  c.timestamp = r.timestamp;
  pr->cost = std::move(c);
  return Status::ok();
}

}  // namespace costops::storage::detail

namespace costops::storage {

std::string record_key(const UsageRecord& r) {
  if (!r.id.empty()) return "id:" + r.id;
  std::string c;
  c.reserve(256);
  // A timestamp assumed at ingest (the record had none) is not part of what the record is.
  if (r.has_timestamp) append_timestamp(c, r.timestamp);
  for (const std::string* f : {&r.provider, &r.model, &r.api_flavor, &r.service_tier,
                               &r.organization_id, &r.project_id, &r.user_id, &r.metadata_json}) {
    c += '\x1f';
    c += *f;
  }
  c += r.batch ? "\x1f"
                 "1"
               : "\x1f"
                 "0";
  c += '\x1f';
  std::string tags;
  detail::tags_json(r, tags);
  c += tags;
  c += '\x1f';
  append_usage_json(c, r.usage);
  // Only when given, so that the keys of records without it stay as they were.
  if (r.tier_input_tokens >= 0) c += "\x1ftier:" + std::to_string(r.tier_input_tokens);
  char buf[40];
  std::snprintf(buf, sizeof buf, "hash:%016llx%016llx",
                static_cast<unsigned long long>(detail::fnv1a(c, detail::kKeySeedHi)),
                static_cast<unsigned long long>(detail::fnv1a(c, detail::kKeySeedLo)));
  return buf;
}

}  // namespace costops::storage
