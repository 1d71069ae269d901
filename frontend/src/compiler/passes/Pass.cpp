#include "compiler/passes/Pass.h"

#include "compiler/ClangCompiler.h"

#include <clang/AST/Attr.h>
#include <clang/Lex/Lexer.h>

#include <algorithm>
#include <cctype>

namespace jitprobe::frontend {

bool isKernelTypesFile(llvm::StringRef file) {
    return file.endswith("/vmlinux.h") || file.startswith(std::string(kKernelTypesVirtualDir) + "/");
}

namespace {

bool hasPacketContext(const clang::FunctionDecl *fn) {
    if (fn->getNumParams() == 0)
        return false;
    clang::QualType type = fn->getParamDecl(0)->getType();
    const auto *record = type->isPointerType() ? type->getPointeeType()->getAsRecordDecl() : nullptr;
    if (!record)
        return false;
    static constexpr std::string_view kPacketContexts[] = {
        "__sk_buff", "xdp_md", "sk_msg_md", "bpf_sock_ops", "sk_reuseport_md", "bpf_sock_addr",
        "bpf_sk_lookup", "bpf_sockopt", "bpf_sysctl"};
    std::string name = record->getNameAsString();
    return std::find(std::begin(kPacketContexts), std::end(kPacketContexts), name) != std::end(kPacketContexts);
}

} // namespace

bool isPacketCode(PassContext &ctx, const clang::FunctionDecl *fn) {
    if (hasPacketContext(fn))
        return true;
    if (fn->getStorageClass() != clang::SC_Static)
        return false;
    bool any = false;
    for (auto *decl : ctx.userDecls()) {
        const auto *other = llvm::dyn_cast<clang::FunctionDecl>(decl);
        if (!other || !other->doesThisDeclarationHaveABody() || other->getStorageClass() == clang::SC_Static)
            continue;
        if (!hasPacketContext(other))
            return false;
        any = true;
    }
    return any;
}

bool isPacketHeaderPointer(clang::QualType type) {
    if (type.isNull() || !type->isPointerType())
        return false;
    const auto *record = type->getPointeeType()->getAsRecordDecl();
    record = record ? record->getDefinition() : nullptr;
    if (!record)
        return false;
    // jitprobe/packet.h's mark, or BCC's own spelling of BPF_PACKET_HEADER.
    for (const auto *note : record->specific_attrs<clang::AnnotateAttr>())
        if (note->getAnnotation() == "jitprobe_packet_header")
            return true;
    const auto *deprecated = record->getAttr<clang::DeprecatedAttr>();
    return deprecated && deprecated->getMessage() == "packet";
}

bool PassContext::inMainFile(clang::SourceLocation loc) const {
    const auto &sm = ast.getSourceManager();
    return loc.isValid() && sm.isWrittenInMainFile(sm.getExpansionLoc(loc));
}

bool PassContext::inUserFile(clang::SourceLocation loc) const {
    const auto &sm = ast.getSourceManager();
    if (!loc.isValid())
        return false;
    clang::SourceLocation at = sm.getExpansionLoc(loc);
    if (sm.isWrittenInMainFile(at))
        return true;
    llvm::StringRef name = sm.getFilename(at);
    return !sm.isInSystemHeader(at) && !name.empty() && !name.startswith("/jitprobe/");
}

bool PassContext::isMacroDefined(llvm::StringRef name) const {
    return ast.Idents.get(name).hasMacroDefinition();
}

std::vector<clang::Decl *> PassContext::userDecls(bool with_headers) const {
    std::vector<clang::Decl *> out;
    for (auto *decl : ast.getTranslationUnitDecl()->noload_decls())
        if (with_headers ? inUserFile(decl->getLocation()) : inMainFile(decl->getLocation()))
            out.push_back(decl);
    return out;
}

clang::CharSourceRange PassContext::fileRange(clang::SourceRange range) const {
    return clang::Lexer::makeFileCharRange(clang::CharSourceRange::getTokenRange(range),
                                           ast.getSourceManager(), ast.getLangOpts());
}

// makeFileCharRange refuses a range that starts or ends inside a macro's body, such as a macro
// argument `bpf_ntohl(x)` whose expression begins with the body's '(': follow each end out of
// the macros, through the argument where it was written, to the file.
clang::CharSourceRange PassContext::writtenRange(clang::SourceRange range) const {
    clang::CharSourceRange direct = fileRange(range);
    if (direct.isValid())
        return direct;
    const auto &sm = ast.getSourceManager();
    auto out = [&](clang::SourceLocation loc, bool end) {
        while (loc.isMacroID()) {
            if (sm.isMacroArgExpansion(loc))
                loc = sm.getImmediateSpellingLoc(loc);
            else
                loc = end ? sm.getImmediateExpansionRange(loc).getEnd() : sm.getImmediateExpansionRange(loc).getBegin();
        }
        return loc;
    };
    clang::SourceLocation begin = out(range.getBegin(), false), end = out(range.getEnd(), true);
    if (begin.isInvalid() || end.isInvalid() || sm.getFileID(begin) != sm.getFileID(end) ||
        sm.isBeforeInTranslationUnit(end, begin))
        return {};
    return fileRange(clang::SourceRange(begin, end));
}

std::string PassContext::printType(clang::QualType type) const {
    clang::PrintingPolicy policy(ast.getLangOpts());
    return applyRecordRenames(type.getAsString(policy), renamed_records);
}

std::string applyRecordRenames(std::string text, const std::vector<std::string> &renamed) {
    auto ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    for (const auto &name : renamed)
        for (const char *keyword : {"struct ", "union "}) {
            std::string from = keyword + name;
            for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos)) {
                size_t end = pos + from.size();
                bool whole = (pos == 0 || !ident(text[pos - 1])) && (end == text.size() || !ident(text[end]));
                if (whole)
                    text.insert(end, kShakenSuffix);
                pos = end;
            }
        }
    return text;
}

bool isBpfContextType(llvm::StringRef name) {
    static constexpr std::string_view kContextTypes[] = {
        "pt_regs", "bpf_raw_tracepoint_args", "__sk_buff", "xdp_md", "bpf_perf_event_data",
        "bpf_sock_ops", "sk_msg_md", "sk_reuseport_md", "bpf_sock_addr", "bpf_sysctl",
        "bpf_sockopt", "bpf_sk_lookup", "bpf_cgroup_dev_ctx"};
    std::string_view n(name.data(), name.size());
    return std::find(std::begin(kContextTypes), std::end(kContextTypes), n) != std::end(kContextTypes);
}

void PassContext::report(clang::SourceLocation loc, Diagnostic::Severity severity,
                         std::string message, std::string hint) {
    const auto &sm = ast.getSourceManager();
    Diagnostic diag;
    diag.severity = severity;
    diag.message = std::move(message);
    diag.hint = std::move(hint);
    diag.loc.file = user_file;
    if (loc.isValid()) {
        clang::SourceLocation file_loc = sm.getExpansionLoc(loc);
        diag.loc.line = sm.getPresumedLineNumber(file_loc);
        diag.loc.column = sm.getPresumedColumnNumber(file_loc);
        bool invalid = false;
        llvm::StringRef buffer = sm.getBufferData(sm.getFileID(file_loc), &invalid);
        if (!invalid) {
            size_t offset = sm.getFileOffset(file_loc);
            size_t begin = buffer.rfind('\n', offset == 0 ? 0 : offset - 1);
            begin = begin == llvm::StringRef::npos ? 0 : begin + 1;
            size_t end = buffer.find('\n', offset);
            diag.source_line = buffer.slice(begin, end).str();
        }
    }
    diags.push_back(std::move(diag));
}

std::optional<std::string> mapDeclarationOf(const clang::VarDecl *var) {
    if (!var)
        return std::nullopt;
    const auto *section = var->getAttr<clang::SectionAttr>();
    if (!section)
        return std::nullopt;
    llvm::StringRef name = section->getName();
    if (!name.consume_front("maps/"))
        return std::nullopt;
    return name.str();
}

std::optional<std::string> mapKindOf(const clang::VarDecl *var) {
    auto declared = mapDeclarationOf(var);
    if (!declared)
        return declared;
    llvm::StringRef kind = *declared;
    kind.consume_front("public:") || kind.consume_front("shared:");
    if (kind.consume_front("pinned:"))
        kind = kind.rsplit(':').second; // "pinned:<path>:<kind>"
    return kind.str();
}

std::string expandPlaceholders(std::string_view pattern,
                               const std::function<std::string(std::string_view key)> &value) {
    std::string out;
    for (size_t i = 0; i < pattern.size(); ++i) {
        size_t close = pattern[i] == '{' ? pattern.find('}', i) : std::string_view::npos;
        if (close == std::string_view::npos) {
            out += pattern[i];
            continue;
        }
        out += value(pattern.substr(i + 1, close - i - 1));
        i = close;
    }
    return out;
}

} // namespace jitprobe::frontend
