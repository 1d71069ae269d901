// Detaching without making the caller wait for the kernel's RCU grace periods in a row.
#include "BPFImpl.h"

#include <system_error>

namespace jitprobe {
namespace detail {
namespace {
constexpr std::size_t kMaxDetachThreads = 16;
} // namespace

void destroyAttachments(std::map<std::string, Attachment> attachments) {
    std::vector<Attachment> plain;
    for (auto it = attachments.begin(); it != attachments.end();) {
        if (it->second.undo.empty()) {
            plain.push_back(std::move(it->second));
            it = attachments.erase(it);
        } else {
            ++it;
        }
    }
    std::size_t n_threads = std::min(plain.size(), kMaxDetachThreads);
    std::vector<std::thread> threads;
    if (n_threads > 1) {
        try {
            for (std::size_t t = 0; t < n_threads; ++t)
                threads.emplace_back([&plain, t, n_threads] {
                    for (std::size_t i = t; i < plain.size(); i += n_threads)
                        plain[i].links.clear();
                });
        } catch (const std::system_error &) {
            // No thread: what the started ones do not reach is closed below, in order.
        }
    }
    for (std::thread &t : threads)
        t.join();
    plain.clear(); // (only what no thread was started for still holds links)
    attachments.clear(); // undo steps (tc filters, qdiscs, sockets) in their order
}
} // namespace detail

void BPF::Impl::joinDetaching() {
    if (detaching.joinable())
        detaching.join();
}

void BPF::detach_all_in_background() {
    impl_->joinDetaching();
    auto moved = std::make_shared<std::map<std::string, detail::Attachment>>(std::move(impl_->attachments));
    impl_->attachments.clear();
    impl_->wildcard_requests.clear();
    try {
        impl_->detaching = std::thread([moved] { detail::destroyAttachments(std::move(*moved)); });
    } catch (const std::system_error &) {
        detail::destroyAttachments(std::move(*moved)); // no thread: here and now
    }
}

} // namespace jitprobe
