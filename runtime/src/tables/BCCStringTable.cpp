// BCC's string-keyed BPFTable: key and value printers/parsers walk the map's BTF types and use
// the text format BCC's LLVM-generated ones use, so strings BCC programs store and compare
// read the same here.
#include "jitprobe/BCCTables.h"

#include "jitprobe/common/Errors.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>

namespace jitprobe {
namespace {

constexpr int kMaxDepth = 32; // nesting of structs/arrays printed or parsed

// The type behind typedefs and qualifiers; null when ID does not resolve.
const btf_type *resolve(const btf *b, uint32_t &id) {
    int r = btf__resolve_type(b, id);
    if (r < 0)
        return nullptr;
    id = uint32_t(r);
    return btf__type_by_id(b, id);
}

// Integers, enums and pointers: their byte size, 0 for other kinds.
uint32_t scalarSize(const btf_type *t) {
    if (btf_is_int(t) || btf_is_enum(t) || btf_is_enum64(t))
        return t->size;
    if (btf_is_ptr(t))
        return sizeof(void *);
    return 0;
}

bool isCharArray(const btf *b, const btf_type *t) {
    if (!btf_is_array(t))
        return false;
    uint32_t elem = btf_array(t)->type;
    const btf_type *e = resolve(b, elem);
    return e && btf_is_int(e) && e->size == 1;
}

struct Printer {
    const btf *b;
    std::string &out;

    bool print(uint32_t id, const uint8_t *data, int depth) {
        const btf_type *t = resolve(b, id);
        if (!t || depth > kMaxDepth)
            return false;
        if (uint32_t size = scalarSize(t); size > 0 && size <= 8) {
            uint64_t v = 0;
            std::memcpy(&v, data, size); // little-endian host, as BPF's own
            char buf[24];
            std::snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
            out += buf;
            return true;
        }
        if (isCharArray(b, t)) {
            uint32_t n = btf_array(t)->nelems;
            out += '"';
            out.append(reinterpret_cast<const char *>(data),
                       strnlen(reinterpret_cast<const char *>(data), n));
            out += '"';
            return true;
        }
        if (btf_is_array(t)) {
            const struct btf_array *a = btf_array(t);
            int64_t esize = btf__resolve_size(b, a->type);
            if (esize <= 0)
                return false;
            out += "[ ";
            for (uint32_t i = 0; i < a->nelems; i++) {
                if (!print(a->type, data + i * esize, depth + 1))
                    return false;
                out += ' ';
            }
            out += ']';
            return true;
        }
        return printMembers(t, data, depth);
    }

    // Structs: every member; unions: the first (BCC's layout of a union).
    bool printMembers(const btf_type *t, const uint8_t *data, int depth) {
        if (!btf_is_composite(t))
            return false;
        const btf_member *m = btf_members(t);
        int n = btf_is_union(t) ? std::min(1, int(btf_vlen(t))) : int(btf_vlen(t));
        out += "{ ";
        for (int i = 0; i < n; i++, m++) {
            if (btf_member_bitfield_size(t, i) != 0)
                return false;
            if (!print(m->type, data + btf_member_bit_offset(t, i) / 8, depth + 1))
                return false;
            out += ' ';
        }
        out += '}';
        return true;
    }
};

struct Parser {
    const btf *b;
    const std::string &text;
    size_t pos = 0;
    std::string error;

    void skipSpace() {
        while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos])))
            pos++;
    }
    bool fail(const std::string &what) {
        if (error.empty())
            error = "expected " + what + " at offset " + std::to_string(pos);
        return false;
    }
    bool expect(char c) {
        skipSpace();
        if (pos >= text.size() || text[pos] != c)
            return fail(std::string("'") + c + "'");
        pos++;
        return true;
    }

    // A C integer as scanf's %i reads it: decimal, 0x hex or 0 octal, optionally negative.
    bool number(uint8_t *data, uint32_t size) {
        skipSpace();
        const char *start = text.c_str() + pos;
        char *end = nullptr;
        errno = 0;
        uint64_t v =
            *start == '-' ? uint64_t(std::strtoll(start, &end, 0)) : std::strtoull(start, &end, 0);
        if (end == start || errno == ERANGE)
            return fail("a number");
        pos += size_t(end - start);
        std::memcpy(data, &v, size);
        return true;
    }

    bool parse(uint32_t id, uint8_t *data, int depth) {
        const btf_type *t = resolve(b, id);
        if (!t || depth > kMaxDepth)
            return fail("a type this table can parse");
        if (uint32_t size = scalarSize(t); size > 0 && size <= 8)
            return number(data, size);
        if (isCharArray(b, t)) {
            if (!expect('"'))
                return false;
            size_t close = text.find('"', pos);
            if (close == std::string::npos)
                return fail("a closing '\"'");
            if (close - pos > btf_array(t)->nelems)
                return fail("at most " + std::to_string(btf_array(t)->nelems) + " characters");
            std::memcpy(data, text.data() + pos, close - pos);
            pos = close + 1;
            return true;
        }
        if (btf_is_array(t)) {
            const struct btf_array *a = btf_array(t);
            int64_t esize = btf__resolve_size(b, a->type);
            if (esize <= 0 || !expect('['))
                return fail("'['");
            for (uint32_t i = 0; i < a->nelems; i++)
                if (!parse(a->type, data + i * esize, depth + 1))
                    return false;
            return expect(']');
        }
        return parseMembers(t, data, depth);
    }

    bool parseMembers(const btf_type *t, uint8_t *data, int depth) {
        if (!btf_is_composite(t) || !expect('{'))
            return fail("'{'");
        const btf_member *m = btf_members(t);
        int n = btf_is_union(t) ? std::min(1, int(btf_vlen(t))) : int(btf_vlen(t));
        for (int i = 0; i < n; i++, m++) {
            if (btf_member_bitfield_size(t, i) != 0)
                return fail("no bit-field (not supported)");
            if (!parse(m->type, data + btf_member_bit_offset(t, i) / 8, depth + 1))
                return false;
        }
        return expect('}');
    }
};

} // namespace

BPFTable::BPFTable(BPFTableRaw raw, std::weak_ptr<const void> owner)
    : BPFTableBase(std::move(raw)), owner_(std::move(owner)) {
    if (valid() && (!raw_.btf() || raw_.btf_key_type_id() == 0 || raw_.btf_value_type_id() == 0))
        require(Status(EINVAL, "map '" + raw_.name() +
                                   "' has no BTF key/value types: no string printers for it"));
}

size_t BPFTable::get_possible_cpu_count() {
    int n = libbpf_num_possible_cpus();
    return n > 0 ? size_t(n) : 1;
}

Status BPFTable::usable() const {
    if (!valid())
        return status_;
    if (owner_.expired())
        return Status(EBADF, "map '" + raw_.name() + "': its BPF object was destroyed");
    return Status::OK();
}

Status BPFTable::parse(uint32_t type_id, const std::string &text, std::vector<uint8_t> &out) const {
    if (Status s = usable(); !s.ok())
        return s;
    std::fill(out.begin(), out.end(), 0);
    Parser p{raw_.btf(), text, 0, {}};
    if (p.parse(type_id, out.data(), 0)) {
        p.skipSpace();
        if (p.pos == text.size())
            return Status::OK();
        p.fail("the end");
    }
    return Status(EINVAL, "map '" + raw_.name() + "': cannot parse '" + text + "': " + p.error);
}

Status BPFTable::print(uint32_t type_id, const void *data, std::string &out) const {
    if (Status s = usable(); !s.ok())
        return s;
    out.clear();
    Printer p{raw_.btf(), out};
    if (!p.print(type_id, static_cast<const uint8_t *>(data), 0))
        return Status(EINVAL, "map '" + raw_.name() + "': cannot print its BTF type " +
                                  std::to_string(type_id) + " (bit-field or unsupported kind)");
    return Status::OK();
}

Status BPFTable::string_to_key(const std::string &key_str, std::vector<uint8_t> &key) const {
    key.resize(raw_.key_size());
    return parse(raw_.btf_key_type_id(), key_str, key);
}

Status BPFTable::string_to_leaf(const std::string &value_str, std::vector<uint8_t> &value) const {
    value.resize(raw_.value_size());
    return parse(raw_.btf_value_type_id(), value_str, value);
}

Status BPFTable::key_to_string(const void *key, std::string &key_str) const {
    return print(raw_.btf_key_type_id(), key, key_str);
}

Status BPFTable::leaf_to_string(const void *value, std::string &value_str) const {
    return print(raw_.btf_value_type_id(), value, value_str);
}

namespace {
Status perCpuMismatch(const BPFTableRaw &raw, bool want_percpu) {
    return Status(EINVAL, "map '" + raw.name() + "' is " + (want_percpu ? "not " : "") +
                              "per-CPU: use the " + (want_percpu ? "single" : "vector") +
                              "-value form");
}
} // namespace

Status BPFTable::get_value(const std::string &key_str, std::string &value) const {
    std::vector<uint8_t> key, buf(raw_.value_size());
    if (Status s = string_to_key(key_str, key); !s.ok())
        return s;
    if (raw_.is_percpu())
        return perCpuMismatch(raw_, false);
    if (Status s = raw_.lookup(key.data(), buf.data()); !s.ok())
        return s;
    return leaf_to_string(buf.data(), value);
}

Status BPFTable::get_value(const std::string &key_str, std::vector<std::string> &value) const {
    std::vector<uint8_t> key, buf(raw_.value_buffer_size());
    if (Status s = string_to_key(key_str, key); !s.ok())
        return s;
    if (!raw_.is_percpu())
        return perCpuMismatch(raw_, true);
    if (Status s = raw_.lookup(key.data(), buf.data()); !s.ok())
        return s;
    value.assign(size_t(raw_.possible_cpus()), std::string());
    for (int c = 0; c < raw_.possible_cpus(); c++)
        if (Status s = leaf_to_string(buf.data() + c * raw_.percpu_stride(), value[c]); !s.ok())
            return s;
    return Status::OK();
}

Status BPFTable::update_value(const std::string &key_str, const std::string &value_str) {
    std::vector<uint8_t> key, value;
    if (Status s = string_to_key(key_str, key); !s.ok())
        return s;
    if (raw_.is_percpu())
        return perCpuMismatch(raw_, false);
    if (Status s = string_to_leaf(value_str, value); !s.ok())
        return s;
    return raw_.update(key.data(), value.data());
}

Status BPFTable::update_value(const std::string &key_str,
                              const std::vector<std::string> &value_str) {
    std::vector<uint8_t> key, one, buf(raw_.value_buffer_size());
    if (Status s = string_to_key(key_str, key); !s.ok())
        return s;
    if (!raw_.is_percpu())
        return perCpuMismatch(raw_, true);
    if (value_str.size() != size_t(raw_.possible_cpus()))
        return detail::percpuCountMismatch(raw_, value_str.size());
    for (int c = 0; c < raw_.possible_cpus(); c++) {
        if (Status s = string_to_leaf(value_str[c], one); !s.ok())
            return s;
        std::memcpy(buf.data() + c * raw_.percpu_stride(), one.data(), one.size());
    }
    return raw_.update(key.data(), buf.data());
}

Status BPFTable::remove_value(const std::string &key_str) {
    std::vector<uint8_t> key;
    if (Status s = string_to_key(key_str, key); !s.ok())
        return s;
    return raw_.remove(key.data());
}

Status BPFTable::clear_table_non_atomic() {
    if (Status s = usable(); !s.ok())
        return s;
    return raw_.clear();
}

// Per-CPU values print as "[ cpu0 cpu1 ... ]".
Status BPFTable::get_table_offline(std::vector<std::pair<std::string, std::string>> &res) const {
    res.clear();
    if (Status s = usable(); !s.ok())
        return s;
    Status failed;
    Status walked = raw_.for_each([&](const void *k, const void *v) {
        std::pair<std::string, std::string> e;
        failed = key_to_string(k, e.first);
        for (int c = 0; failed.ok() && raw_.is_percpu() && c < raw_.possible_cpus(); c++) {
            std::string one;
            failed =
                leaf_to_string(static_cast<const uint8_t *>(v) + c * raw_.percpu_stride(), one);
            e.second += (c == 0 ? "[ " : "") + one + " ";
        }
        if (failed.ok())
            failed =
                raw_.is_percpu() ? (e.second += "]", Status::OK()) : leaf_to_string(v, e.second);
        if (failed.ok())
            res.push_back(std::move(e));
        return failed.ok();
    });
    return failed.ok() ? walked : failed;
}

} // namespace jitprobe
