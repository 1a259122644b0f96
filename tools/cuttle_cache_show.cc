// cuttle-cache show URL: every stored variant of a URL with its headers, its freshness and
// why it was stored.
#include <cstdio>

#include "cache/store_list.h"
#include "common/uri.h"
#include "tools/cuttle_cache_commands.h"
#include "tools/cuttle_cache_format.h"

namespace cuttle::tools {
namespace {

// One variant as show reports it.
struct VariantReport {
  cache::ObjectPtr object;  // metadata, as the proxy's Store::Reader loads it
  cache::StoreEntry entry;  // eviction state
  FreshnessReport freshness;
  CacheabilityReport cacheability;
  Validators validators;
};

const char* queueName(cache::StoreEntry::Queue q) {
  switch (q) {
    case cache::StoreEntry::Queue::kSmall:
      return "small";
    case cache::StoreEntry::Queue::kMain:
      return "main";
    case cache::StoreEntry::Queue::kUnknown:
      break;
  }
  return "unknown";
}

std::string joined(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

// "45s", or "1h00m (3600s)" when the short form rounds.
std::string withSeconds(int64_t seconds) {
  std::string out = formatDuration(seconds);
  if (seconds >= 60 || seconds <= -60) out += " (" + std::to_string(seconds) + "s)";
  return out;
}

std::string storableNow(cache::NotStored now) {
  if (now == cache::NotStored::kStored) return "yes";
  return "no: " + std::string(cache::notStoredName(now)) + " (with the current limits)";
}

void writeJson(const std::string& url, const std::optional<std::string>& vary,
               const std::vector<VariantReport>& variants, int64_t now) {
  JsonWriter j;
  j.beginObject();
  j.key("url").string(url);
  j.key("now").number(now);
  j.key("vary");
  vary ? j.string(*vary) : j.null();
  j.key("variants").beginArray();
  for (const VariantReport& v : variants) {
    const cache::StoredObject& o = *v.object;
    j.beginObject();
    j.key("variant").string(describeVariant(o.variant()));
    j.key("status").number(o.status());
    j.key("reason").string(o.reason());
    j.key("size").unsignedNumber(o.bodySize());
    j.key("charge").unsignedNumber(v.entry.charge);
    j.key("queue").string(queueName(v.entry.queue));
    j.key("frequency").number(v.entry.frequency);
    j.key("request_time").number(o.requestTime());
    j.key("stored").number(o.responseTime());
    j.key("stored_at").string(formatTime(o.responseTime()));
    writeFreshnessJson(j, v.freshness);
    j.key("notes").beginArray();
    for (const std::string& n : v.freshness.notes) j.string(n);
    j.endArray();
    j.key("stored_because").beginArray();
    for (const std::string& r : v.cacheability.reasons) j.string(r);
    j.endArray();
    j.key("storable_now").string(cache::notStoredName(v.cacheability.now));
    writeValidatorsJson(j, v.validators);
    j.key("headers").beginArray();
    for (const HeaderField& f : o.headers()) {
      j.beginArray();
      j.string(f.name);
      j.string(f.value);
      j.endArray();
    }
    j.endArray();
    j.endObject();
  }
  j.endArray();
  j.endObject();
  std::string text = j.take();
  std::fwrite(text.data(), 1, text.size(), stdout);
}

std::string variantText(const VariantReport& v) {
  const cache::StoredObject& o = *v.object;
  const FreshnessReport& f = v.freshness;
  Table t({"  status", std::to_string(o.status()) + " " + o.reason()});
  t.add({"  stored",
         formatTime(o.responseTime()) + " (request sent " + formatTime(o.requestTime()) + ")"});
  t.add({"  body", std::to_string(o.bodySize()) + " bytes; charged " +
                       std::to_string(v.entry.charge) + " bytes, " + queueName(v.entry.queue) +
                       " queue, frequency " + std::to_string(v.entry.frequency)});
  t.add({"  age", withSeconds(f.age)});
  t.add({"  lifetime", withSeconds(f.lifetime) + " from " + f.source});
  t.add({"  freshness", f.fresh ? "fresh, " + formatDuration(f.ttl) + " left"
                                : "stale for " + formatDuration(-f.ttl)});
  if (!f.notes.empty()) t.add({"  directives", joined(f.notes, "; ")});
  t.add({"  stored because",
         v.cacheability.reasons.empty() ? "-" : joined(v.cacheability.reasons, "; ")});
  t.add({"  storable now", storableNow(v.cacheability.now)});
  std::string validators;
  if (!v.validators.etag.empty()) validators = "ETag " + v.validators.etag;
  if (!v.validators.last_modified.empty()) {
    if (!validators.empty()) validators += "; ";
    validators += "Last-Modified " + v.validators.last_modified;
  }
  t.add({"  validators",
         validators.empty() ? "none (a stale copy cannot be revalidated)" : validators});
  std::string out = t.render();
  out += "  headers:\n";
  for (const HeaderField& field : o.headers()) {
    out.append("    ").append(field.name).append(": ").append(field.value).append("\n");
  }
  return out;
}

}  // namespace

int commandShow(ToolContext& ctx, const std::string& url_arg) {
  auto uri = parseRequestTarget(url_arg, false);
  if (!uri || uri->form != Uri::Form::kAbsolute) {
    complain("not an absolute URL (http://host/path): " + url_arg);
    return 2;
  }
  const std::string url = uri->absolute();  // the form the proxy keys its cache with
  cache::Store* store = ctx.store();
  if (store == nullptr) return 1;
  auto found = cache::urlVariants(*store, url);
  if (!found) {
    complain(found.error().cause);
    return 1;
  }
  std::unique_ptr<cache::Store::Reader> reader = store->reader();
  std::vector<VariantReport> variants;
  for (cache::StoreEntry& entry : found->variants) {
    VariantReport v;
    // The proxy's own read path (URL check, record checksum); the listed copy when the
    // object went away in between.
    v.object = reader->load(url, entry.object->variant(), false, 0);
    if (!v.object) v.object = entry.object;
    v.entry = std::move(entry);
    v.freshness = explainFreshness(*v.object, ctx.rules, ctx.now);
    v.cacheability = explainCacheability(*v.object, ctx.limits);
    v.validators = storedValidators(*v.object);
    variants.push_back(std::move(v));
  }
  if (found->damaged > 0) {
    complain(std::to_string(found->damaged) + " damaged variant record(s) of " + url + " skipped");
  }
  if (variants.empty() && !found->vary) {
    complain("not in the cache store: " + url);
    return 1;
  }
  if (ctx.json) {
    writeJson(url, found->vary, variants, ctx.now);
    return 0;
  }
  std::string out = "url       " + url + "\n";
  out += "vary      " +
         (!found->vary           ? std::string("(no vary record)")
          : found->vary->empty() ? std::string("-")
                                 : *found->vary) +
         "\n";
  out += "variants  " + std::to_string(variants.size()) + "\n";
  for (size_t i = 0; i < variants.size(); ++i) {
    const std::string& key = variants[i].object->variant();
    out += "\nvariant " + std::to_string(i + 1) + " of " + std::to_string(variants.size()) + ": " +
           (key.empty() ? std::string("(any request)") : describeVariant(key)) + "\n";
    out += variantText(variants[i]);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace cuttle::tools
