// Portable objects through the BPF API: init_file loads a FILE.jpo (no compiler anywhere),
// write_object_file saves init's compiled object as one. Format: cache/PortableObject.h.
#include "BPFImpl.h"

#include "cache/PortableObject.h"
#include "jitprobe/common/Files.h"

#include <fcntl.h>

namespace jitprobe {

Status BPF::init_file(const std::string &path, const InitOptions &opts) {
    if (impl_->object)
        return Status(EBUSY, "BPF::init_file: this BPF object is already initialized");
    Result<detail::PortableObject> object = detail::readPortableObject(path);
    if (!object.ok())
        return object.status();
    InitOptions o = opts;
    if (o.file_name == InitOptions{}.file_name)
        o.file_name = path;
    impl_->times = {};
    impl_->times.cache_note = "portable object " + path + ": no compile";
    if (o.want_rewritten)
        impl_->rewritten = std::move(object->rewritten);
    return init_object(std::move(object->elf), std::move(object->info), o);
}

Status BPF::write_object_file(const std::string &path) const {
    if (!impl_->object || impl_->elf.empty())
        return Status(EINVAL, "write_object_file: no compiled object: call init() first");
    std::string bytes = detail::encodePortableObject(impl_->elf, impl_->info, impl_->rewritten,
                                                     impl_->options.file_name);
    if (Status s = common::writeFileAtomically(AT_FDCWD, path, bytes); !s.ok())
        return Status(s.code(), path + ": cannot write the portable object: " + s.msg());
    return Status::OK();
}

} // namespace jitprobe
