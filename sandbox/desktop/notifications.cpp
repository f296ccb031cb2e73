#include "desktop/notifications.h"

#include <dlfcn.h>
#include <systemd/sd-bus.h>  // types and prototypes only: libsystemd is loaded on first use
#include <time.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <type_traits>

namespace lb {

namespace {

struct Api {
    decltype(&sd_bus_open_user) openUser;
    decltype(&sd_bus_flush_close_unref) flushCloseUnref;
    decltype(&sd_bus_match_signal) matchSignal;
    decltype(&sd_bus_message_new_method_call) newMethodCall;
    decltype(&sd_bus_message_append_basic) appendBasic;
    decltype(&sd_bus_message_append_strv) appendStrv;
    decltype(&sd_bus_message_open_container) openContainer;
    decltype(&sd_bus_message_close_container) closeContainer;
    decltype(&sd_bus_message_read_basic) readBasic;
    decltype(&sd_bus_message_is_method_error) isMethodError;
    decltype(&sd_bus_message_unref) messageUnref;
    decltype(&sd_bus_call_async) callAsync;
    decltype(&sd_bus_get_fd) getFd;
    decltype(&sd_bus_get_events) getEvents;
    decltype(&sd_bus_get_timeout) getTimeout;
    decltype(&sd_bus_process) process;
    decltype(&sd_bus_add_match) addMatch;
    decltype(&sd_bus_slot_set_destroy_callback) slotSetDestroyCallback;
    decltype(&sd_bus_slot_set_floating) slotSetFloating;
    decltype(&sd_bus_slot_unref) slotUnref;
};

const Api* api(std::string* why) {
    static Api a;
    static std::string error;
    static const bool loaded = [] {
        void* h = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            error = "libsystemd is not installed";
            return false;
        }
        bool ok = true;
        auto get = [&](auto& fn, const char* name) {
            fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(h, name));
            if (!fn) ok = false, error = std::string("libsystemd lacks ") + name;
        };
        get(a.openUser, "sd_bus_open_user");
        get(a.flushCloseUnref, "sd_bus_flush_close_unref");
        get(a.matchSignal, "sd_bus_match_signal");
        get(a.newMethodCall, "sd_bus_message_new_method_call");
        get(a.appendBasic, "sd_bus_message_append_basic");
        get(a.appendStrv, "sd_bus_message_append_strv");
        get(a.openContainer, "sd_bus_message_open_container");
        get(a.closeContainer, "sd_bus_message_close_container");
        get(a.readBasic, "sd_bus_message_read_basic");
        get(a.isMethodError, "sd_bus_message_is_method_error");
        get(a.messageUnref, "sd_bus_message_unref");
        get(a.callAsync, "sd_bus_call_async");
        get(a.getFd, "sd_bus_get_fd");
        get(a.getEvents, "sd_bus_get_events");
        get(a.getTimeout, "sd_bus_get_timeout");
        get(a.process, "sd_bus_process");
        get(a.addMatch, "sd_bus_add_match");
        get(a.slotSetDestroyCallback, "sd_bus_slot_set_destroy_callback");
        get(a.slotSetFloating, "sd_bus_slot_set_floating");
        get(a.slotUnref, "sd_bus_slot_unref");
        return ok;
    }();
    if (!loaded && why) *why = error;
    return loaded ? &a : nullptr;
}

constexpr const char* kDest = "org.freedesktop.Notifications";
constexpr const char* kPath = "/org/freedesktop/Notifications";

// How many call contexts exist (Notifier::callsInFlight).
std::atomic<size_t> contextsAlive{0};

// An asynchronous call's context: the notification's key, or the name whose owner is asked.
struct Pending {
    Pending(Notifier* s, std::string k) : self(s), key(std::move(k)) { ++contextsAlive; }
    ~Pending() { --contextsAlive; }
    Pending(const Pending&) = delete;
    Pending& operator=(const Pending&) = delete;
    Notifier* self;
    std::string key;
};

void freePending(void* userdata) {
    delete static_cast<Pending*>(userdata);
}

// Sends `m` with `p` as its reply callback's context. The context belongs to the call's slot,
// which the bus holds (floating) and frees after the reply's callback, or unanswered when the
// bus is closed: a Notifier ended with calls in flight leaks nothing. False when not sent.
bool callWithContext(const Api* a, sd_bus* bus, sd_bus_message* m,
                     sd_bus_message_handler_t callback, std::unique_ptr<Pending> p) {
    sd_bus_slot* slot = nullptr;
    if (a->callAsync(bus, &slot, m, callback, p.get(), 25 * 1000 * 1000) < 0) return false;
    a->slotSetDestroyCallback(slot, freePending);
    p.release();
    a->slotSetFloating(slot, 1);  // the bus holds it now; ours is let go
    a->slotUnref(slot);
    return true;
}

int onReply(sd_bus_message* m, void* userdata, sd_bus_error*) {
    auto* p = static_cast<Pending*>(userdata);
    const Api* a = api(nullptr);
    uint32_t id = 0;
    if (a->isMethodError(m, nullptr)) {  // no notification daemon: nothing shown
        p->self->failed(p->key);
        return 0;
    }
    if (a->readBasic(m, 'u', &id) > 0) p->self->gotId(id, p->key);
    return 0;
}

int onActionInvoked(sd_bus_message* m, void* userdata, sd_bus_error*) {
    const Api* a = api(nullptr);
    uint32_t id = 0;
    const char* action = nullptr;
    if (a->readBasic(m, 'u', &id) > 0 && a->readBasic(m, 's', &action) > 0 && action)
        static_cast<Notifier*>(userdata)->invoked(id, action);
    return 0;
}

int onClosed(sd_bus_message* m, void* userdata, sd_bus_error*) {
    const Api* a = api(nullptr);
    uint32_t id = 0;
    if (a->readBasic(m, 'u', &id) > 0) static_cast<Notifier*>(userdata)->closedById(id);
    return 0;
}

int onOwnerReply(sd_bus_message* m, void* userdata, sd_bus_error*) {
    auto* q = static_cast<Pending*>(userdata);
    const Api* a = api(nullptr);
    const char* owner = nullptr;
    // An error is "no owner": the name is free until NameOwnerChanged says otherwise.
    if (!a->isMethodError(m, nullptr) && a->readBasic(m, 's', &owner) > 0 && owner)
        q->self->ownerIs(q->key, owner);
    return 0;
}

int onOwnerChanged(sd_bus_message* m, void* userdata, sd_bus_error*) {
    const Api* a = api(nullptr);
    const char *name = nullptr, *old = nullptr, *now = nullptr;
    if (a->readBasic(m, 's', &name) > 0 && a->readBasic(m, 's', &old) > 0 &&
        a->readBasic(m, 's', &now) > 0 && name && now)
        static_cast<Notifier*>(userdata)->ownerIs(name, now);
    return 0;
}

}  // namespace

struct Notifier::Impl {
    const Api* a = nullptr;
    sd_bus* bus = nullptr;
    ~Impl() {
        if (bus) a->flushCloseUnref(bus);
    }
};

Result<std::unique_ptr<Notifier>> Notifier::open(ActionHandler onAction) {
    std::string why;
    const Api* a = api(&why);
    if (!a) return Error(why);
    std::unique_ptr<Notifier> n(new Notifier);
    n->d_ = std::make_unique<Impl>();
    n->d_->a = a;
    n->onAction_ = std::move(onAction);
    if (int r = a->openUser(&n->d_->bus); r < 0) {
        errno = -r;
        return Error::fromErrno("connecting to the session bus");
    }
    // Floating match (NULL slot): lives as long as the bus connection.
    if (int r = a->matchSignal(n->d_->bus, nullptr, kDest, kPath, kDest, "ActionInvoked",
                               onActionInvoked, n.get());
        r < 0) {
        errno = -r;
        return Error::fromErrno("subscribing to notification actions");
    }
    if (int r = a->matchSignal(n->d_->bus, nullptr, kDest, kPath, kDest, "NotificationClosed",
                               onClosed, n.get());
        r < 0) {
        errno = -r;
        return Error::fromErrno("subscribing to closed notifications");
    }
    return n;
}

Notifier::~Notifier() = default;

size_t Notifier::callsInFlight() {
    return contextsAlive.load();
}

void Notifier::notify(const std::string& key, const std::string& summary, const std::string& body,
                      const std::vector<std::pair<std::string, std::string>>& actions,
                      const std::string& iconName) {
    const Api* a = d_->a;
    sd_bus_message* m = nullptr;
    if (a->newMethodCall(d_->bus, &m, kDest, kPath, kDest, "Notify") < 0) return;
    const char* app = "Layerbox";
    uint32_t replaces = 0;
    const char* icon = iconName.c_str();
    int32_t timeout = -1;
    std::vector<std::string> flat;
    for (const auto& [k, label] : actions)
        flat.push_back(k), flat.push_back(label);
    std::vector<char*> strv;
    for (auto& s : flat)
        strv.push_back(s.data());
    strv.push_back(nullptr);
    bool ok = a->appendBasic(m, 's', app) >= 0 && a->appendBasic(m, 'u', &replaces) >= 0 &&
              a->appendBasic(m, 's', icon) >= 0 && a->appendBasic(m, 's', summary.c_str()) >= 0 &&
              a->appendBasic(m, 's', body.c_str()) >= 0 && a->appendStrv(m, strv.data()) >= 0 &&
              a->openContainer(m, 'a', "{sv}") >= 0 && a->closeContainer(m) >= 0 &&
              a->appendBasic(m, 'i', &timeout) >= 0;
    if (ok) (void)callWithContext(a, d_->bus, m, onReply, std::make_unique<Pending>(this, key));
    a->messageUnref(m);
    process();
}

void Notifier::showItems(const std::vector<std::string>& uris) {
    const Api* a = d_->a;
    sd_bus_message* m = nullptr;
    if (a->newMethodCall(d_->bus, &m, "org.freedesktop.FileManager1",
                         "/org/freedesktop/FileManager1", "org.freedesktop.FileManager1",
                         "ShowItems") < 0)
        return;
    std::vector<std::string> u = uris;
    std::vector<char*> strv;
    for (auto& s : u)
        strv.push_back(s.data());
    strv.push_back(nullptr);
    if (a->appendStrv(m, strv.data()) >= 0 && a->appendBasic(m, 's', "") >= 0)
        (void)a->callAsync(d_->bus, nullptr, m, nullptr, nullptr, 25 * 1000 * 1000);
    a->messageUnref(m);
    process();
}

void Notifier::close(const std::string& key) {
    for (const auto& [id, t] : ids_) {
        if (t.key != key) continue;
        sd_bus_message* m = nullptr;
        if (d_->a->newMethodCall(d_->bus, &m, kDest, kPath, kDest, "CloseNotification") < 0) return;
        uint32_t number = id;
        if (d_->a->appendBasic(m, 'u', &number) >= 0)
            (void)d_->a->callAsync(d_->bus, nullptr, m, nullptr, nullptr, 25 * 1000 * 1000);
        d_->a->messageUnref(m);
        process();
        return;
    }
}

void Notifier::followOwner(const std::string& name) {
    const Api* a = d_->a;
    // Names are checked by the bus; ours are constants. The rule names arg0, so the bus sends
    // only this name's changes.
    const std::string rule =
        "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
        "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='" +
        name + "'";
    (void)a->addMatch(d_->bus, nullptr, rule.c_str(), onOwnerChanged, this);
    sd_bus_message* m = nullptr;
    if (a->newMethodCall(d_->bus, &m, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                         "org.freedesktop.DBus", "GetNameOwner") < 0)
        return;
    if (a->appendBasic(m, 's', name.c_str()) >= 0)
        (void)callWithContext(a, d_->bus, m, onOwnerReply, std::make_unique<Pending>(this, name));
    a->messageUnref(m);
    process();
}

void Notifier::failed(const std::string& key) {
    if (onClosed_) onClosed_(key);
}

void Notifier::gotId(uint32_t id, const std::string& key) {
    if (issued_.insert(id).second) {
        issuedOrder_.push_back(id);
        if (issuedOrder_.size() > kMaxIssued) {
            issued_.erase(issuedOrder_.front());
            issuedOrder_.pop_front();
        }
    }
    std::vector<std::string> forgotten;
    auto [it, added] = ids_.try_emplace(id, Tracked{key, nextOrder_++});
    if (!added) {  // the daemon gave the id again (it restarted): the old one is gone
        if (it->second.key != key) forgotten.push_back(it->second.key);
        it->second = Tracked{key, nextOrder_ - 1};
    }
    // Bounded: the oldest goes (at most kMaxTracked entries, one walk per notification).
    while (ids_.size() > kMaxTracked) {
        auto oldest = ids_.begin();
        for (auto i = ids_.begin(); i != ids_.end(); ++i)
            if (i->second.order < oldest->second.order) oldest = i;
        forgotten.push_back(oldest->second.key);
        ids_.erase(oldest);
    }
    if (onClosed_)
        for (const auto& k : forgotten)
            onClosed_(k);
}

void Notifier::closedById(uint32_t id) {
    auto it = ids_.find(id);
    if (it == ids_.end()) return;
    std::string key = it->second.key;
    ids_.erase(it);
    if (onClosed_) onClosed_(key);
}

void Notifier::invoked(uint32_t id, const std::string& action) {
    auto it = ids_.find(id);
    if (it == ids_.end()) return;  // another program's notification, or forgotten
    if (onAction_) onAction_(it->second.key, action);
}

void Notifier::process() {
    while (d_->a->process(d_->bus, nullptr) > 0) {
    }
}

void Notifier::addTo(std::vector<struct pollfd>& pfd) {
    int fd = d_->a->getFd(d_->bus);
    int ev = d_->a->getEvents(d_->bus);
    pfdIndex_ = SIZE_MAX;
    if (fd < 0 || ev < 0) return;
    pfdIndex_ = pfd.size();
    pfd.push_back({fd, static_cast<short>(ev), 0});
}

void Notifier::handle(const std::vector<struct pollfd>& pfd) {
    if (pfdIndex_ < pfd.size() && pfd[pfdIndex_].revents)
        process();
    else if (timeoutMs() == 0)
        process();
}

int Notifier::timeoutMs() const {
    uint64_t usec = 0;
    if (d_->a->getTimeout(d_->bus, &usec) < 0 || usec == UINT64_MAX) return -1;
    struct timespec t;
    ::clock_gettime(CLOCK_MONOTONIC, &t);
    const uint64_t now = uint64_t(t.tv_sec) * 1000000 + uint64_t(t.tv_nsec) / 1000;
    return usec <= now ? 0 : static_cast<int>(std::min<uint64_t>((usec - now) / 1000 + 1, INT_MAX));
}

}  // namespace lb
