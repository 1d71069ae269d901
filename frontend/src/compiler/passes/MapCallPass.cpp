// MapCallPass: map method calls become libbpf helper calls, from a table of typed rules.
//
//   before:  counts.increment(key);          events.perf_submit(ctx, &ev, sizeof(ev));
//   after:   __jp_increment(&counts, key, 1); bpf_perf_event_output(ctx, &events,
//                                                BPF_F_CURRENT_CPU, &ev, sizeof(ev));
//
// Calls are rewritten innermost first, so an argument that is itself a map call keeps its
// rewrite. Records submitted to perf/ring buffers give the map its event type, which is
// anchored in the object's BTF so the runtime can decode events.
#include "compiler/passes/Pass.h"

#include <clang/AST/RecursiveASTVisitor.h>

#include <algorithm>

namespace jitprobe::frontend {
namespace {

struct MethodRule {
    std::string_view method;
    unsigned min_args, max_args;
    // {map} is the map's name, {N} the Nth argument, {N|text} with a default, {array} "_array"
    // for maps whose slots always exist (arrays, int-keyed histograms), {ring} the map's index
    // among the ring buffers (its slot in __jp_ringbuf_lost), {vtype} the lookup result type
    // (the value pointer; `void *` for maps of maps, whose values are inner maps).
    std::string_view pattern;
    int event_arg = -1; // argument whose pointee (or sizeof operand) is the event record
};

constexpr MethodRule kMethods[] = {
    {"lookup", 1, 1, "(({vtype})bpf_map_lookup_elem(&{map}, {0}))"},
    // BCC's deprecated lookup_or_init returns 0 from the probe when the insert fails, so
    // callers may use the result unchecked (`++(*val)`); lookup_or_try_init gives NULL.
    {"lookup_or_init", 2, 2, "__jp_lookup_or_init(&{map}, {0}, {1})"},
    {"lookup_or_try_init", 2, 2, "__jp_lookup_or_try_init(&{map}, {0}, {1})"},
    {"update", 2, 2, "bpf_map_update_elem(&{map}, {0}, {1}, BPF_ANY)"},
    {"insert", 2, 2, "bpf_map_update_elem(&{map}, {0}, {1}, BPF_NOEXIST)"},
    {"delete", 1, 1, "bpf_map_delete_elem(&{map}, {0})"},
    {"increment", 1, 2, "__jp_increment{array}(&{map}, {0}, {1|1})"},
    {"atomic_increment", 1, 2, "__jp_atomic_increment{array}(&{map}, {0}, {1|1})"},
    {"perf_submit", 3, 3, "bpf_perf_event_output({0}, &{map}, BPF_F_CURRENT_CPU, {1}, {2})", 1},
    {"perf_submit_skb", 4, 4,
     "bpf_perf_event_output({0}, &{map}, ((__u64)({1}) << 32) | BPF_F_CURRENT_CPU, {2}, {3})", 2},
    {"perf_read", 1, 1, "bpf_perf_event_read(&{map}, {0})"},
    {"perf_counter_value", 3, 3, "bpf_perf_event_read_value(&{map}, {0}, {1}, {2})"},
    {"ringbuf_output", 3, 3, "__jp_ringbuf_output(&{map}, {0}, {1}, {2}, {ring})", 0},
    {"ringbuf_reserve", 1, 1, "__jp_ringbuf_reserve(&{map}, {0}, {ring})", 0},
    {"ringbuf_submit", 2, 2, "bpf_ringbuf_submit({0}, {1})"},
    {"ringbuf_discard", 2, 2, "bpf_ringbuf_discard({0}, {1})"},
    {"ringbuf_query", 1, 1, "bpf_ringbuf_query(&{map}, {0})"},
    {"get_stackid", 2, 2, "bpf_get_stackid({0}, &{map}, {1})"},
    {"push", 2, 2, "bpf_map_push_elem(&{map}, {0}, {1})"},
    {"pop", 1, 1, "bpf_map_pop_elem(&{map}, {0})"},
    {"peek", 1, 1, "bpf_map_peek_elem(&{map}, {0})"},
    {"call", 2, 2, "bpf_tail_call({0}, &{map}, {1})"},
    {"redirect_map", 2, 2, "bpf_redirect_map(&{map}, {0}, {1})"},
    {"check_current_task", 1, 1, "bpf_current_task_under_cgroup(&{map}, {0})"},
    {"sk_storage_get", 3, 3, "bpf_sk_storage_get(&{map}, {0}, {1}, {2})"},
    {"sk_storage_delete", 1, 1, "bpf_sk_storage_delete(&{map}, {0})"},
    {"inode_storage_get", 3, 3, "bpf_inode_storage_get(&{map}, {0}, {1}, {2})"},
    {"inode_storage_delete", 1, 1, "bpf_inode_storage_delete(&{map}, {0})"},
    {"task_storage_get", 3, 3, "bpf_task_storage_get(&{map}, {0}, {1}, {2})"},
    {"task_storage_delete", 1, 1, "bpf_task_storage_delete(&{map}, {0})"},
    {"get_local_storage", 1, 1, "bpf_get_local_storage(&{map}, {0})"},
    {"sock_map_update", 3, 3, "bpf_sock_map_update({0}, &{map}, {1}, {2})"},
    {"sock_hash_update", 3, 3, "bpf_sock_hash_update({0}, &{map}, {1}, {2})"},
    {"msg_redirect_map", 3, 3, "bpf_msg_redirect_map({0}, &{map}, {1}, {2})"},
    {"msg_redirect_hash", 3, 3, "bpf_msg_redirect_hash({0}, &{map}, {1}, {2})"},
    {"sk_redirect_map", 3, 3, "bpf_sk_redirect_map({0}, &{map}, {1}, {2})"},
    {"sk_redirect_hash", 3, 3, "bpf_sk_redirect_hash({0}, &{map}, {1}, {2})"},
};

// With JITPROBE_NO_RINGBUF_LOST_COUNT defined, ring-buffer calls stay plain libbpf calls: no
// loss counter, so a full ring buffer drops records silently (as in BCC), and the code is
// exactly what one writes by hand.
constexpr const char *kNoLostCountMacro = "JITPROBE_NO_RINGBUF_LOST_COUNT";
constexpr MethodRule kUncountedRingMethods[] = {
    {"ringbuf_output", 3, 3, "bpf_ringbuf_output(&{map}, {0}, {1}, {2})", 0},
    {"ringbuf_reserve", 1, 1, "bpf_ringbuf_reserve(&{map}, {0}, 0)", 0},
};

const MethodRule *findMethod(llvm::StringRef method, bool uncounted_rings) {
    std::string_view name(method.data(), method.size());
    if (uncounted_rings)
        for (const auto &rule : kUncountedRingMethods)
            if (rule.method == name)
                return &rule;
    for (const auto &rule : kMethods)
        if (rule.method == name)
            return &rule;
    return nullptr;
}

// Expands a rule pattern with the map name and the (already rewritten) argument texts.
struct MapFacts {
    std::string name;
    bool array = false;
    int ring_index = -1;
    bool map_of_maps = false;
};

std::string expand(std::string_view pattern, const MapFacts &map,
                   const std::vector<std::string> &args) {
    return expandPlaceholders(pattern, [&](std::string_view field) -> std::string {
        if (field == "vtype")
            return map.map_of_maps ? "void *" : "__typeof__(" + map.name + ".value)";
        if (field == "map" || field == "array" || field == "ring")
            return field == "map" ? map.name
                   : field == "ring" ? std::to_string(map.ring_index)
                                     : (map.array ? "_array" : "");
        size_t bar = field.find('|');
        unsigned index = std::stoul(std::string(field.substr(0, bar)));
        if (index < args.size())
            return args[index];
        return bar != std::string_view::npos ? std::string(field.substr(bar + 1)) : std::string();
    });
}

struct MapCall {
    const clang::CallExpr *call;
    const clang::VarDecl *map;
    std::string method;
};

class MapCallFinder : public clang::RecursiveASTVisitor<MapCallFinder> {
  public:
    explicit MapCallFinder(std::vector<MapCall> &calls) : calls_(calls) {}

    bool VisitCallExpr(clang::CallExpr *call) {
        const auto *member = llvm::dyn_cast<clang::MemberExpr>(call->getCallee()->IgnoreParenImpCasts());
        if (!member)
            return true;
        const auto *base = llvm::dyn_cast<clang::DeclRefExpr>(member->getBase()->IgnoreParenImpCasts());
        const auto *var = base ? llvm::dyn_cast<clang::VarDecl>(base->getDecl()) : nullptr;
        if (mapKindOf(var))
            calls_.push_back({call, var, member->getMemberDecl()->getNameAsString()});
        return true;
    }

  private:
    std::vector<MapCall> &calls_;
};

// The map's position among the source's ring buffers (declaration order), or -1.
int ringIndex(const ProgramInfo &info, const std::string &name) {
    int index = 0;
    for (const auto &spec : info.maps) {
        if (spec.kind != "ringbuf")
            continue;
        if (spec.name == name)
            return index;
        ++index;
    }
    return -1;
}

// Is every key of this map preallocated (BPF_MAP_TYPE_ARRAY / PERCPU_ARRAY)?
bool isArrayMap(const clang::VarDecl *var) {
    auto kind = mapKindOf(var);
    if (!kind)
        return false;
    if (*kind == "array" || *kind == "percpu_array")
        return true;
    if (*kind != "histogram")
        return false;
    for (const auto *f : var->getType()->getAsRecordDecl()->fields())
        if (f->getName() == "key")
            return f->getType()->isSpecificBuiltinType(clang::BuiltinType::Int);
    return false;
}

// The record type an event argument carries: `&ev`, `ev_ptr`, or `sizeof(struct x)`.
clang::QualType eventType(const clang::Expr *arg) {
    arg = arg->IgnoreParenImpCasts();
    if (const auto *size = llvm::dyn_cast<clang::UnaryExprOrTypeTraitExpr>(arg))
        return size->getTypeOfArgument();
    if (arg->getType()->isPointerType())
        return arg->getType()->getPointeeType();
    return {};
}

class MapCallPass : public AstPass {
  public:
    const char *name() const override { return "MapCallPass"; }

    void run(PassContext &ctx) override {
        std::vector<MapCall> calls;
        MapCallFinder finder(calls);
        for (auto *decl : ctx.userDecls())
            if (llvm::isa<clang::FunctionDecl>(decl))
                finder.TraverseDecl(decl);
        auto &sm = ctx.ast.getSourceManager();
        // Innermost (later-starting) calls first, so outer calls see rewritten arguments.
        std::stable_sort(calls.begin(), calls.end(), [&](const MapCall &a, const MapCall &b) {
            return sm.isBeforeInTranslationUnit(sm.getExpansionLoc(b.call->getBeginLoc()),
                                                sm.getExpansionLoc(a.call->getBeginLoc()));
        });
        OncePerSpelling once; // a call spelled once but expanded twice is one call to rewrite
        for (const auto &call : calls) {
            auto range = ctx.fileRange(call.call->getSourceRange());
            if (range.isInvalid() || once.first(range))
                rewrite(ctx, call); // an invalid range: rewrite() reports it
        }
        for (const auto &[map, type] : event_types_)
            ctx.appendix += "__attribute__((section(\".jp.types\"), used)) " + type +
                            " *__jp_event__" + map + ";\n";
    }

  private:
    void rewrite(PassContext &ctx, const MapCall &call) {
        std::string map = call.map->getNameAsString();
        const MethodRule *rule = findMethod(call.method, ctx.isMacroDefined(kNoLostCountMacro));
        unsigned nargs = call.call->getNumArgs();
        if (!rule || nargs < rule->min_args || nargs > rule->max_args) {
            ctx.report(call.call->getBeginLoc(), Diagnostic::Severity::Error,
                       "map '" + map + "': method '" + call.method + "' takes " +
                           (rule ? std::to_string(rule->min_args) : std::string("?")) +
                           " argument(s), " + std::to_string(nargs) + " given");
            return;
        }
        auto range = ctx.fileRange(call.call->getSourceRange());
        std::vector<std::string> args = argumentTexts(ctx, call, range);
        if (range.isInvalid()) {
            ctx.report(call.call->getBeginLoc(), Diagnostic::Severity::Error,
                       "map method call '" + map + "." + call.method +
                           "' inside a macro expansion cannot be rewritten",
                       "call the map method directly in the function body");
            return;
        }
        if (rule->event_arg >= 0)
            recordEventType(ctx, map, call.call->getArg(rule->event_arg));
        if (call.method == "delete") // BCC's convention: results are not deleted by the probe
            for (auto &spec : ctx.info.maps)
                spec.internal = spec.internal || spec.name == map;
        auto kind = mapKindOf(call.map);
        bool map_of_maps = kind && kind->find("_of_maps$") != std::string::npos;
        MapFacts facts{map, isArrayMap(call.map), ringIndex(ctx.info, map), map_of_maps};
        ctx.rewriter.ReplaceText(range, expand(rule->pattern, facts, args));
    }

    // The (already rewritten) text of each argument. A call or an argument that is only partly
    // in the file (`#define LOOK(m, k) m.lookup(&k)`: '&' comes from the macro body) has no file
    // text to rewrite: RANGE is then made invalid (found by the fuzzer's hand-made seeds: an
    // argument used to vanish silently).
    static std::vector<std::string> argumentTexts(PassContext &ctx, const MapCall &call,
                                                  clang::CharSourceRange &range) {
        std::vector<std::string> args;
        for (const auto *arg : call.call->arguments()) {
            auto arg_range = ctx.fileRange(arg->getSourceRange());
            if (arg_range.isInvalid())
                range = {};
            std::string text = arg_range.isValid() ? ctx.rewriter.getRewrittenText(arg_range) : "";
            // A compound literal's commas (`(struct key_t){.a = 1, .b = 2}`) would split the
            // argument of the helper macros the patterns use: parentheses keep it whole.
            if (text.find('{') != std::string::npos)
                text = "(" + text + ")";
            args.push_back(std::move(text));
        }
        return args;
    }

    void recordEventType(PassContext &ctx, const std::string &map, const clang::Expr *arg) {
        clang::QualType type = eventType(arg);
        if (type.isNull() || !type->isRecordType() || event_types_.count(map))
            return;
        // An anonymous struct (`struct { u32 pid; } ev;`) cannot be named at file scope for
        // the anchor: its events go out undecoded rather than the program not compiling.
        const auto *named = type->getAsRecordDecl();
        if (named && named->getName().empty() && !type->getAs<clang::TypedefType>())
            return;
        std::string spelled = ctx.printType(type.getUnqualifiedType());
        event_types_[map] = spelled;
        for (auto &spec : ctx.info.maps)
            if (spec.name == map) {
                // The BTF name: "struct open_event" -> "open_event".
                const auto *record = type->getAsRecordDecl();
                spec.event_type = record ? record->getNameAsString() : spelled;
            }
    }

    std::map<std::string, std::string> event_types_;
};

} // namespace

std::unique_ptr<AstPass> createMapCallPass() { return std::make_unique<MapCallPass>(); }

} // namespace jitprobe::frontend
