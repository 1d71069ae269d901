#include "compiler/DiagnosticCollector.h"
#include "compiler/passes/Pass.h"

#include <clang/AST/Decl.h>
#include <clang/AST/DeclBase.h>
#include <clang/Basic/DiagnosticSema.h>
#include <clang/Basic/SourceManager.h>
#include <llvm/ADT/SmallString.h>

#include <algorithm>
#include <cctype>

namespace jitprobe::frontend {
namespace {

constexpr std::string_view kMapStructPrefix = "__jp_map__";

// "incomplete definition of type 'struct nfs_commit_data'": every struct of the kernel's BTF is
// defined, so this one is a module's (BCC's tools read nfs, rdma_cm ... types) or not this
// kernel's at all; say so, since "check" fails here for the kernel's reason, not the probe's.
constexpr const char *kNotInBtfHint =
    "this type is not in this kernel's BTF (/sys/kernel/btf/vmlinux): it belongs to a kernel module "
    "(jitprobe reads vmlinux types only) or this kernel lacks it; define the struct in the probe to "
    "use it";

std::string lineAt(const clang::SourceManager &sm, clang::SourceLocation loc) {
    bool invalid = false;
    const char *data = sm.getCharacterData(loc, &invalid);
    if (invalid || !data)
        return {};
    unsigned col = sm.getSpellingColumnNumber(loc, &invalid);
    const char *start = data - (col - 1);
    const char *end = data;
    while (*end && *end != '\n' && *end != '\r')
        ++end;
    return std::string(start, end);
}

// BPF_TABLE gives every kind the same members (as BCC's does); what each kind really has.
// Kinds not listed (perf_output, ringbuf, queue, storages) have members of their own only.
struct KindMethods {
    std::string_view kinds, methods; // space-separated
};
constexpr std::string_view kKeyValue =
    "lookup lookup_or_init lookup_or_try_init update insert delete increment atomic_increment";
constexpr KindMethods kKindMethods[] = {
    {"hash lru_hash percpu_hash lru_percpu_hash lpm_trie histogram array percpu_array extern",
     kKeyValue},
    {"stack_trace stack_trace_buildid", "get_stackid lookup"},
    {"prog", "call lookup update delete"},
    {"devmap cpumap xskmap", "redirect_map lookup update delete"},
    {"cgroup_array", "check_current_task update delete"},
    {"sockmap", "sock_map_update msg_redirect_map sk_redirect_map lookup update delete"},
    {"sockhash", "sock_hash_update msg_redirect_hash sk_redirect_hash lookup update delete"},
    {"array_of_maps hash_of_maps", "lookup update delete"},
    {"sk_storage", "sk_storage_get sk_storage_delete"},
};

bool hasWord(std::string_view words, std::string_view word) {
    for (size_t pos = words.find(word); pos != std::string_view::npos; pos = words.find(word, pos + 1))
        if ((pos == 0 || words[pos - 1] == ' ') &&
            (pos + word.size() == words.size() || words[pos + word.size()] == ' '))
            return true;
    return false;
}

// The methods a map of KIND has, or "" when its struct's members are all its own.
std::string_view methodsOfKind(std::string_view kind) {
    for (const auto &entry : kKindMethods)
        if (hasWord(entry.kinds, kind))
            return entry.methods;
    return {};
}

// The BCC kind of the map variable MAP whose struct is RECORD ("" if not found).
std::string kindOfMap(const clang::RecordDecl *record, const std::string &map) {
    auto &ast = record->getASTContext();
    for (const auto *decl : record->getDeclContext()->lookup(&ast.Idents.get(map)))
        if (const auto *var = llvm::dyn_cast<clang::VarDecl>(decl))
            if (auto kind = mapKindOf(var))
                return *kind;
    return "";
}

// "lookup, update, ..." for a dialect map struct's function-pointer members that its kind has.
std::string methodList(const clang::RecordDecl *record, std::string_view kind) {
    std::string_view allowed = methodsOfKind(kind);
    std::string out;
    for (const auto *field : record->fields()) {
        if (!field->getType()->isFunctionPointerType() ||
            (!allowed.empty() && !hasWord(allowed, field->getName().str())))
            continue;
        out += out.empty() ? "" : ", ";
        out += field->getNameAsString();
    }
    return out;
}

// BCC's map methods and their arguments, for arity errors: Clang reports `counts.update(&k)` on
// the map's internal function-pointer member, naming neither the map nor the method.
struct MethodArgs {
    std::string_view method, args;
};
constexpr MethodArgs kMethodArgs[] = {
    {"lookup", "&key"}, {"update", "&key, &value"}, {"insert", "&key, &value"}, {"delete", "&key"},
    {"increment", "key[, n]"}, {"atomic_increment", "key[, n]"}, {"lookup_or_init", "&key, &zero"},
    {"lookup_or_try_init", "&key, &zero"}, {"perf_submit", "ctx, &event, sizeof(event)"},
    {"ringbuf_output", "&event, sizeof(event), flags"}, {"ringbuf_reserve", "sizeof(event)"},
    {"ringbuf_submit", "event, flags"}, {"ringbuf_discard", "event, flags"},
    {"ringbuf_query", "flag"}, {"get_stackid", "ctx, flags"}, {"push", "&value, flags"},
    {"pop", "&value"}, {"peek", "&value"}, {"call", "ctx, index"}, {"redirect_map", "index, flags"},
};

bool isArityError(unsigned id) {
    namespace d = clang::diag;
    for (unsigned arity : {d::err_typecheck_call_too_few_args, d::err_typecheck_call_too_few_args_at_least,
                           d::err_typecheck_call_too_few_args_one, d::err_typecheck_call_too_few_args_at_least_one,
                           d::err_typecheck_call_too_many_args, d::err_typecheck_call_too_many_args_at_most,
                           d::err_typecheck_call_too_many_args_one, d::err_typecheck_call_too_many_args_at_most_one})
        if (id == arity)
            return true;
    return false;
}

// "MAP.METHOD" of the call whose argument list holds column COL (1-based) of LINE, or "".
std::string callAt(const std::string &line, unsigned col) {
    int depth = 0;
    for (size_t i = std::min<size_t>(col, line.size()); i-- > 0;) {
        if (line[i] == ')' && i + 1 != col)
            ++depth;
        else if (line[i] == '(' && depth-- == 0) {
            size_t end = i;
            while (end > 0 && line[end - 1] == ' ')
                --end;
            size_t begin = end;
            while (begin > 0 && (std::isalnum(static_cast<unsigned char>(line[begin - 1])) ||
                                 line[begin - 1] == '_' || line[begin - 1] == '.'))
                --begin;
            return line.substr(begin, end - begin);
        }
    }
    return {};
}

} // namespace

void DiagnosticCollector::HandleDiagnostic(clang::DiagnosticsEngine::Level level,
                                           const clang::Diagnostic &info) {
    DiagnosticConsumer::HandleDiagnostic(level, info);
    if (level == clang::DiagnosticsEngine::Ignored)
        return;
    Diagnostic diag;
    switch (level) {
    case clang::DiagnosticsEngine::Note: diag.severity = Diagnostic::Severity::Note; break;
    case clang::DiagnosticsEngine::Remark:
    case clang::DiagnosticsEngine::Warning: diag.severity = Diagnostic::Severity::Warning; break;
    default:
        diag.severity = Diagnostic::Severity::Error;
        ++errors_;
    }
    llvm::SmallString<256> text;
    info.FormatDiagnostic(text);
    diag.message = std::string(text.str());
    locate(info, diag);
    nameMapsAsDeclared(diag.message);
    if (info.getID() == clang::diag::err_typecheck_incomplete_tag)
        diag.hint = kNotInBtfHint;
    if (isArityError(info.getID()))
        rewordMapArity(diag);
    if (diag.severity != Diagnostic::Severity::Note)
        drop_notes_ = reword(info, diag);
    else if (drop_notes_)
        return; // "'increment' declared here": a member of the map's internal struct
    // Notes pointing into the dialect header only repeat the macro plumbing.
    if (diag.severity == Diagnostic::Severity::Note && diag.loc.file != user_file_)
        return;
    // The BPF backend repeats some errors once per function it lowers, with notes that only
    // say it lost track of the location.
    if (diag.message.starts_with("could not determine the original source location"))
        return;
    for (const auto &seen : out_)
        if (seen.message == diag.message)
            return;
    out_.push_back(std::move(diag));
}

// "assigning to 'struct __jp_map__counts' from ..." -> "assigning to 'map counts' from ...":
// the struct is the dialect's plumbing, the user wrote BPF_HASH(counts, ...).
void DiagnosticCollector::nameMapsAsDeclared(std::string &message) {
    const std::string from = "struct " + std::string(kMapStructPrefix);
    for (size_t pos = message.find(from); pos != std::string::npos; pos = message.find(from, pos))
        message.replace(pos, from.size(), "map ");
}

void DiagnosticCollector::locate(const clang::Diagnostic &info, Diagnostic &diag) const {
    if (!info.hasSourceManager() || !info.getLocation().isValid())
        return;
    const auto &sm = info.getSourceManager();
    clang::SourceLocation loc = sm.getFileLoc(info.getLocation());
    // A problem inside a dialect macro (BPF_HASH(...)) is shown where the user wrote it.
    clang::SourceLocation walk = info.getLocation();
    while (walk.isMacroID() && !sm.isWrittenInMainFile(sm.getFileLoc(walk)))
        walk = sm.getImmediateMacroCallerLoc(walk);
    if (sm.isWrittenInMainFile(sm.getFileLoc(walk)))
        loc = sm.getFileLoc(walk);
    clang::PresumedLoc presumed = sm.getPresumedLoc(loc);
    if (presumed.isInvalid())
        return;
    std::string file = presumed.getFilename();
    diag.loc.file = file == main_path_ ? user_file_ : file;
    diag.loc.line = presumed.getLine();
    diag.loc.column = presumed.getColumn();
    diag.source_line = lineAt(sm, loc);
}

bool DiagnosticCollector::reword(const clang::Diagnostic &info, Diagnostic &diag) const {
    bool no_member = info.getID() == clang::diag::err_no_member ||
                     info.getID() == clang::diag::err_no_member_suggest; // "; did you mean 'x'?"
    if (!no_member || info.getNumArgs() < 2 || info.getArgKind(1) != clang::DiagnosticsEngine::ak_declcontext)
        return false;
    const auto *context = reinterpret_cast<const clang::DeclContext *>(info.getRawArg(1));
    const auto *record = llvm::dyn_cast_or_null<clang::RecordDecl>(context);
    if (!record)
        return false;
    std::string type = record->getNameAsString();
    if (!type.starts_with(kMapStructPrefix))
        return false;
    auto suggestion = diag.message.find("; did you mean ");
    std::string tail = suggestion == std::string::npos ? "" : diag.message.substr(suggestion);
    std::string map = type.substr(kMapStructPrefix.size());
    // "no member named 'frobnicate' in ..." -> frobnicate
    auto open = diag.message.find('\'');
    auto close = open == std::string::npos ? open : diag.message.find('\'', open + 1);
    std::string method = close == std::string::npos ? "?" : diag.message.substr(open + 1, close - open - 1);
    diag.message = "map '" + map + "' has no method '" + method + "'" + tail;
    diag.hint = "methods of '" + map + "': " + methodList(record, kindOfMap(record, map));
    return true;
}

// "too few arguments to function call, expected 2, have 1" at `counts.update(&k)` ->
// "map 'counts': wrong number of arguments to 'update' (expected 2, have 1)", hint the call's form.
void DiagnosticCollector::rewordMapArity(Diagnostic &diag) {
    std::string call = callAt(diag.source_line, diag.loc.column);
    size_t dot = call.rfind('.');
    if (dot == std::string::npos || dot == 0)
        return;
    std::string map = call.substr(0, dot), method = call.substr(dot + 1);
    const auto *known = std::find_if(std::begin(kMethodArgs), std::end(kMethodArgs),
                                     [&](const MethodArgs &m) { return m.method == method; });
    if (known == std::end(kMethodArgs) || map.find('.') != std::string::npos)
        return;
    auto counts = diag.message.find("expected ");
    std::string tail = counts == std::string::npos ? "" : " (" + diag.message.substr(counts) + ")";
    diag.message = "map '" + map + "': wrong number of arguments to '" + method + "'" + tail;
    diag.hint = "call it as " + map + "." + method + "(" + std::string(known->args) + ")";
}

} // namespace jitprobe::frontend
