// MapDeclPass: BCC map declarations become libbpf BTF-defined maps.
//
//   before:  BPF_HASH(counts, u32, u64, 1024);
//   after:   struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1024);
//            __type(key, u32); __type(value, u64); } counts SEC(".maps");      (one line)
//
// The dialect header expands a declaration into a variable in section "maps/<kind>" whose
// struct carries the key/leaf types and max_entries/flags; this pass reads them back from the
// AST and replaces the whole macro invocation. The kind table below decides each map's shape.
#include "compiler/passes/Pass.h"

#include <clang/AST/Decl.h>
#include <clang/AST/Expr.h>
#include <clang/Lex/Lexer.h>

namespace jitprobe::frontend {
namespace {

enum class Slot { Typed, Size4, None, StackIps, StackBuildIds };

struct MapKindRule {
    std::string_view kind;     // BCC declaration kind
    std::string_view map_type; // libbpf BPF_MAP_TYPE_*
    Slot key;
    Slot value;
    bool has_max_entries;
};

constexpr MapKindRule kMapKinds[] = {
    {"hash", "BPF_MAP_TYPE_HASH", Slot::Typed, Slot::Typed, true},
    {"lru_hash", "BPF_MAP_TYPE_LRU_HASH", Slot::Typed, Slot::Typed, true},
    {"percpu_hash", "BPF_MAP_TYPE_PERCPU_HASH", Slot::Typed, Slot::Typed, true},
    {"lru_percpu_hash", "BPF_MAP_TYPE_LRU_PERCPU_HASH", Slot::Typed, Slot::Typed, true},
    {"array", "BPF_MAP_TYPE_ARRAY", Slot::Typed, Slot::Typed, true},
    {"percpu_array", "BPF_MAP_TYPE_PERCPU_ARRAY", Slot::Typed, Slot::Typed, true},
    {"histogram", "BPF_MAP_TYPE_HASH", Slot::Typed, Slot::Typed, true}, // ARRAY for int keys
    {"lpm_trie", "BPF_MAP_TYPE_LPM_TRIE", Slot::Typed, Slot::Typed, true},
    {"stack_trace", "BPF_MAP_TYPE_STACK_TRACE", Slot::Size4, Slot::StackIps, true},
    {"stack_trace_buildid", "BPF_MAP_TYPE_STACK_TRACE", Slot::Size4, Slot::StackBuildIds, true},
    {"prog", "BPF_MAP_TYPE_PROG_ARRAY", Slot::Size4, Slot::Size4, true},
    {"devmap", "BPF_MAP_TYPE_DEVMAP", Slot::Size4, Slot::Size4, true},
    {"cpumap", "BPF_MAP_TYPE_CPUMAP", Slot::Size4, Slot::Size4, true},
    {"xskmap", "BPF_MAP_TYPE_XSKMAP", Slot::Size4, Slot::Size4, true},
    {"sockmap", "BPF_MAP_TYPE_SOCKMAP", Slot::Size4, Slot::Size4, true},
    {"sockhash", "BPF_MAP_TYPE_SOCKHASH", Slot::Typed, Slot::Size4, true},
    {"cgroup_array", "BPF_MAP_TYPE_CGROUP_ARRAY", Slot::Size4, Slot::Size4, true},
    {"perf_output", "BPF_MAP_TYPE_PERF_EVENT_ARRAY", Slot::Size4, Slot::Size4, false},
    {"perf_array", "BPF_MAP_TYPE_PERF_EVENT_ARRAY", Slot::Size4, Slot::Size4, true},
    {"ringbuf", "BPF_MAP_TYPE_RINGBUF", Slot::None, Slot::None, true},
    {"queue", "BPF_MAP_TYPE_QUEUE", Slot::None, Slot::Typed, true},
    {"stack", "BPF_MAP_TYPE_STACK", Slot::None, Slot::Typed, true},
    {"sk_storage", "BPF_MAP_TYPE_SK_STORAGE", Slot::Typed, Slot::Typed, false},
    {"inode_storage", "BPF_MAP_TYPE_INODE_STORAGE", Slot::Typed, Slot::Typed, false},
    {"task_storage", "BPF_MAP_TYPE_TASK_STORAGE", Slot::Typed, Slot::Typed, false},
    {"cgroup_storage", "BPF_MAP_TYPE_CGROUP_STORAGE", Slot::Typed, Slot::Typed, false},
    {"percpu_cgroup_storage", "BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE", Slot::Typed, Slot::Typed, false},
    {"array_of_maps", "BPF_MAP_TYPE_ARRAY_OF_MAPS", Slot::Typed, Slot::Size4, true},
    {"hash_of_maps", "BPF_MAP_TYPE_HASH_OF_MAPS", Slot::Typed, Slot::Size4, true},
    // BPF_TABLE("extern", ...): a map created outside, handed in through a TableStorage
    // (BPF(0, &storage)); the runtime swaps in that map's fd (and type) before the load.
    {"extern", "BPF_MAP_TYPE_HASH", Slot::Typed, Slot::Typed, true},
};

const MapKindRule *findRule(std::string_view kind) {
    for (const auto &rule : kMapKinds)
        if (rule.kind == kind)
            return &rule;
    return nullptr;
}

// The declaration's parts as the dialect header encoded them.
struct DeclaredMap {
    std::string kind, pin_path, inner_map, sharing;
    std::string key_type, value_type;
    bool int_key = false;
    long long max_entries = 0, flags = 0;
};

const clang::FieldDecl *field(const clang::RecordDecl *record, llvm::StringRef name) {
    for (const auto *f : record->fields())
        if (f->getName() == name)
            return f;
    return nullptr;
}

long long initValue(const clang::VarDecl *var, const clang::FieldDecl *f, clang::ASTContext &ast) {
    const auto *init = llvm::dyn_cast_or_null<clang::InitListExpr>(var->getInit());
    if (!init || !f || f->getFieldIndex() >= init->getNumInits())
        return 0;
    clang::Expr::EvalResult result;
    if (!init->getInit(f->getFieldIndex())->EvaluateAsInt(result, ast))
        return 0;
    return result.Val.getInt().getExtValue();
}

// A key/leaf type as C text; an anonymous struct or union as the user spelled it (Clang would
// print "struct (unnamed at ...)").
std::string typeText(const PassContext &ctx, const clang::FieldDecl *field) {
    clang::QualType type = field->getType();
    const auto *record = type->getAsRecordDecl();
    if (record && record->getName().empty() && !type->getAs<clang::TypedefType>()) {
        auto range = ctx.fileRange(record->getSourceRange());
        if (range.isValid())
            return clang::Lexer::getSourceText(range, ctx.ast.getSourceManager(), ctx.ast.getLangOpts()).str();
    }
    return ctx.printType(type);
}

DeclaredMap readDeclaration(const clang::VarDecl *var, std::string kind, const PassContext &ctx) {
    clang::ASTContext &ast = ctx.ast;
    DeclaredMap map;
    for (const char *sharing : {"public", "shared"}) // "public:<kind>", "shared:<kind>"
        if (llvm::StringRef(kind).startswith(std::string(sharing) + ":")) {
            map.sharing = sharing;
            kind.erase(0, map.sharing.size() + 1);
        }
    if (llvm::StringRef(kind).startswith("pinned:")) { // "pinned:<path>:<kind>"
        auto rest = llvm::StringRef(kind).drop_front(7);
        auto split = rest.rsplit(':');
        map.pin_path = split.first.str();
        kind = split.second.str();
    }
    auto inner = llvm::StringRef(kind).split('$'); // "array_of_maps$<inner map>"
    map.kind = inner.first.str();
    // BCC names the inner map with a string literal (BPF_ARRAY_OF_MAPS(m, "inner", n)).
    map.inner_map = inner.second.trim('"').str();
    const auto *record = var->getType()->getAsRecordDecl();
    if (const auto *key = field(record, "key")) {
        map.key_type = typeText(ctx, key);
        map.int_key = key->getType()->isSpecificBuiltinType(clang::BuiltinType::Int);
    }
    if (const auto *leaf = field(record, "leaf"))
        map.value_type = typeText(ctx, leaf);
    map.max_entries = initValue(var, field(record, "__max_entries"), ast);
    map.flags = initValue(var, field(record, "__flags"), ast);
    return map;
}

std::string slotText(const char *name, Slot slot, const std::string &type) {
    switch (slot) {
    case Slot::Typed: return std::string(" __type(") + name + ", " + type + ");";
    case Slot::Size4: return std::string(" __uint(") + name + "_size, 4);";
    case Slot::StackIps: return " __uint(value_size, 127 * sizeof(u64));";
    case Slot::StackBuildIds: return " __uint(value_size, 127 * sizeof(struct bpf_stack_build_id));";
    case Slot::None: return "";
    }
    return "";
}

std::string libbpfDefinition(const std::string &name, const DeclaredMap &map,
                             const MapKindRule &rule) {
    std::string map_type(rule.map_type);
    if (map.kind == "histogram" && map.int_key)
        map_type = "BPF_MAP_TYPE_ARRAY";
    std::string text = "struct { __uint(type, " + map_type + ");";
    if (rule.has_max_entries)
        text += " __uint(max_entries, " + std::to_string(map.max_entries) + ");";
    long long flags = map.flags;
    // The kernel creates local-storage maps only with BPF_F_NO_PREALLOC, so BPF_TABLE of such a
    // kind (BCC's BPF_TABLE_PINNED("sk_storage", ..., path)) gets it as BPF_SK_STORAGE does.
    if (rule.map_type.ends_with("_STORAGE") && rule.map_type.find("CGROUP") == std::string_view::npos)
        flags |= 1; // BPF_F_NO_PREALLOC
    if (flags)
        text += " __uint(map_flags, " + std::to_string(flags) + ");";
    text += slotText("key", rule.key, map.key_type);
    text += slotText("value", rule.value, map.value_type);
    if (!map.inner_map.empty())
        text += " __array(values, __typeof__(" + map.inner_map + "));";
    return text + " } " + name + " SEC(\".maps\")";
}

unsigned countRingBuffers(PassContext &ctx) {
    unsigned n = 0;
    for (const auto *decl : ctx.userDecls(/*with_headers=*/true)) {
        auto kind = mapKindOf(llvm::dyn_cast<clang::VarDecl>(decl));
        n += kind && *kind == "ringbuf";
    }
    return n;
}

// Count of records each ring buffer dropped (see __jp_ringbuf_output in bcc.h): a global in
// its own data section, which libbpf makes a one-slot array map (".data.jp_lost"). An atomic
// add to it is 4 instructions on the failure path; a per-CPU map lookup was ~15.
std::string ringLostMap(unsigned rings) {
    return "__u64 __jp_ringbuf_lost[" + std::to_string(rings) + "] SEC(\".data.jp_lost\"); ";
}

class MapDeclPass : public AstPass {
  public:
    const char *name() const override { return "MapDeclPass"; }

    void run(PassContext &ctx) override {
        auto &sm = ctx.ast.getSourceManager();
        unsigned rings = countRingBuffers(ctx);
        bool lost_map_declared = false;
        for (const auto *decl : ctx.userDecls(/*with_headers=*/true)) {
            const auto *var = llvm::dyn_cast<clang::VarDecl>(decl);
            auto kind = mapDeclarationOf(var);
            if (!kind || !ctx.inUserFile(var->getLocation())) // a header of the user's too
                continue;
            DeclaredMap map = readDeclaration(var, *kind, ctx);
            const MapKindRule *rule = findRule(map.kind);
            if (!rule) {
                ctx.report(var->getLocation(), Diagnostic::Severity::Error,
                           "map '" + var->getNameAsString() + "' has unknown kind '" + map.kind + "'");
                continue;
            }
            auto range = sm.getExpansionRange(var->getSourceRange());
            std::string name = var->getNameAsString();
            std::string text = libbpfDefinition(name, map, *rule);
            // Declared (same line) before the first ring buffer, so every use comes after it.
            if (map.kind == "ringbuf" && !lost_map_declared &&
                !ctx.isMacroDefined("JITPROBE_NO_RINGBUF_LOST_COUNT")) {
                text = ringLostMap(rings) + text;
                lost_map_declared = true;
            }
            ctx.rewriter.ReplaceText(range, text);
            unsigned line = sm.getExpansionLineNumber(var->getLocation());
            ctx.info.maps.push_back({name, map.kind, "", map.pin_path, line, false, map.sharing});
        }
    }
};

} // namespace

std::unique_ptr<AstPass> createMapDeclPass() { return std::make_unique<MapDeclPass>(); }

} // namespace jitprobe::frontend
