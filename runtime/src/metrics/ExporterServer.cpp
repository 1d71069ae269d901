// Exporter::serve: cpp-httplib (header-only, without TLS or compression) on a bounded pool.
#include "ExporterImpl.h"

#include "jitprobe/common/Errors.h"

#include <httplib.h>

#include <cerrno>
#include <condition_variable>
#include <deque>
#include <thread>

namespace jitprobe {
namespace {

// httplib's ThreadPool queues without limit; this one makes the accept loop wait while
// QUEUE_CAP connections are queued, so a flood of connections is held in the kernel's small
// listen backlog rather than in our memory and fds.
class BoundedPool : public httplib::TaskQueue {
  public:
    BoundedPool(std::size_t threads, std::size_t queue_cap) : cap_(queue_cap) {
        for (std::size_t i = 0; i < threads; ++i)
            workers_.emplace_back([this] { work(); });
    }
    void enqueue(std::function<void()> fn) override {
        std::unique_lock lock(mu_);
        space_.wait(lock, [&] { return jobs_.size() < cap_ || shutdown_; });
        jobs_.push_back(std::move(fn)); // after shutdown: still run, so its socket is closed
        ready_.notify_one();
    }
    void shutdown() override {
        {
            std::lock_guard lock(mu_);
            shutdown_ = true;
        }
        ready_.notify_all();
        space_.notify_all();
        for (std::thread &t : workers_)
            t.join();
    }

  private:
    void work() {
        for (;;) {
            std::function<void()> fn;
            {
                std::unique_lock lock(mu_);
                ready_.wait(lock, [&] { return !jobs_.empty() || shutdown_; });
                if (jobs_.empty())
                    return;
                fn = std::move(jobs_.front());
                jobs_.pop_front();
                space_.notify_one();
            }
            fn();
        }
    }
    std::size_t cap_;
    std::mutex mu_;
    std::condition_variable ready_, space_;
    std::deque<std::function<void()>> jobs_;
    std::vector<std::thread> workers_;
    bool shutdown_ = false;
};

Result<std::pair<std::string, int>> parseListen(const std::string &listen) {
    std::size_t colon = listen.rfind(':');
    if (colon == std::string::npos || colon + 1 == listen.size())
        return Status(EINVAL, "listen address '" + listen + "': expected HOST:PORT");
    std::string host = listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2); // [::1]:9435
    int port = 0;
    for (char c : listen.substr(colon + 1)) {
        if (c < '0' || c > '9' || (port = port * 10 + (c - '0')) > 65535)
            return Status(EINVAL, "listen address '" + listen + "': bad port");
    }
    return std::make_pair(host.empty() ? std::string("127.0.0.1") : host, port);
}

void configure(httplib::Server &srv, Exporter &exporter, const ExporterOptions &o) {
    std::size_t threads = std::max<std::size_t>(1, o.threads);
    srv.new_task_queue = [threads] { return new BoundedPool(threads, threads * 4); };
    srv.set_payload_max_length(o.max_request_bytes);
    srv.set_read_timeout(o.io_timeout_s, 0);
    srv.set_write_timeout(o.io_timeout_s, 0);
    srv.set_keep_alive_timeout(o.io_timeout_s);
    srv.set_keep_alive_max_count(100);
    auto page = [&exporter](const httplib::Request &req, httplib::Response &res) {
        Exporter::Page p = exporter.render(req.get_header_value("Accept"));
        res.set_content(std::move(p.body), p.content_type.c_str()); // HEAD: httplib sends no body
    };
    srv.Get(o.path, page); // also answers HEAD
    auto notAllowed = [](const httplib::Request &, httplib::Response &res) {
        res.status = 405;
        res.set_header("Allow", "GET, HEAD");
    };
    srv.Post(o.path, notAllowed);
    srv.Put(o.path, notAllowed);
    srv.Delete(o.path, notAllowed);
    srv.Patch(o.path, notAllowed);
    srv.Options(o.path, notAllowed);
}

} // namespace

Status Exporter::serve(const std::string &listen) {
    auto addr = parseListen(listen);
    if (!addr.ok())
        return addr.status();
    auto srv = std::make_shared<httplib::Server>();
    configure(*srv, *this, impl_->options);
    {
        std::lock_guard lock(impl_->mu);
        if (impl_->stopped.load())
            return Status::OK();
        impl_->server = srv;
    }
    auto [host, port] = addr.value();
    errno = 0;
    int bound = port == 0 ? srv->bind_to_any_port(host) : (srv->bind_to_port(host, port) ? port : -1);
    if (bound < 0)
        return detail::errnoStatus(errno ? errno : EADDRNOTAVAIL, "serve: cannot listen on '" + listen + "'");
    impl_->port.store(bound);
    impl_->listening.store(true);
    if (!impl_->stopped.load()) // stop() before this point: nothing to wait for
        srv->listen_after_bind();
    impl_->listening.store(false);
    return Status::OK();
}

void Exporter::stop() {
    std::shared_ptr<httplib::Server> srv;
    {
        std::lock_guard lock(impl_->mu);
        impl_->stopped.store(true);
        srv = impl_->server;
    }
    if (!srv)
        return;
    // httplib's stop() does nothing until the accept loop runs: wait for it (or for serve() to
    // give up) so a stop right after serve() started is not lost.
    for (int i = 0; i < 2000 && impl_->listening.load() && !srv->is_running(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    srv->stop();
}

int Exporter::bound_port() const { return impl_->port.load(); }

} // namespace jitprobe
