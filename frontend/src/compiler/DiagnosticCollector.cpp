#include "compiler/DiagnosticCollector.h"

#include <clang/AST/Decl.h>
#include <clang/AST/DeclBase.h>
#include <clang/Basic/DiagnosticSema.h>
#include <clang/Basic/SourceManager.h>
#include <llvm/ADT/SmallString.h>

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

// "lookup, update, ..." for a dialect map struct's function-pointer members.
std::string methodList(const clang::RecordDecl *record) {
    std::string out;
    for (const auto *field : record->fields()) {
        if (!field->getType()->isFunctionPointerType())
            continue;
        out += out.empty() ? "" : ", ";
        out += field->getNameAsString();
    }
    return out;
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
    diag.hint = "methods of '" + map + "': " + methodList(record);
    return true;
}

} // namespace jitprobe::frontend
